"""Held-out scoring shared by every system: metrics on the test split and the real-time factor."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np
import torch

from fxcore.dataset import Dataset
from fxcore.metrics import evaluate

# Each test region is rendered with this much of the audio before it, so long-memory effects
# (reverb tails, an LFO's phase, a compressor's envelope) start from the state the target had.
PREROLL_S = 2.0

Renderer = Callable[[np.ndarray, int], np.ndarray]  # (clean from sample `start` on, start) → output


@dataclass
class Result:
    """One row of the benchmark table."""

    pair: str
    effect: str
    system: str
    model: str
    parameters: int
    seconds: float
    epochs: float
    metrics: dict = field(default_factory=dict)
    realtime_factor: float = float("nan")
    steps: int = 0                                       # optimiser steps taken
    stream: dict = field(default_factory=dict)           # block size → × real time, streaming


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run the block on one torch thread (every speed in the benchmarks is a one-thread figure)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def score(render: Renderer, dataset: Dataset) -> tuple[dict, float]:
    """Metrics of `render` on the test split (evaluate()), and its speed in × real time on 1 thread."""
    with one_thread():
        cleans, targets, preds, audio_s, wall = [], [], [], 0.0, 0.0
        for r in dataset.split("test"):
            pre = min(r.start, int(PREROLL_S * dataset.sample_rate))
            x = np.asarray(dataset.clean(r.track)[r.start - pre:r.stop], dtype=np.float32)
            t0 = time.perf_counter()
            y = render(x, r.start - pre)
            wall += time.perf_counter() - t0
            audio_s += len(x) / dataset.sample_rate
            preds.append(np.asarray(y, dtype=np.float32)[pre:])
            cleans.append(x[pre:])
            targets.append(np.asarray(dataset.target(r.track)[r.start:r.stop], dtype=np.float32))
    metrics = evaluate(np.concatenate(cleans), np.concatenate(targets), np.concatenate(preds), dataset.sample_rate)
    return metrics, audio_s / max(wall, 1e-9)
