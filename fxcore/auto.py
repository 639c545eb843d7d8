"""`model: auto` — pick the model family for an effect from its data, then train the winner.

Each candidate family is a model with its own training recipe (`FAMILIES`: a grey-box model's
windows must hold its memory — 1.5 s for a reverb's IR, 0.1 s for a chorus). Selection:

1. Every candidate is built and fitted on the train split by its closed-form `initialise` (LTI
   least squares for `ir`, echo analysis for `feedback_delay`, LFO estimation for `chorus` /
   `tremolo` / `phaser`, the linear path of `wiener_hammerstein`), then trained for a short trial
   (`trial_seconds` of gradient descent, learning rate decayed over the trial) and scored on the
   validation split by ESR — the same score the trainer keeps its best weights by.
2. A costlier refinement of a family (`after`: the flanger is the chorus with feedback, whose
   recursion runs in blocks shorter than the delay — measured 49 s for a 1 s trial against the
   chorus's 14 s) is tried only if that family leads the ranking.
3. A candidate whose initialisation fails (e.g. an LFO analysis that finds no modulation in the
   audio) is ranked last with its error, not fatal.
4. Candidates are tried cheapest first; once one reaches a validation ESR ≤ `good_enough`
   (1e-4: inaudible), the rest are not tried — an EQ or a tremolo is settled in seconds.
5. The winner is the lowest validation ESR. Training goes on from its weights after the trial
   (its closed-form fit is not repeated). Its recipe replaces the effect's window settings;
   the effect's own stopping rules (max_steps, max_seconds, lr_schedule) still apply, with the
   selection's wall time taken off a time budget (`lr_schedule: budget`).

The ranking — family, validation ESR, seconds (initialise + trial) — goes into train.json
(`auto_ranking`) and a page of report.pdf.

Why a trial rather than the initialisation alone: at initialisation a Wiener–Hammerstein net is
its least-squares linear path, i.e. exactly the `ir` fit with a shorter filter, so a distortion
would be ranked as "linear" — its nonlinear branch needs a few hundred steps to show (measured
on a SoX overdrive: linear-only ESR 0.10, after 8 s of training 0.01).
"""

from __future__ import annotations

import logging
import math
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .config import ModelConfig, Recipe
from .errors import FxcoreError

log = logging.getLogger("fxcore.auto")


@dataclass(frozen=True)
class Family:
    """A candidate: model name + params, and the training keys it needs (windows, lr, validation rate)."""

    model: ModelConfig
    train: dict[str, Any] = field(default_factory=dict)
    after: str | None = None  # tried only if this family leads the ranking so far (a costlier refinement)


LONG = {"segment_samples": 131072, "warmup_samples": 48000, "batch_size": 4, "lr": 1e-3, "val_every": 25,
        "max_steps": 150}
# The chorus families search delays down to 0.05 ms: SoX's `chorus` sweeps its delay over 0…depth
# only (its `delay` argument sets the buffer length; measured with impulses: SoX `chorus 0.7 0.9 30
# 0.5 0.5 2 -s` delays by 0.04–2.0 ms at 0.5 Hz); with the default 1 ms floor the analysis missed
# half the sweep (ESR 0.24), with 0.05 ms it finds centre 1.00 ms, depth 1.00 ms, 0.49999 Hz
# (ESR 0.008 before any training). 40 ms bounds the search (its cost grows with the range).
# Not the flanger: with feedback the recursion runs in blocks shorter than the shortest delay, and
# at a 0.05 ms floor those are 1 sample long — a 1.7 s trial did not finish in 10 minutes.
# In order of cost (cheapest closed-form fits first), so `good_enough` can end the search early.
FAMILIES: dict[str, Family] = {
    "tremolo": Family(ModelConfig("tremolo", {}), {"segment_samples": 16384, "batch_size": 8, "val_every": 50,
                                                   "max_steps": 300}),
    "ir": Family(ModelConfig("ir", {"seconds": 2.0}), LONG),
    "feedback_delay": Family(ModelConfig("feedback_delay", {}), {**LONG, "segment_samples": 98304}),
    "wiener_hammerstein": Family(ModelConfig("wiener_hammerstein", {}), {"segment_samples": 4096, "batch_size": 8}),
    "dynamics": Family(ModelConfig("wiener_hammerstein", {"dynamics": True}),
                       {"segment_samples": 24000, "warmup_samples": 12000, "max_steps": 1500}),
    "chorus": Family(ModelConfig("chorus", {"max_delay_ms": 40.0, "min_delay_ms": 0.05}), {"segment_samples": 16384, "batch_size": 8,
                                                                       "val_every": 50, "max_steps": 300}),
    "drive_then_echo": Family(ModelConfig("hybrid", {"block": "ir", "block_params": {"seconds": 1.0}}),
                              {**LONG, "segment_samples": 65536, "max_steps": 1500}),
    "flanger": Family(ModelConfig("chorus", {"max_delay_ms": 20.0, "min_delay_ms": 1.0, "learn_feedback": True}),
                      {"segment_samples": 8192, "batch_size": 8, "val_every": 50, "max_steps": 300}, after="chorus"),
}
# `flanger` is left out of the default list (name it in `candidates` to try it): its feedback
# recursion runs in Python-level blocks shorter than the delay, and one trial with validation
# renders of 16 s took over 8 minutes on a shared 2-core CPU.
DEFAULT_CANDIDATES = tuple(f for f in FAMILIES if f != "flanger")


