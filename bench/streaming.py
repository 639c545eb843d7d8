"""Streaming speed: × real time when audio arrives in blocks of 64 or 512 samples, on one thread.

Each system streams the way its model can: fxcore's models carry their state from block to block
(`EffectModel.render(chunk=block)`, the same path its LV2 export mirrors in C); a NAM WaveNet runs
its forward on the block plus the receptive-field history it needs; a NAM LSTM carries (h, c).
Timing stops after `max_wall` seconds or `seconds` of audio, whichever comes first, so a slow
system costs bounded time; the input is seeded noise at −18 dBFS RMS.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
import torch

MAX_WALL_S = 2.0
AUDIO_S = 4.0


def _signal(sample_rate: int, seconds: float) -> np.ndarray:
    rng = np.random.default_rng(0)
    return (rng.standard_normal(int(seconds * sample_rate)) * 10 ** (-18 / 20)).astype(np.float32)


def _timed(blocks: Callable[[], bool], block: int, sample_rate: int, max_wall: float) -> float:
    """Call `blocks()` (one block each, False when the audio is used up) until max_wall; × real time."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    n, t0 = 0, time.perf_counter()
    try:
        with torch.no_grad():
            while blocks():
                n += 1
                if time.perf_counter() - t0 > max_wall:
                    break
    finally:
        torch.set_num_threads(threads)
    return n * block / sample_rate / max(time.perf_counter() - t0, 1e-9)


def windowed_speed(forward: Callable[[torch.Tensor], torch.Tensor], history: int, block: int, sample_rate: int,
                   max_wall: float = MAX_WALL_S) -> float:
    """× real time of `forward` on (history + block)-sample windows, hop `block`."""
    x = torch.from_numpy(np.concatenate([np.zeros(history, np.float32), _signal(sample_rate, AUDIO_S)]))
    pos = [history]

    def one() -> bool:
        i = pos[0]
        if i + block > len(x):
            return False
        forward(x[i - history:i + block])
        pos[0] = i + block
        return True

    return _timed(one, block, sample_rate, max_wall)


def stateful_speed(step: Callable[[torch.Tensor], torch.Tensor], block: int, sample_rate: int,
                   max_wall: float = MAX_WALL_S) -> float:
    """× real time of `step` on consecutive blocks (it carries its own state)."""
    x = torch.from_numpy(_signal(sample_rate, AUDIO_S))
    pos = [0]

    def one() -> bool:
        i = pos[0]
        if i + block > len(x):
            return False
        step(x[i:i + block])
        pos[0] = i + block
        return True

    return _timed(one, block, sample_rate, max_wall)


def render_speed(render: Callable[[np.ndarray, int], np.ndarray], block: int, sample_rate: int) -> float:
    """× real time of a renderer that streams internally in `block`-sample chunks (fxcore's models)."""
    x = _signal(sample_rate, 1.0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        t0 = time.perf_counter()
        render(x, block)
        return len(x) / sample_rate / max(time.perf_counter() - t0, 1e-9)
    finally:
        torch.set_num_threads(threads)
