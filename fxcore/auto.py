"""`model: auto` — pick the model family for an effect from its data, then train the winner.

Each candidate family is a model with its own training recipe (`FAMILIES`: a grey-box model's
windows must hold its memory — 1.5 s for a reverb's IR, 0.1 s for a chorus). Selection:

1. Every candidate is built and fitted on the train split by its closed-form `initialise` (LTI
   least squares for `ir`, echo analysis for `feedback_delay`, LFO estimation for `chorus` /
   `tremolo` / `phaser`, the linear path of `wiener_hammerstein`), then trained for a short trial
   (`trial_steps` optimiser steps — each family's own count by default, fxcore.families — with the
   learning rate decayed over them by `lr_schedule: steps`) and scored on the validation split by
   ESR — the same score the trainer keeps its best weights by. A trial is a step count, not a
   time, so the ranking is the same on any machine under any load; the effect's `max_seconds`
   only caps a trial as a safety net (with the trainer's warning if it ever binds).
2. A costlier refinement of a family (`after`: the net with output high-passes after the one with
   input high-passes; the multichorus, 4 voices with one analysis each,
   after the chorus; the flanger and the phaser, whose fits simulate their recursions many times
   — 16 s and 35–50 s against the chorus's 6 s — after either delay line; the compressor, a grid of
   198 curve fits, after wiener_hammerstein or dynamics; the drive → echo series, an IR fit (3 s, 25 s
   before ls_fir's short products) and 300 steps of 55 ms, after the `ir` — the echo's linear part alone; the
   feedback delay, an LTI echo in parametric form whose 75 steps took 11–16 s, after the `ir`) is tried only if one of
   those families leads the ranking or comes within `AFTER_MARGIN` (1.25×) of the leader's
   validation ESR: on SoX's 3-voice chorus the 1-voice chorus scored 0.378 against a tremolo's
   0.353 — every family fits a 3-voice chorus badly, the right one only a little less so. They are
   also tried when the leader leaves more than `NOTHING_FITS` (half) of the do-nothing error (the
   clean input's validation ESR, or silence's 1 where that is lower): then no family has found the
   effect's structure.
3. A family whose trial only refines its closed-form fit (`refines`) is given up before its first
   step when the fit's validation ESR is over `GIVE_UP` (10×) the leader's rank; it is ranked by that
   score.
4. A candidate whose initialisation fails (e.g. an LFO analysis that finds no modulation in the
   audio) is ranked last with its error, not fatal.
5. Candidates are tried cheapest first; once one reaches a validation ESR ≤ `good_enough`
   (1e-4: inaudible), the rest are not tried — an EQ or a tremolo is settled in seconds.
6. The winner is the lowest validation ESR, times the family's `handicap` (1 but for the flat
   Wiener–Hammerstein net, 4: a validation split without sub-bass cannot test its extrapolation
   there; and the net with output high-passes, 1.15: it must beat its base by more than a coin
   toss; fxcore.families). Step 2's "leads" is by this rank too. Training goes on from its weights after the trial
   (its closed-form fit is not repeated). Its recipe replaces the effect's window settings;
   the effect's own stopping rules (max_steps, max_seconds, lr_schedule) still apply. Only under
   a time budget (`lr_schedule: budget`) is the selection's wall time taken off it; under
   `lr_schedule: steps` nothing measured in seconds enters, and the same config gives the same
   model file, byte for byte.

The ranking — family, validation ESR (after the trial, and the fit's alone: `fit_esr`), trial steps,
seconds (initialise + trial) — goes into
train.json (`auto_ranking`) and a page of report.pdf; the model file's copy leaves the seconds out.

Why a trial rather than the initialisation alone: at initialisation a Wiener–Hammerstein net is
its least-squares linear path, i.e. exactly the `ir` fit with a shorter filter, so a distortion
would be ranked as "linear" — its nonlinear branch needs a few hundred steps to show (measured
on a SoX overdrive: linear-only ESR 0.10, after 8 s of training (≈ 900 steps of 9 ms) 0.01; after
its default 600-step trial 0.013 on the 12 s overdrive render of tests/test_generalise.py).
"""

from __future__ import annotations

import logging
import math
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from .config import EffectConfig, Recipe
from .dataset import Dataset
from .errors import FxcoreError
from .families import FAMILIES, family_recipe
from .model_io import MODEL_FILENAME, load_model
from .metrics import esr
from .models import build_model
from .models.auto import GOOD_ENOUGH
from .train import train_effect

log = logging.getLogger("fxcore.auto")


