"""`auto`: the registered name of the model-selection step (fxcore.auto), so `model: auto` is checked
at config time like any model (its parameters are the selection's: candidates, trial_steps, good_enough).

It is never trained or rendered itself: `fxcore.auto.fit_effect` replaces it by the winning
family before building a model, and the model file holds the winner.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from ..errors import FxcoreError
from ..families import DEFAULT_CANDIDATES, FAMILIES
from .base import EffectModel, register_model

GOOD_ENOUGH = 1e-4  # a validation ESR this low is inaudible: the search ends there


@register_model("auto")
class AutoSelect(EffectModel):
    """Stands for `model: auto` in config checks; see fxcore.auto for the selection it stands for.

    params: candidates (family names from fxcore.families.FAMILIES; default all of them),
    trial_steps (optimiser steps per candidate before the ranking on the validation split; default
    each family's own, fxcore.families), good_enough (a validation ESR that ends the search early),
    continue_lr (the winner's learning rate, as a fraction of its recipe's, when it trains on from its
    trial's weights; default 1), continue_warmup (steps over which that rate rises linearly from 0;
    default 0).

    Why continue_lr defaults to 1: at the full rate the bench's drive-row winners first lose their
    trial's progress (validation ESR 2–2.6× worse 600 steps on, back after 1 200–1 800), so a lower
    rate looked like free time. It is not: on the dev pairs (`python -m bench.dev --variants
    auto_wh,auto_wh_lr03,auto_wh_lr01`, 120 s; `auto_echo,auto_echo_lr03`, 240 s; bench/results/dev.csv,
    2026-12-07) dev-set ESR at 1 / 0.3 / 0.1 was guitarix amp 0.053 / 0.098 / 0.131, AmpVTS + cab
    0.012 / 0.020 / 0.025, drive → echo 0.0074 / 0.0102.

    Why continue_warmup defaults to 0: a ramp from 0 to the full rate over 200 steps did not keep the
    trial's progress either — on the dev drive → echo the validation ESR still rose 12× (0.033 →
    0.41), only once the ramp passed ≈ 1.6e-3, 200 steps later than without it — and the dev-set ESR
    without / with it (`--variants auto_echo,auto_echo_wu200`, 240 s; `auto_wh,auto_wh_wu200`, 120 s;
    commit e996759) was drive → echo 0.0057 / 0.0067, guitarix amp 0.058 / 0.053, AmpVTS + cab 0.0105
    / 0.0104: within what one run differs from the next (the same budget gave 3 678–4 761 steps).
    """

    selects = True
    replaced_params: ClassVar[dict[str, str]] = {
        "trial_seconds": "write trial_steps: N (optimiser steps per candidate, the same on any machine) or "
                         "leave it out for each family's own count (fxcore/families.py)"}

    def __init__(self, sample_rate: int, candidates: list[str] | None = None, trial_steps: int | None = None,
                 good_enough: float = GOOD_ENOUGH, continue_lr: float = 1.0, continue_warmup: int = 0):
        super().__init__(sample_rate)
        self.candidates = list(candidates) if candidates is not None else list(DEFAULT_CANDIDATES)
        bad = [c for c in self.candidates if c not in FAMILIES]
        if bad or not self.candidates:
            raise FxcoreError(f"model 'auto': unknown candidate(s) {bad}", None,
                              f"use names from {', '.join(FAMILIES)}")
        if trial_steps is not None and not trial_steps > 0:
            raise FxcoreError("model 'auto': trial_steps must be > 0", None,
                              "set e.g. trial_steps: 100, or leave it out for each family's own count")
        self.trial_steps = int(trial_steps) if trial_steps is not None else None
        self.good_enough = float(good_enough)
        if not 0.0 < continue_lr <= 1.0:
            raise FxcoreError("model 'auto': continue_lr must be in (0, 1]", None,
                              "set e.g. continue_lr: 0.3 (a fraction of the winner's learning rate), or leave it out")
        self.continue_lr = float(continue_lr)
        if not (isinstance(continue_warmup, int) and continue_warmup >= 0):
            raise FxcoreError("model 'auto': continue_warmup must be a whole number of steps ≥ 0", None,
                              "set e.g. continue_warmup: 200, or leave it out")
        self.continue_warmup = continue_warmup
        self.register_buffer("unused", torch.zeros(1))

    def forward(self, x: torch.Tensor, state: Any = None, start: torch.Tensor | None = None):
        raise FxcoreError("model 'auto' is a selection step, not a model", None,
                          "train it with fxcore.auto.fit_effect, which replaces it by the chosen family")