def family_recipe(recipe: Recipe, family: str) -> Recipe:
    """The effect's recipe with `family`'s model and training keys.

    A grey-box family's `max_steps` (it converges in a few hundred steps) applies only to a
    step-scheduled run; under `lr_schedule: budget` the effect's own stop is kept, so every
    system of a time-budgeted comparison gets the same budget.
    """
    fam = FAMILIES[family]
    keys = dict(fam.train)
    if recipe.train.lr_schedule == "budget":
        keys.pop("max_steps", None)
    return replace(recipe, model=fam.model, train=replace(recipe.train, **keys))


def select_family(dataset_dir: str | Path, recipe: Recipe, seed: int, candidates: list[str] | tuple[str, ...],
                  trial_seconds: float, good_enough: float = 1e-4
                  ) -> tuple[str, list[dict[str, Any]], dict[str, Any] | None]:
    """Fit and trial every candidate (see the module docstring).

    Returns (winner, ranking best first, the winner's weights after its trial): training goes on
    from those weights rather than repeating the winner's initialisation.
    """
    from .model_io import MODEL_FILENAME, load_model
    from .train import train_effect  # a cycle otherwise: train dispatches `auto` here

    unknown = [c for c in candidates if c not in FAMILIES]
    if unknown or not candidates:
        raise FxcoreError(f"unknown auto candidate(s) {unknown}", None, f"use names from {', '.join(FAMILIES)}")
    ranking: list[dict[str, Any]] = []
    best_state: dict[str, Any] | None = None
    order = list(FAMILIES)
    for name in sorted(candidates, key=order.index):
        lead = min(ranking, key=lambda r: r["val_esr"])["family"] if ranking else None
        if ranking and min(r["val_esr"] for r in ranking) <= good_enough:
            log.info("auto: %s leads with val ESR ≤ %g: the rest are not tried", lead, good_enough)
            break
        if FAMILIES[name].after is not None and FAMILIES[name].after in candidates and lead != FAMILIES[name].after:
            log.info("auto: %s skipped (%s does not lead)", name, FAMILIES[name].after)
            continue
        trial = family_recipe(recipe, name)
        trial = replace(trial, train=replace(trial.train, max_steps=10**7, max_seconds=float(trial_seconds),
                                             lr_schedule="budget", patience=10**9, checkpoint_every=10**9))
        t0 = time.perf_counter()
        try:
            with tempfile.TemporaryDirectory(prefix="fxcore-auto-") as tmp:
                facts = train_effect(dataset_dir, trial, tmp, seed, checkpoint_dir=tmp, progress=False)
                val, note = float(facts["best_val_esr"]), ""
                if not ranking or val < min(r["val_esr"] for r in ranking):
                    best_state = load_model(Path(tmp) / MODEL_FILENAME).state_dict()
        except (ValueError, RuntimeError, FxcoreError) as exc:  # an analysis that finds nothing to fit
            val, note = math.inf, f"{type(exc).__name__}: {exc}"[:200]
        row = {"family": name, "model": trial.model.name, "params": trial.model.params, "val_esr": val,
               "seconds": round(time.perf_counter() - t0, 2)}
        if note:
            row["error"] = note
        log.info("auto: %s val ESR %.4g in %.1f s", name, val, row["seconds"])
        ranking.append(row)
    ranking.sort(key=lambda r: r["val_esr"])
    if not math.isfinite(ranking[0]["val_esr"]):
        raise FxcoreError("model: auto could not fit any candidate family", None,
                          "check the dataset (silent or misaligned target?) or name a model")
    for r in ranking:  # strict JSON in train.json: a failed candidate has no score
        if not math.isfinite(r["val_esr"]):
            r["val_esr"] = None
    return ranking[0]["family"], ranking, best_state