AFTER_MARGIN = 1.25
# When the best family so far leaves more than this fraction of the do-nothing error — the clean
# input's validation ESR, or 1 (silence) where that is lower — none has found the effect's structure,
# and the gated families are tried whatever their bases scored: on Calf Flanger (feedback 0.5,
# stereo) the best cheap family (`dynamics`) left 0.104 of the clean input's ≈ 0.16, the 1-voice
# chorus was 1.26× behind it, and the flanger fits it to 1e-10. Silence caps the reference because a
# clean input can score far above 1: guitarix's flanger and phaser LV2 at their defaults give 1.86 and
# 1.72, so leads of 0.91 and 0.65 (a compressor, a tremolo: nothing fitted) passed as "fits" against
# half of those and the flanger and phaser were never tried. Against silence (scratch runs on 4 s
# pieces of fxcore.material, 20-step trials, 30 s budgets): the flanger family then fits guitarix's
# flanger to 0.092 on validation (held out 1.05 → 0.085); on its phaser the 4-voice chorus leads at
# 0.29 (held out 0.76 → 0.53) and the phaser family scores 1.11 — that plugin fits no family yet.
NOTHING_FITS = 0.5
# A family whose trial only refines its closed-form fit (`refines` in fxcore.families: the LFO and
# delay analyses, least squares, the compressor's grid) takes no step when that fit's validation ESR
# is over GIVE_UP × the leader's rank: its 20–300 steps polish a mix, FIRs or a curve and do not
# find a structure the analysis missed. Validation rankings of the bench (train.json `fit_esr`,
# 2026-12-07): on its drive rows the chorus's fit was 4–69× behind the leader, the compressor's
# 5–76×; polishing can still be worth 4× — the chorus's 300 steps took SoX EQ → chorus from 0.0023
# to 0.00053 (where it led anyway) — so the margin is 10, not the 3 first run on the drive rows.
GIVE_UP = 10.0


def rank_esr(row: dict[str, Any]) -> float:
    """What a trial is ranked by: its validation ESR × its family's handicap."""
    return row["val_esr"] * FAMILIES[row["family"]].handicap


def _close_to_lead(ranking: list[dict[str, Any]], family: str) -> bool:
    """True if `family` was tried and its rank (validation ESR × handicap) is within AFTER_MARGIN of the best so far.

    By rank, not raw ESR, as the winner is chosen: on the dev guitarix amp the flat net's trial led the
    one with input high-passes 1.97× raw and trailed it 2× by rank, so the raw gate never tried the
    output high-passes that refine the latter (fxcore.families.WH_AMP).
    """
    tried = [rank_esr(r) for r in ranking if r["family"] == family]
    return bool(tried) and tried[0] <= AFTER_MARGIN * min(map(rank_esr, ranking))


def _gated(ranking: list[dict[str, Any]], family: str, candidates: list[str] | tuple[str, ...],
           clean_esr: float = math.inf) -> str:
    """The families `family` waits for ("a or b"), if none is close to the lead and the lead fits; "" to try it.

    `clean_esr`: the clean input's validation ESR (the lead "fits" below NOTHING_FITS of it, or of 1).
    """
    bases = [b for b in FAMILIES[family].after if b in candidates]
    if not bases or any(_close_to_lead(ranking, b) for b in bases):
        return ""
    lead = min((r["val_esr"] for r in ranking), default=math.inf)
    return "" if lead > NOTHING_FITS * min(clean_esr, 1.0) else " or ".join(bases)


def clean_val_esr(dataset_dir: str | Path) -> float:
    """The validation ESR of the clean input taken as the prediction (the do-nothing baseline)."""
    data = Dataset(dataset_dir)
    return esr(data.concat("val", "clean"), data.concat("val", "target"))


