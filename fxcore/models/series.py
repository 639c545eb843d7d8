"""`series`: two models in a row, y = second(first(x)) — an effect chain as its own composition.

A drive into an echo is y = h ∗ D(x): a nonlinearity, then a long linear block. Neither family
alone has that shape — a Wiener–Hammerstein net's filters are a few hundred taps long, an `ir`
is linear, and a `hybrid` (block, then a short correction) puts the echo first, so the echoes of
the drive's harmonics are out of its reach (SoX `overdrive 15 20` → `echo 0.8 0.6 220 0.4`
measured ESR 0.13 with hybrid(ir)). In series each stage keeps its own structure:

    u = first(x)          e.g. wiener_hammerstein: the drive (filters + pointwise MLP)
    y = second(u)         e.g. ir: the echo as one long impulse response

`initialise` fits the stages in order, each with its own closed form: `first` on (x, y) — for a
Wiener–Hammerstein net, the least-squares linear path, i.e. the direct sound of a drive → echo —
then `second` on (first(x), y) — the LS impulse response from that to the target, which holds
the echo taps (on 6 s of that SoX pair: a tap at 220.0 ms, 0.41× the direct one's RMS over 64
taps). Training then learns the drive's nonlinearity through the echo. Two things make that
work (`model: auto`'s `drive_then_echo`, fxcore.families): consecutive short chunks (the `ir`'s
state carries the drive's past output, so the echoes from before a chunk are in its forward pass
without a window as long as the echo), and IR taps that can move (tap_scale 0.2, not the `ir`'s
1e-3: the least-squares IR, fitted before the drive's nonlinearity was learned, is biased, and at
1e-3 it stayed there). On a 12 s SoX overdrive → echo pair, 400 steps in 32 768-sample windows
with neither reached 0.52 where the drive alone reached 0.31; with both, on SoX `overdrive 18 25`
→ `echo 0.7 0.6 300 0.45` over FluidSynth audio, 0.0043 in 120 s (hybrid(ir): 0.136).

The reverse order (a modulation or delay, then a nonlinearity) is the same model with the
stages swapped.

Streaming: the state is (first's state, second's state); the receptive field and look-ahead add.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..errors import FxcoreError
from .base import EffectModel, build_model, register_model

Stage = dict[str, Any]


def _stage(spec: Stage | None, which: str, sample_rate: int) -> EffectModel:
    """{name, params} → the stage's model (one-line errors for a malformed spec or a nested series)."""
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise FxcoreError(f"model 'series': {which} must be {{name: MODEL, params: {{...}}}}", None,
                          f"e.g. {which}: {{name: wiener_hammerstein, params: {{}}}}")
    if spec["name"] in ("series", "auto"):
        raise FxcoreError(f"model 'series': {which} cannot be {spec['name']!r}", None,
                          "name a model family (wiener_hammerstein, ir, feedback_delay, chorus, ...)")
    return build_model(spec["name"], dict(spec.get("params") or {}), sample_rate)


@register_model("series")
class Series(EffectModel):
    """second(first(x)), each stage a registered model; see the module docstring.

    params: first, second ({name, params} of a model each).
    """

    def __init__(self, sample_rate: int, first: Stage | None = None, second: Stage | None = None):
        super().__init__(sample_rate)
        self.first = _stage(first or {"name": "wiener_hammerstein", "params": {}}, "first", sample_rate)
        self.second = _stage(second or {"name": "ir", "params": {"seconds": 1.0}}, "second", sample_rate)

    @property
    def receptive_field(self) -> int:
        return self.first.receptive_field + self.second.receptive_field - 1

    @property
    def lookahead(self) -> int:
        return self.first.lookahead + self.second.lookahead

    @property
    def recurrent(self) -> bool:
        return self.first.recurrent or self.second.recurrent

    @property
    def memory_samples(self) -> int:
        """How far back the output depends on the input (the stages' memories add)."""
        return sum(getattr(m, "memory_samples", m.receptive_field) for m in (self.first, self.second))

    def forward(self, x: torch.Tensor, state: Any = None, start: torch.Tensor | None = None):
        s1, s2 = state if state is not None else (None, None)
        u, s1 = self.first(x, s1, start)
        y, s2 = self.second(u, s2, start)
        return y, (s1, s2)

    def detach_state(self, state: Any) -> Any:
        if state is None:
            return None
        return self.first.detach_state(state[0]), self.second.detach_state(state[1])

    def initialise(self, clean: np.ndarray, target: np.ndarray) -> None:
        """First on (x, y), then second on (first(x), y): each stage's own closed-form fit."""
        self.first.initialise(clean, target)
        self.second.initialise(self.first.render(np.asarray(clean, dtype=np.float32)), target)

    def diagnostics(self, clean: np.ndarray, target: np.ndarray) -> list[dict[str, Any]]:
        """The first stage's curves, then the second's measured on the first stage's output."""
        u = self.first.render(np.asarray(clean, dtype=np.float32))
        return self.first.diagnostics(clean, target) + self.second.diagnostics(u, target)
