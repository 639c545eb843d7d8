"""Streaming speed: × real time when audio arrives in blocks of 64 or 512 samples, on one thread.

Each system streams the way its model can: fxcore's models carry their state from block to block
(`EffectModel.render(chunk=block)`, the same path its LV2 export mirrors in C); a NAM WaveNet runs
its forward on the block plus the receptive-field history it needs; a NAM LSTM carries (h, c)
(history 0). Timing stops after MAX_WALL_S seconds or AUDIO_S of audio, whichever comes first,
so a slow system costs bounded time; the input is seeded noise at −18 dBFS RMS.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
import torch

from .scoring import one_thread

MAX_WALL_S = 2.0
AUDIO_S = 4.0


def _signal(sample_rate: int, seconds: float) -> np.ndarray:
    rng = np.random.default_rng(0)
    return (rng.standard_normal(int(seconds * sample_rate)) * 10 ** (-18 / 20)).astype(np.float32)


def block_speed(forward: Callable[[torch.Tensor], torch.Tensor], history: int, block: int, sample_rate: int,
                max_wall: float = MAX_WALL_S) -> float:
    """× real time of `forward` on (history + block)-sample windows, hop `block` (history 0: a
    `forward` that carries its own state between consecutive blocks)."""
    x = torch.from_numpy(np.concatenate([np.zeros(history, np.float32), _signal(sample_rate, AUDIO_S)]))
    n = 0
    with one_thread(), torch.no_grad():
        t0 = time.perf_counter()
        for i in range(history, len(x) - block + 1, block):
            forward(x[i - history:i + block])
            n += 1
            if time.perf_counter() - t0 > max_wall:
                break
        wall = time.perf_counter() - t0
    return n * block / sample_rate / max(wall, 1e-9)


def render_speed(render: Callable[[np.ndarray, int], np.ndarray], block: int, sample_rate: int) -> float:
    """× real time of a renderer that streams internally in `block`-sample chunks (fxcore's models)."""
    x = _signal(sample_rate, 1.0)
    with one_thread():
        t0 = time.perf_counter()
        render(x, block)
        return len(x) / sample_rate / max(time.perf_counter() - t0, 1e-9)