def select_family(dataset_dir: str | Path, recipe: Recipe, seed: int, candidates: list[str] | tuple[str, ...],
                  trial_steps: int | None = None, good_enough: float = GOOD_ENOUGH
                  ) -> tuple[str, list[dict[str, Any]], dict[str, Any] | None]:
    """Fit and trial every candidate for `trial_steps` steps (None: each family's own; see the module docstring).

    Returns (winner, ranking best first, the winner's weights after its trial): training goes on
    from those weights rather than repeating the winner's initialisation.
    """
    unknown = [c for c in candidates if c not in FAMILIES]
    if unknown or not candidates:
        raise FxcoreError(f"unknown auto candidate(s) {unknown}", None, f"use names from {', '.join(FAMILIES)}")
    ranking: list[dict[str, Any]] = []
    best_state: dict[str, Any] | None = None
    order = list(FAMILIES)
    clean = clean_val_esr(dataset_dir)
    for name in sorted(candidates, key=order.index):
        lead = min(ranking, key=lambda r: r["val_esr"])["family"] if ranking else None
        if ranking and min(r["val_esr"] for r in ranking) <= good_enough:
            log.info("auto: %s leads with val ESR ≤ %g: the rest are not tried", lead, good_enough)
            break
        gate = _gated(ranking, name, candidates, clean)
        if gate:
            log.info("auto: %s skipped (%s not within %g× of the leader, which fits)", name, gate, AFTER_MARGIN)
            continue
        trial = trial_recipe(recipe, name, trial_steps)
        give_up = GIVE_UP * min(map(rank_esr, ranking)) / FAMILIES[name].handicap \
            if ranking and FAMILIES[name].refines else math.inf
        t0 = time.perf_counter()
        try:
            with tempfile.TemporaryDirectory(prefix="fxcore-auto-") as tmp:
                facts = train_effect(dataset_dir, trial, tmp, seed, checkpoint_dir=tmp, progress=False,
                                     give_up_above=give_up)
                val, note = float(facts["best_val"]), ""
                if not ranking or rank_esr({"family": name, "val_esr": val}) < min(map(rank_esr, ranking)):
                    best_state = load_model(Path(tmp) / MODEL_FILENAME).state_dict()
                steps, start = int(facts["steps"]), float(facts["start_val"])
        except (ValueError, RuntimeError, FxcoreError) as exc:  # an analysis that finds nothing to fit
            val, note, steps, start = math.inf, f"{type(exc).__name__}: {exc}"[:200], 0, math.inf
        row = {"family": name, "model": trial.model.name, "params": trial.model.params, "val_esr": val,
               "fit_esr": start, "steps": steps, "seconds": round(time.perf_counter() - t0, 2)}
        if note:
            row["error"] = note
        elif facts["stop_reason"] == "gave_up":
            row["gave_up"] = f"gave up: its fit > {GIVE_UP:g}× the leader"
        if FAMILIES[name].handicap != 1.0:
            row["handicap"] = FAMILIES[name].handicap
        log.info("auto: %s val ESR %.4g after %d steps in %.1f s", name, val, steps, row["seconds"])
        ranking.append(row)
    ranking.sort(key=rank_esr)
    if not math.isfinite(ranking[0]["val_esr"]):
        raise FxcoreError("model: auto could not fit any candidate family", None,
                          "check the dataset (silent or misaligned target?) or name a model")
    for r in ranking:  # strict JSON in train.json: a failed candidate has no score
        for key in ("val_esr", "fit_esr"):
            if not math.isfinite(r[key]):
                r[key] = None
    return ranking[0]["family"], ranking, best_state


def trial_recipe(recipe: Recipe, family: str, trial_steps: int | None) -> Recipe:
    """`family`'s trial recipe: exactly `trial_steps` steps, lr decayed over them, the effect's max_seconds a cap."""
    trial = family_recipe(recipe, family)
    steps = trial_steps if trial_steps is not None else FAMILIES[family].trial_steps
    return replace(trial, train=replace(trial.train, max_steps=int(steps), max_seconds=recipe.train.max_seconds,
                                        lr_schedule="steps", patience=10**9, checkpoint_every=10**9))


def fit_effect(dataset_dir: str | Path, cfg: Recipe | EffectConfig, out_dir: str | Path, seed: int,
               **train_options: Any) -> dict[str, Any]:
    """Train the effect's model; for `model: auto`, select the family first and train the winner on.

    The winner's recipe replaces the effect's (its windows, learning rate); only under `lr_schedule:
    budget` is the selection's wall time taken off the time budget. The ranking goes into train.json.
    """
    if cfg.model.name != "auto":
        return train_effect(dataset_dir, cfg, out_dir, seed, **train_options)
    # The params checked as a config check does (a script may build a recipe without one); the
    # selection step has no sample rate of its own.
    sel = build_model("auto", dict(cfg.model.params), 1)
    t0 = time.perf_counter()
    winner, ranking, state = select_family(dataset_dir, cfg, seed, sel.candidates, sel.trial_steps, sel.good_enough)
    used = time.perf_counter() - t0
    chosen = family_recipe(cfg, winner)
    chosen = replace(chosen, train=replace(chosen.train, lr=chosen.train.lr * sel.continue_lr))
    if chosen.train.lr_schedule == "budget":
        chosen = replace(chosen, train=replace(chosen.train, max_seconds=max(1.0, chosen.train.max_seconds - used)))
    log.info("%s: model auto chose %s (val ESR %.4g) in %.1f s", cfg.name, winner, ranking[0]["val_esr"], used)
    return train_effect(dataset_dir, chosen, out_dir, seed, start_state=state, extra_facts={"auto_ranking": ranking},
                        lr_ramp_steps=sel.continue_warmup, **train_options)
