"""The seed report's two samplers, seeded and resumable.

* `RandomWindowSampler`: independent random windows (for convolutional and short-memory models).
* `RandomSequentialSampler`: each batch row walks `sequence_chunks` consecutive chunks of one
  track (truncated back-propagation through time carries the state across them), then jumps to a
  new random place — the seed's `randomSequentialSampler`, which kept LSTMs from overfitting to a
  linear pass through the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .shards import Dataset, Region


@dataclass
class Batch:
    """x, y: (B, T) float32; start: (B,) index of column 0 within its track; reset: state restarts."""

    x: torch.Tensor
    y: torch.Tensor
    start: torch.Tensor
    reset: bool


class _Sampler:
    def __init__(self, data: Dataset, regions: list[Region], length: int, batch_size: int, seed: int):
        self.data, self.length, self.batch_size = data, length, batch_size
        self.regions = [r for r in regions if r.length >= length]
        if not self.regions:
            raise ValueError(f"no training region is {length} samples long; lower train.segment_samples")
        weights = np.array([r.length - length + 1 for r in self.regions], dtype=np.float64)
        self.p = weights / weights.sum()
        self.rng = np.random.default_rng(seed)

    def _random_position(self) -> tuple[Region, int]:
        r = self.regions[self.rng.choice(len(self.regions), p=self.p)]
        return r, int(self.rng.integers(r.start, r.stop - self.length + 1))

    def _window(self, r: Region, pos: int) -> tuple[np.ndarray, np.ndarray]:
        return (np.asarray(self.data.clean(r.track)[pos:pos + self.length]),
                np.asarray(self.data.target(r.track)[pos:pos + self.length]))

    def _stack(self, windows: list[tuple[np.ndarray, np.ndarray]], starts: list[int], reset: bool) -> Batch:
        return Batch(torch.from_numpy(np.stack([w[0] for w in windows]).astype(np.float32)),
                     torch.from_numpy(np.stack([w[1] for w in windows]).astype(np.float32)),
                     torch.tensor(starts, dtype=torch.long), reset)

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume the exact same stream of batches."""
        return {"rng": self.rng.bit_generator.state}

    def load_state_dict(self, d: dict[str, Any]) -> None:
        """Restore the stream saved by `state_dict`."""
        self.rng.bit_generator.state = d["rng"]


class RandomWindowSampler(_Sampler):
    """Batches of independent windows drawn uniformly over the split's regions."""

    def next(self) -> Batch:
        """Draw the next batch."""
        picks = [self._random_position() for _ in range(self.batch_size)]
        return self._stack([self._window(r, p) for r, p in picks], [p for _, p in picks], reset=True)


class RandomSequentialSampler(_Sampler):
    """Batches whose rows continue where the previous batch ended, for `chunks` batches, then jump."""

    def __init__(self, data: Dataset, regions: list[Region], length: int, batch_size: int, seed: int,
                 chunks: int):
        super().__init__(data, regions, length * chunks, batch_size, seed)
        self.chunk, self.chunks = length, chunks
        self.cursor: list[tuple[Region, int]] = []
        self.step = 0

    def next(self) -> Batch:
        """Draw the next batch; `reset` is True on the first chunk of a new sequence."""
        reset = self.step % self.chunks == 0
        if reset:
            self.cursor = [self._random_position() for _ in range(self.batch_size)]
        k = self.step % self.chunks
        self.step += 1
        wins, starts = [], []
        for r, p in self.cursor:
            s = p + k * self.chunk
            wins.append((np.asarray(self.data.clean(r.track)[s:s + self.chunk]),
                         np.asarray(self.data.target(r.track)[s:s + self.chunk])))
            starts.append(s)
        return self._stack(wins, starts, reset)

    def state_dict(self) -> dict[str, Any]:
        return {"rng": self.rng.bit_generator.state, "step": self.step,
                "cursor": [(r.track, r.split, r.start, r.stop, p) for r, p in self.cursor]}

    def load_state_dict(self, d: dict[str, Any]) -> None:
        self.rng.bit_generator.state = d["rng"]
        self.step = d["step"]
        self.cursor = [(Region(t, s, a, b), p) for t, s, a, b, p in d["cursor"]]
