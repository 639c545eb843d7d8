"""`auto`: the registered name of the model-selection step (fxcore.auto), so `model: auto` is checked
at config time like any model (its parameters are the selection's: candidates, trial_seconds).

It is never trained or rendered itself: `fxcore.auto.fit_effect` replaces it by the winning
family before building a model, and the model file holds the winner.
"""

from __future__ import annotations

from typing import Any

import torch

from ..errors import FxcoreError
from ..families import DEFAULT_CANDIDATES, FAMILIES
from .base import EffectModel, register_model


@register_model("auto")
class AutoSelect(EffectModel):
    """Stands for `model: auto` in config checks; see fxcore.auto for the selection it stands for.

    params: candidates (family names from fxcore.families.FAMILIES; default all), trial_seconds
    (gradient-descent seconds per candidate before the ranking on the validation split),
    good_enough (a validation ESR that ends the search early).
    """

    selects = True

    def __init__(self, sample_rate: int, candidates: list[str] | None = None, trial_seconds: float = 8.0,
                 good_enough: float = 1e-4):
        super().__init__(sample_rate)
        self.candidates = list(candidates) if candidates is not None else list(DEFAULT_CANDIDATES)
        bad = [c for c in self.candidates if c not in FAMILIES]
        if bad or not self.candidates:
            raise FxcoreError(f"model 'auto': unknown candidate(s) {bad}", None,
                              f"use names from {', '.join(FAMILIES)}")
        if not trial_seconds > 0:
            raise FxcoreError("model 'auto': trial_seconds must be > 0", None, "set e.g. trial_seconds: 8")
        self.trial_seconds, self.good_enough = float(trial_seconds), float(good_enough)
        self.register_buffer("unused", torch.zeros(1))

    def forward(self, x: torch.Tensor, state: Any = None, start: torch.Tensor | None = None):
        raise FxcoreError("model 'auto' is a selection step, not a model", None,
                          "train it with fxcore.auto.fit_effect, which replaces it by the chosen family")
