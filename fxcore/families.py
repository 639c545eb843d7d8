"""The model families `model: auto` chooses from, each with the training keys it needs.

A grey-box model's windows must hold its memory (1.5 s for a reverb's IR, 0.1 s for a chorus), so
every family carries its own recipe; `family_recipe` puts it into an effect's recipe.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from .config import ModelConfig, Recipe


@dataclass(frozen=True)
class Family:
    """A candidate: model name + params, the training keys it needs, and its trial's optimiser steps."""

    model: ModelConfig
    train: dict[str, Any] = field(default_factory=dict)
    trial_steps: int = 100  # `model: auto`'s trial: this many optimiser steps (measured step costs below)
    after: tuple[str, ...] = ()  # tried only if one of these leads or is within auto.AFTER_MARGIN of the leader
    handicap: float = 1.0  # ranked by validation ESR × this: a prior against what validation cannot test
    refines: bool = False  # its trial only refines a closed-form fit: given up after it when far behind (auto.GIVE_UP)


WRAP_MAX_MS = 110.0
LONG = {"segment_samples": 131072, "warmup_samples": 48000, "batch_size": 4, "lr": 1e-3, "val_every": 25,
        "max_steps": 150}
# The chorus families search delays down to 0.05 ms: SoX's `chorus` sweeps its delay over 0…depth
# only (its `delay` argument sets the buffer length; measured with impulses: SoX `chorus 0.7 0.9 30
# 0.5 0.5 2 -s` delays by 0.04–2.0 ms at 0.5 Hz); with the default 1 ms floor the analysis missed
# half the sweep (ESR 0.24), with 0.05 ms it finds centre 1.00 ms, depth 1.00 ms, 0.49999 Hz
# (ESR 0.008 before any training). 40 ms bounds the search (its cost grows with the range).
# The chorus family also decides between linear and integer taps and fits a 32-tap (0.7 ms) FIR on
# the dry and the wet path by least squares (an EQ around the chorus, a tone filter on the wet path).
# `ir` trims its 2 s response to the length the data supports (fxcore.models.ir: a 400 Hz
# high-pass scored 5e-6 on validation with 2 s of taps, 2e-9 with the 256 the trim keeps).
# With integer taps the chorus families look for a buffer wrap (a rounded delay of 0 reading the
# oldest sample, SoX's `chorus`) up to WRAP_MAX_MS: SoX's longest buffer, 100 ms delay + 10 ms depth.
# `compressor` is closed form (a grid over attack × release × detector, each point a least-squares
# curve: 198 fits on 30 s of audio, ≈ 14 s on the 2-core CPU, 30 s before the normal equations were
# summed in one numba pass), then the gain-smoothed-in-dB topology by L-BFGS (≈ 10 s on a drive, where
# it stops when stalled); its trial only polishes the curve.
# With instant times it is any odd static waveshaper x·g(|x|): it wins pedalboard's Distortion (tanh).
# It is tried only when wiener_hammerstein or dynamics (the static and the level-dependent curve it
# refines) leads or comes within auto.AFTER_MARGIN: its trial took 72 s of the 240 s budget on the
# SoX overdrive → echo bench row (a run of the series before this gate; not a commit's code), where
# an `ir` led and both were 2.3× behind it.
# `multichorus` (4 voices, each with its own LFO, delays up to 100 ms: SoX's 3-voice chorus at 25,
# 55 and 85 ms; Calf's MultiChorus, 2 voices × 2 stereo sides in one band) is tried only when the
# chorus leads or comes close: its analysis runs once per voice and delay band (5 bands), plus the
# tap map (fxcore.models.tap_map): ≈ 75 s with 3 voices on 42 s of training audio, 222 s (trial
# included) with 4 on the Calf MultiChorus bench row. Four voices, not
# three: with three, a Calf MultiChorus render (four taps) held out 0.26, with four 0.015.
# `phaser` (all-pass cascade, one voice or a stereo pair in anti-phase summed to mono) is tried only
# when the chorus or the multichorus leads or comes close, as on Calf Phaser (the chorus led at
# 0.073): its analysis (notch tracking over 60 s and a Nelder–Mead polish) took 35–50 s on 30 s of
# audio, and its trial only refines dry and wet.
# `flanger` (a modulated delay line in its own feedback loop per voice, simulated per sample by
# numba: one voice or a stereo pair summed to mono) likewise: its fit (the chorus's LFO analysis, a
# grid and a Nelder–Mead polish) took 16 s on 10 s of Calf Flanger renders, and its trial only
# refines dry and wet. (Until 2026-12-06 the flanger was the chorus with `learn_feedback`, whose
# recursion in blocks shorter than the delay took minutes; it was not a default candidate.)
# Trials are counted in optimiser steps, not seconds, so the ranking does not depend on the machine's
# load (same config, same bytes out). The step counts were set from costs measured on 2026-12-01 in
# the trainer on a 12 s SoX render (ms: tremolo 166, ir 157, feedback_delay 106, wiener_hammerstein
# 9 with 16/128 taps, dynamics 65, chorus 4, drive_then_echo 154 as a hybrid) — a 40-fold spread, so
# each family has its own `trial_steps`: ≈ 8 s of steps on that CPU for the costly ones (50 × 166 ms
# …), 600 for WH (its nonlinear branch needs a few hundred steps to show), the chorus's own max_steps
# (300) for the chorus. The chorus is cheap per step: its cost is the fixed part — LFO analysis and
# validation renders, measured 6 s for initialise and two validations on 1.8 s, against 0.6–4 s for
# the others. `python -m bench.step_time` measures a bare step (models as built, before `initialise`;
# 2026-12-07, same CPU, ms): tremolo 5.5, ir 46 (its full 2 s), feedback_delay 168, the three long
# WH nets 22–24 / 17–20 (flat) / 25–30 (amp) — 45 / 29 / 42 before that day's FFT input FIRs, the
# high-passes' response on the FFT grid and the fused tanh (models.activations) — dynamics 232–239,
# compressor 30, chorus 27–30, drive_then_echo 106–154, phaser 15, flanger 10.
# The phaser and flanger follow either delay-line family: on SoX's phaser (a modulated delay in a
# feedback loop) the multichorus led at 0.004 and the 1-voice chorus was 5× behind it.
DELAY_LINES = ("chorus", "multichorus")
# The multichorus refines its voices on excerpts spread over this much of the first training track
# (SoX's 3-voice chorus, LFOs at 0.5, 0.35 and 0.25 Hz: refined on the first 3 s alone the rates
# stayed 1–3e-4 Hz off, 0.06–0.11 held out; L-BFGS on excerpts over 30 s, within 1e-5 Hz and
# 1.1–1.5e-3 right after `initialise`). Like the flanger's fit_span_seconds, it assumes the span is
# one track heard from its start (a recorded take; the chorus drops the stage if it hurts).
REFINE_SPAN_SECONDS = 30.0
# `drive_then_echo` is a series: a Wiener–Hammerstein drive, then a 1 s `ir` for the echo
# (fxcore.models.series). It trains in consecutive 16 384-sample chunks (truncated BPTT: the IR's
# state carries the drive's past output, so the echoes of earlier chunks are in the forward pass
# while the windows stay short) with its IR taps at tap_scale 0.2: at the `ir`'s own 1e-3 (sized
# for reverb tails) the taps stayed where `initialise` put them (moved < 1e-3), biased by a drive
# it did not know yet. Validation ESR on SoX pairs of FluidSynth + synthetic audio (dev settings,
# not bench rows): `overdrive 10 30` → `echo 0.8 0.7 150 0.5`, 60 s of training: hybrid(ir)
# (until 2026-12-06 this family) 0.023, series (tap_scale 1e-3) 0.0066; `overdrive 18 25` → `echo 0.7 0.6 300 0.45`,
# 120 s: hybrid 0.136, series with tap_scale 1e-3 0.032, 1e-2 0.015, 5e-2 0.0063, 0.2 0.0043,
# 1 0.0087 (the drive alone, as a wiener_hammerstein in its own windows: 0.0020).
# It is tried only when the `ir` (the echo's linear part alone) leads or comes within
# auto.AFTER_MARGIN: its trial (≈ 25 s of IR fit + 300 steps) took 34–51 s on every bench row (the IR
# fit takes ≈ 3 s since ls_fir's products became FFTs of ≈ 2L points, 2026-12-07), and it
# won only where the `ir` had led (SoX overdrive → echo, caps Plate, guitarix amp; validation
# rankings in the bench's train.json, 2026-12-06); where the drive dominates the ir was 2.3–3.7×
# behind (guitarix DS-1, caps AmpVTS + cab, compressor → amp) and on every modulation row 1.2–7 700×.
# Dev pairs (SoX, not bench rows): `overdrive 18 25` → `echo 0.7 0.6 300 0.45`: ir 0.14, WH 0.29,
# the series 0.032 — tried and wins; `overdrive 30 20` → `echo 0.8 0.5 250 0.35`: WH 0.153, ir
# 0.379, the series 0.170 after its trial — skipped by the gate, and ranked behind the WH without it:
# a heavy drive before an echo is not found either way.
SERIES_ECHO = {"seconds": 1.0, "trim": True, "tap_scale": 0.2}
# The wiener_hammerstein family's filters are longer than the model's defaults (16 input, 128 output
# taps: 2.7 ms at 48 kHz, shorter than a guitar cabinet's response). Validation ESR after 120 s of
# training on dev pairs over the benchmark's kind of audio (dev settings, not bench rows): caps
# AmpVTS (gain 0.45, tonestack 2) + CabinetIV model 5: defaults 0.053, 16 branches × 32 hidden 0.055,
# two nets in series 0.038, an LSTM of 32 0.19, taps 64/512 0.031 (0.030 in 8 192-sample windows),
# 64/2 048 0.028; guitarix DS-1 at DRIVE 0.35: defaults 0.0071, 64/512 0.0034, 64/2 048 0.0145 (both in
# 8 192-sample windows; the family keeps 4 096, 0.031 against 0.030 on the AmpVTS pair).
# It also puts four learned first-order high-passes before the branches, starting an octave below the
# training audio's lowest excited frequency (models.wiener_hammerstein: the FIRs pass unheard sub-bass
# at their mid-band gain). Same dev pairs, 120 s, with a validation split of a steel-guitar riff and a
# picked bass line (GM 34, notes from 28: lower than any training note; not the bench's test pieces):
# AmpVTS + cab 0.025 → 0.0092, guitarix amp (PreGain 6, model 3, tonestack 5) 0.053 → 0.038, DS-1
# 0.0023 → 0.0018. Four high-passes at 20 Hz: 0.014 and 0.038; two: 0.016 and 0.045.
# (Those scripts were not committed. Their committed rerun is `python -m bench.dev`, scored on a dev
# set that is a split of its own (bench/results/dev.csv, 2026-12-06): defaults / 64/512 / + the
# high-passes: AmpVTS + cab 0.042 / 0.027 / 0.013, guitarix amp 0.25 / 0.094 / 0.051, DS-1 0.017 /
# 0.0041 / 0.0032, SoX overdrive 12 30 0.0016 / 1.1e-4 / 0.016.)
# The 512 output taps cost the workflow's pedalboard fuzz (hard clipping, then a 3.5 kHz low-pass)
# 1.6× on validation after its 9 000 steps, each net from its own initialisation (`python -m
# bench.variants`, bench/results/fuzz_taps.csv): 16/128 2.5e-5, 64/128 2.3e-5, 16/512 4.7e-5, 64/512
# 4.1e-5. Taps at half the model's step (tap_scale 0.025) get 2.7e-5 there, but lost on five of six
# dev pairs (bench/results/dev.csv: DS-1 flat 0.0041 → 0.016, guitarix amp 0.051 → 0.075), so the
# families keep the model's 0.05; and a 16/128 net would lose the 600-step trial to this one 3.3×
# (bench/results/fuzz_taps_600.csv), so it is no family of its own.
WH_LONG = {"taps_in": 64, "taps_out": 512, "highpass": 4, "highpass_hz": None}
# The high-passes are a prior (cut what the training audio never excited) that is wrong for a
# device that passes bass: on a dev SoX `overdrive 12 30` the net reached 9.8e-5 without them and
# 0.0167 with them. So the same net without them is a family of its own and validation decides. On
# the bench rows' validation split (trials only, 2026-12-06) the high-passes won on caps AmpVTS +
# cab (0.073 against 0.085), compressor → amp (0.065 / 0.079) and guitarix DS-1 (0.017 / 0.047);
# without them on SoX overdrive (0.0012 / 0.039) and the guitarix amp (0.0077 / 0.011).
WH_FLAT = {k: v for k, v in WH_LONG.items() if not k.startswith("highpass")}
# But a validation split without sub-bass cannot see what the high-passes are for, and there the
# flat net wins by a little and extrapolates worse. Dev pairs (`python -m bench.dev`,
# bench/results/dev.csv, 2026-12-06), ESR after the 600-step trials on the validation split, flat /
# with the high-passes, and after 120 s on the dev set (a picked bass below every training note):
#   guitarix amp  0.026 / 0.052 (flat 1.97× ahead)   dev set 0.094 / 0.051 (flat 1.8× behind)
#   AmpVTS + cab  0.020 / 0.024 (1.2× ahead)         0.027 / 0.013 (2.1× behind)
#   SoX overdrive 7.9e-4 / 0.011 (14× ahead)         1.1e-4 / 0.016 (140× ahead)
# (DS-1: the high-passes lead the trial, 0.011 / 0.016.) Where flat is wrong it led by ≤ 2×, where
# right by ≥ 14× (the bench rows' trials: SoX overdrive 32×, guitarix amp 1.43×). So the flat net is
# ranked at 4× its validation ESR, near the geometric middle (5.3) of 1.97 and 14, rounded toward
# keeping the flat net. (The dev runs of `auto_wh` were made with 2× (commit abe6f69); the trials are
# step counts, so the same trials pick the same nets under 4×.)
FLAT_HANDICAP = 4.0
# `wiener_hammerstein_amp` adds four learned high-passes after the nonlinearity, started like the
# input ones (models.wiener_hammerstein: an amp cuts its bass after its tubes too, so a low note
# comes out as its harmonics). A prior right for amps and wrong for pedals that pass bass; on the
# dev set (120 s, bench/results/dev.csv): guitarix amp 0.051 → 0.032, AmpVTS + cab 0.013 → 0.018,
# DS-1 0.0032 → 0.047, SoX overdrive 0.016 → 0.11. Unlike the flat net's, that split is seen by the
# validation split, which ranked the two nets (120 s each, input high-passes / output ones) as the
# dev set on all four: amp 0.0155 / 0.0106, AmpVTS 0.0121 / 0.0128, DS-1 0.0011 / 0.0080, SoX
# overdrive 4.2e-5 (flat) / 0.0087. It refines the net with input high-passes, so it is tried only
# when that one leads or comes within auto.AFTER_MARGIN. Its 600-step trials against that net's
# (bench.dev auto_wh3 / auto_wh_amp): dev amp 0.039 / 0.052 (1.33× ahead; its 120 s 0.035 on the
# dev set, against 0.070 for `auto` without it), AmpVTS + cab 0.0232 / 0.0237 (1.02× ahead, and
# 0.019 on the dev set against 0.016: wrong), DS-1 0.018 / 0.011 (behind). So it is ranked at
# AMP_HANDICAP × its validation ESR, near the geometric middle (1.16) of 1.02 and 1.33.
WH_AMP = {**WH_LONG, "highpass_out": 4, "highpass_out_hz": None}
AMP_HANDICAP = 1.15
WH_WINDOWS = {"segment_samples": 4096, "batch_size": 8}  # the three long nets' training windows
# `feedback_delay` is an LTI echo in parametric form: the `ir`'s least squares fits any LTI response
# of up to 2 s at least as well on the training split, so it is tried only when the `ir` leads or
# comes within auto.AFTER_MARGIN (after the nets and dynamics, so that "leads" means among them). In the
# bench's validation rankings (2026-12-07, 13 rows) it led none, and its trial took 11–16 s on every
# row; replayed on those rankings, the gate skips it on 9 (every drive and dynamics row, SoX flanger
# and phaser) and keeps it where the `ir` led (drive → echo) or nothing fit (Calf Flanger and Phaser,
# EQ → chorus).
# In order of cost (cheapest closed-form fits first), so `good_enough` can end the search early.
FAMILIES: dict[str, Family] = {
    "tremolo": Family(ModelConfig("tremolo", {}), {"segment_samples": 16384, "batch_size": 8, "val_every": 50,
                                                   "max_steps": 300}, trial_steps=50, refines=True),
    "ir": Family(ModelConfig("ir", {"seconds": 2.0, "trim": True}), LONG, trial_steps=50, refines=True),
    "wiener_hammerstein": Family(ModelConfig("wiener_hammerstein", WH_LONG), WH_WINDOWS, trial_steps=600),
    "wiener_hammerstein_flat": Family(ModelConfig("wiener_hammerstein", WH_FLAT), WH_WINDOWS, trial_steps=600,
                                      handicap=FLAT_HANDICAP),
    "wiener_hammerstein_amp": Family(ModelConfig("wiener_hammerstein", WH_AMP), WH_WINDOWS, trial_steps=600,
                                     after=("wiener_hammerstein",), handicap=AMP_HANDICAP),
    "dynamics": Family(ModelConfig("wiener_hammerstein", {"dynamics": True}),
                       {"segment_samples": 24000, "warmup_samples": 12000, "max_steps": 1500}, trial_steps=120),
    "feedback_delay": Family(ModelConfig("feedback_delay", {}), {**LONG, "segment_samples": 98304}, trial_steps=75,
                             after=("ir",)),
    "compressor": Family(ModelConfig("compressor", {"fit_seconds": 30.0}),
                         {"segment_samples": 24000, "warmup_samples": 12000, "max_steps": 300}, trial_steps=20,
                         after=("wiener_hammerstein", "wiener_hammerstein_flat", "dynamics"), refines=True),
    "chorus": Family(ModelConfig("chorus", {"max_delay_ms": 40.0, "min_delay_ms": 0.05, "interpolation": "auto",
                                            "filter_taps": 32, "wrap_max_ms": WRAP_MAX_MS}),
                     {"segment_samples": 16384, "batch_size": 8, "val_every": 50, "max_steps": 300}, trial_steps=300,
                     refines=True),
    "multichorus": Family(ModelConfig("chorus", {"max_delay_ms": 100.0, "min_delay_ms": 0.05, "interpolation": "auto",
                                                 "voices": 4, "wrap_max_ms": WRAP_MAX_MS,
                                                 "refine_span_seconds": REFINE_SPAN_SECONDS}),
                          {"segment_samples": 16384, "batch_size": 8, "val_every": 50, "max_steps": 300},
                          trial_steps=300, after=("chorus",), refines=True),
    "drive_then_echo": Family(ModelConfig("series", {"first": {"name": "wiener_hammerstein", "params": {}},
                                                     "second": {"name": "ir", "params": SERIES_ECHO}}),
                              {"segment_samples": 16384, "warmup_samples": 12000, "batch_size": 8, "val_every": 50,
                               "sampler": "random_sequential", "sequence_chunks": 8, "max_steps": 3000},
                              trial_steps=300, after=("ir",)),
    "phaser": Family(ModelConfig("phaser", {}), {"segment_samples": 16384, "batch_size": 8, "val_every": 50,
                                                 "max_steps": 300}, trial_steps=20, after=DELAY_LINES, refines=True),
    "flanger": Family(ModelConfig("flanger", {}), {"segment_samples": 16384, "batch_size": 8, "val_every": 50,
                                                   "max_steps": 300}, trial_steps=20, after=DELAY_LINES, refines=True),
}
# The amp net is no default candidate: on the benchmark's drive rows, where every family is tried
# within 240 s, its trial (26–28 s) came out of the 66–94 s left to train the winner, the same net as
# before on all four (bench/results/generalise_wh_amp.csv, commit c72746f, 2026-12-07): guitarix DS-1
# 0.0033 → 0.0045, AmpVTS + cab 0.0096 → 0.019, compressor → amp 0.0096 → 0.028, and on the guitarix
# amp it led the input high-passes by 1.13× on validation, under its 1.15, so 0.35 → 0.34. Name it in
# `candidates` (or its params as the model) for an amp.
OPT_IN = ("wiener_hammerstein_amp",)
DEFAULT_CANDIDATES = tuple(f for f in FAMILIES if f not in OPT_IN)


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
