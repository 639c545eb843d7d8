"""The torch side of grey-box models whose recursion runs per sample in numba (`phaser`, `flanger`).

Their structure (LFO, sweep, delays, feedback) is fitted in `initialise` — closed-form analysis,
then `polish`, a Nelder–Mead search that simulates the recursion at every point — and gradient
descent trains only the mix: y = dry·x + wet·w, with w from the subclass's `_wet` (numpy, float64)
for each batch row from its absolute start. Not differentiated, so the state needs no detaching.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import torch
from scipy.optimize import minimize

from .base import EffectModel
from .greybox_dsp import dry_wet_fit


class PerSampleModel(EffectModel):
    """y = dry·x + wet·w, w = `_wet(x, start, state)` per batch row; subclasses define `_wet`, `estimate`,
    the float64 buffer `lfo`, the parameters dry and wet, and which of the estimate's keys fill them."""

    LFO_KEYS: ClassVar[tuple[str, ...]] = ()   # the estimate's values stored in `lfo`, in order
    STRUCTURE: ClassVar[tuple[str, ...]] = ()  # the estimate's values stored in buffers of the same name
    lfo: torch.Tensor
    dry: torch.nn.Parameter
    wet: torch.nn.Parameter

    def estimate(self, clean: np.ndarray, target: np.ndarray) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError

    @torch.no_grad()
    def initialise(self, clean: np.ndarray, target: np.ndarray) -> None:
        q = self.estimate(clean, target)
        self.lfo.copy_(torch.tensor([float(q[k]) for k in self.LFO_KEYS], dtype=torch.float64))
        for name in self.STRUCTURE:
            getattr(self, name).fill_(q[name])
        self.dry.fill_(q["dry"])
        self.wet.fill_(q["wet"])

    def _wet(self, x: np.ndarray, t0: int, state: Any) -> tuple[np.ndarray, Any]:  # pragma: no cover
        raise NotImplementedError

    def forward(self, x: torch.Tensor, state: Any = None, start: torch.Tensor | None = None):
        b = x.shape[0]
        starts = start.tolist() if start is not None else [0] * b
        states = state if state is not None else [None] * b
        ws, new = [], []
        for i in range(b):
            w, st = self._wet(x[i].detach().cpu().double().numpy(), int(starts[i]), states[i])
            ws.append(torch.from_numpy(w))
            new.append(st)
        w = torch.stack(ws).to(x.dtype).to(x.device)
        return self.dry * x + self.wet * w, new

    def detach_state(self, state: Any) -> Any:
        return state


def take_excerpts(clean: np.ndarray, target: np.ndarray, count: int, length: int,
                  span: int) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """`count` excerpts (start, x, y) of `length` samples (float64), their starts spread evenly over the first
    `span` samples: the pieces a search simulates, each from its absolute start (an LFO's phase)."""
    starts = np.linspace(0, max(span - length, 0), max(count, 1)).astype(int)
    return [(int(a), np.asarray(clean[a:a + length], np.float64), np.asarray(target[a:a + length], np.float64))
            for a in starts]


def mix_fit(pieces: list[tuple[int, np.ndarray, np.ndarray]], settle: int,
            wet: Callable[[int, np.ndarray], np.ndarray]) -> tuple[float, float, float]:
    """(ESR, dry, wet) of the least-squares mix over excerpts (start, x, y), w = wet(start, x) from zero
    state, the first `settle` samples of each excerpt left out (the state filling up)."""
    ws = [wet(t0, x)[settle:] for t0, x, _ in pieces]
    return dry_wet_fit(np.concatenate([x[settle:] for _, x, _ in pieces]), np.concatenate(ws),
                       np.concatenate([y[settle:] for _, _, y in pieces]))


def voice_mean(run: Callable[[int, Any], tuple[np.ndarray, Any]], states: list) -> tuple[np.ndarray, list]:
    """(the mean over voices v of run(v, states[v])'s output, their new states): voices summed, then ÷ count."""
    outs = [run(v, st) for v, st in enumerate(states)]
    return np.sum([w for w, _ in outs], axis=0) / len(outs), [st for _, st in outs]


def polish(cost: Callable[[np.ndarray], float], start: np.ndarray, steps: list[float]) -> tuple[np.ndarray, float]:
    """Nelder–Mead from `start` (initial simplex: start + each step along its axis, 150 evaluations per
    dimension); returns (point, cost) — the start itself if the search found nothing lower."""
    fit = minimize(cost, start, method="Nelder-Mead",
                   options={"maxfev": 150 * len(start), "xatol": 1e-5, "fatol": 1e-7,
                            "initial_simplex": np.vstack([start, start + np.diag(steps)])})
    at_start = cost(start)
    return (fit.x, float(fit.fun)) if fit.fun < at_start else (start, at_start)
