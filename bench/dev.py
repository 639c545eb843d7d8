"""Development pairs: where fxcore's family settings are chosen, on effects and audio the benchmark never scores.

    python -m bench.dev                                  # every pair × every variant, 120 s each (≈ 30 min)
    python -m bench.dev --pairs dev_gx_amp --variants wh_long,wh_flat --budget-s 60

The generalisation benchmark (bench/generalise.py) reports held-out ESR on its own rows; a setting
chosen by looking at those numbers would be tuned on the split it reports. So settings are chosen
here instead: the same kinds of device at *other* settings (the pairs below, none a benchmark row),
trained on the benchmark's training material (fxcore.material's 'train' set + synthetic tones) with
its validation split, and scored on material's 'dev' set, which is not the benchmark's test: a picked
bass that goes below every training note and a steel-string arpeggio. Each variant is one model
recipe (a family of fxcore/families.py, or the model's defaults) trained for the same wall-clock
budget by the benchmark's own code. Output: a table on stdout and bench/results/dev.csv (with the
date, machine and commit on every row).
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from fxcore import material
from fxcore.atomic import write_text
from fxcore.config import EffectConfig, LossConfig, ModelConfig
from fxcore.dataset import Dataset
from fxcore.errors import FxcoreError
from fxcore.families import FAMILIES, WH_LONG
from fxcore.validate import parse_config

from .fxcore_system import train_fxcore
from .pairs import make_material_pair, material_dir, parse_keys
from .stamp import stamp as stamp_row
from .tables import format_table, kept_rows, merge_rows, to_csv
from .zoo import GX, MONO, ROWS, Row

WH = {"name": "wiener_hammerstein", "params": {}}
AMPVTS_DEV = {"plugin": "caps.so", "label": "AmpVTS",
              "controls": {"over": 1, "gain": 0.45, "bright": 0.5, "power": 0.5, "tonestack": 2, "bass": 0.5,
                           "mid": 0.6, "treble": 0.6, "attack": 0.25, "squash": 0.4, "lowcut": 0.3}}

# The bench's drive rows' kinds of device, at settings no bench row uses (bench/zoo.py).
PAIRS: dict[str, Row] = {r.key: r for r in (
    Row("dev_caps_amp_cab", "drive", "sox", [{"gain": [-3]}, {"ladspa": AMPVTS_DEV},
                                             {"ladspa": {"plugin": "caps.so", "label": "CabinetIV",
                                                         "controls": {"model": 5, "gain_db": 0}}}], WH, 0.02),
    Row("dev_gx_amp", "drive", "lv2", [{"uri": GX + "gx_amp#GUITARIX",
                                        "controls": {"PreGain": 6, "model": 3, "t_model": 5}}], WH, 0.02, MONO),
    Row("dev_gx_ds1", "drive", "lv2", [{"uri": GX + "gx_bossds1_#_bossds1_", "controls": {"DRIVE": 0.35, "BYPASS": 1}}],
        WH, 0.02, MONO),
    Row("dev_sox_overdrive", "drive", "sox", [{"overdrive": [12, 30]}], WH, 0.02),
    # the drive → echo row's kind (the chain fxcore.families' SERIES_ECHO was chosen on)
    Row("dev_drive_echo", "chain", "sox", [{"overdrive": [18, 25]}, {"echo": [0.7, 0.6, 300, 0.45]}],
        ROWS["drive_echo"].model, 0.02),
)}


@dataclass(frozen=True)
class Variant:
    """One model recipe under test: the model, the training keys it runs with, the sweeps added to its training audio."""

    model: ModelConfig
    train: dict
    sweep_s: float = 0.0  # seconds of fxcore.synth.sweep_excitation opening the train split (0: none)


_WH_TRAIN = FAMILIES["wiener_hammerstein"].train
VARIANTS: dict[str, Variant] = {
    "wh_default": Variant(ModelConfig("wiener_hammerstein", {}), _WH_TRAIN),  # the model's own 16/128 taps
    "wh_flat": Variant(FAMILIES["wiener_hammerstein_flat"].model, _WH_TRAIN),  # 64/512 taps
    "wh_long": Variant(FAMILIES["wiener_hammerstein"].model, _WH_TRAIN),       # + 4 high-passes from the data
    "wh_long_20hz": Variant(ModelConfig("wiener_hammerstein", {**WH_LONG, "highpass_hz": 20.0}), _WH_TRAIN),
    # the high-passes started at 100 Hz, near the guitarix amp's low cut (python -m bench.tones), not from the audio
    "wh_long_100hz": Variant(ModelConfig("wiener_hammerstein", {**WH_LONG, "highpass_hz": 100.0}), _WH_TRAIN),
    # + four learned output high-passes after the nonlinearity (the amp's bass cut after its tubes: bench.tones)
    "wh_long_hpo": Variant(ModelConfig("wiener_hammerstein", {**WH_LONG, "highpass_out": 4, "highpass_out_hz": None}),
                           _WH_TRAIN),
    # the same started at 20 Hz (transparent above ≈ 60 Hz): the data moves them up only where the device cuts
    "wh_long_hpo20": Variant(ModelConfig("wiener_hammerstein", {**WH_LONG, "highpass_out": 4}), _WH_TRAIN),
    # the long nets with their taps at half the step (tap_scale 0.025, the model's is 0.05): the fuzz's test
    "wh_flat_ts025": Variant(ModelConfig("wiener_hammerstein", {**FAMILIES["wiener_hammerstein_flat"].model.params,
                                                                "tap_scale": 0.025}), _WH_TRAIN),
    "wh_long_ts025": Variant(ModelConfig("wiener_hammerstein", {**WH_LONG, "tap_scale": 0.025}), _WH_TRAIN),
    # the long nets trained on plain ESR: the default loss's pre-emphasis (1 − 0.95 z⁻¹, −26 dB at 40 Hz) hides bass
    "wh_long_plain": Variant(FAMILIES["wiener_hammerstein"].model, {**_WH_TRAIN, "loss": LossConfig(pre_emphasis=None)}),
    # `auto` between the two nets only (their trials inside the budget, then the winner): the handicap's test
    "auto_wh": Variant(ModelConfig("auto", {"candidates": ["wiener_hammerstein", "wiener_hammerstein_flat"]}), {}),
    # the same with the output high-passes' family (fxcore.families.WH_AMP) as a third candidate
    "auto_wh3": Variant(ModelConfig("auto", {"candidates": ["wiener_hammerstein", "wiener_hammerstein_flat",
                                                            "wiener_hammerstein_amp"]}), {}),
    # the two nets with input high-passes, or output ones too, alone: the output family's trial against its base
    "auto_wh_amp": Variant(ModelConfig("auto", {"candidates": ["wiener_hammerstein", "wiener_hammerstein_amp"]}), {}),
}
# `auto` whose winner trains on from its trial's weights at a fraction of its learning rate (continue_lr,
# fxcore.models.auto): at the full rate the bench's winners first lost their trial's progress (drive rows'
# validation ESR 2–2.6× worse 600 steps on). The echo variants pit the `ir` against the drive → echo series.
VARIANTS["auto_echo"] = Variant(ModelConfig("auto", {"candidates": ["ir", "drive_then_echo"]}), {})
VARIANTS.update({f"{k}_lr{str(lr).replace('.', '')}": replace(VARIANTS[k], model=ModelConfig(
    "auto", {**VARIANTS[k].model.params, "continue_lr": lr})) for k in ("auto_wh", "auto_echo") for lr in (0.3, 0.1)})
# ... or at the full rate reached by a linear ramp from 0 over 200 steps (continue_warmup): Adam starts
# afresh after the trial, and its first full-rate steps undo the trial's progress.
VARIANTS.update({f"{k}_wu200": replace(VARIANTS[k], model=ModelConfig(
    "auto", {**VARIANTS[k].model.params, "continue_warmup": 200})) for k in ("auto_wh", "auto_echo")})
# The same recipes with 6 s of 20 Hz–20 kHz sweeps in the training audio: the bass that the
# musical training material lacks (its lowest note is 65 Hz; the dev set's bass goes to 41 Hz).
SWEEP_S = 6.0
VARIANTS.update({f"{k}_sweep": replace(VARIANTS[k], sweep_s=SWEEP_S)
                 for k in ("wh_flat", "wh_long", "wh_long_100hz", "wh_long_hpo", "wh_long_hpo20", "wh_long_plain",
                           "auto_wh")})
DEFAULT_VARIANTS = ("wh_default", "wh_flat", "wh_long")
COLUMNS = ("pair", "variant", "model", "parameters", "steps", "wall_s", "esr", "mel_distance", "lsd",
           "date", "machine", "commit")


def recipe(effect: EffectConfig, variant: Variant) -> EffectConfig:
    """`effect` with the variant's model and training keys."""
    return replace(effect, model=variant.model, train=replace(effect.train, **variant.train))


def main(argv: list[str] | None = None) -> int:
    """Train every (pair, variant) for the budget; print and write the dev-split scores. Returns the exit status."""
    p = argparse.ArgumentParser(prog="python -m bench.dev", description=__doc__.split("\n\n")[0])
    p.add_argument("--pairs", default=None, help=f"comma-separated keys from {','.join(PAIRS)} (default: all)")
    p.add_argument("--variants", default=",".join(DEFAULT_VARIANTS),
                   help=f"comma-separated keys from {','.join(VARIANTS)}")
    p.add_argument("--budget-s", type=float, default=120.0, help="wall seconds per variant and pair")
    p.add_argument("--piece-s", type=float, default=8.0, help="seconds per material piece")
    p.add_argument("--synth-s", type=float, default=10.0, help="seconds of synthetic tones added to training")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--config", default="config.yaml", help="defaults (training recipe, sample rate)")
    p.add_argument("--out", default="bench/results/dev.csv")
    p.add_argument("--work", default="bench/results/work-dev")
    p.add_argument("--merge", action="store_true", help="keep --out's lines for the (pair, variant)s not run now")
    a = p.parse_args(argv)
    try:
        keys = parse_keys(a.pairs or ",".join(PAIRS), PAIRS, "pair")
        variants = parse_keys(a.variants, VARIANTS, "variant")
        with open(a.config) as f:
            raw = copy.deepcopy(yaml.safe_load(f))
        raw["effects"] = {k: PAIRS[k].effect() for k in keys}
        cfg = parse_config(raw, a.config)  # checks every host, plugin and control first
        material.check_fluidsynth()
        stamp = stamp_row(COLUMNS)
        rows: list[dict] = []
        kept = kept_rows(a.out, COLUMNS) if a.merge else []
        order = [(p, v) for p in PAIRS for v in VARIANTS]
        datasets: dict[tuple[str, float], Path] = {}  # one render and check per pair and material
        for key, name in ((k, v) for k in keys for v in variants):
            sweep_s = VARIANTS[name].sweep_s
            pdir = material_dir(Path(a.work), key, a.piece_s, a.seed, sweep_s)
            if (key, sweep_s) not in datasets:
                print(f"[{key}] material" + (f" + {sweep_s:g} s of sweeps" if sweep_s else ""), file=sys.stderr,
                      flush=True)
                datasets[key, sweep_s] = make_material_pair(cfg, cfg.effect(key), pdir, a.piece_s, a.synth_s, a.seed,
                                                            test_set="dev", sweep_s=sweep_s)
                Dataset(datasets[key, sweep_s])  # fails here, in one line, on a broken render
            dataset = datasets[key, sweep_s]
            out = pdir / name
            shutil.rmtree(out, ignore_errors=True)
            print(f"[{key}] {name}: {a.budget_s:g} s ...", file=sys.stderr, flush=True)
            t0 = time.perf_counter()
            res = train_fxcore(recipe(cfg.effect(key), VARIANTS[name]), key, dataset, out, a.budget_s, a.seed,
                               system=name)
            m, model = res.metrics, res.model
            if VARIANTS[name].model.name == "auto":  # which family it chose, from its ranking
                ranking = json.loads((out / "train.json").read_text()).get("auto_ranking", [])
                model = f"auto→{ranking[0]['family']}" if ranking else model
            rows.append({"pair": key, "variant": name, "model": model, "parameters": res.parameters,
                         "steps": res.steps, "wall_s": round(time.perf_counter() - t0, 1), "esr": m["esr"],
                         "mel_distance": m["mel_distance"], "lsd": m["lsd"], **stamp})
            print(format_table(rows[-1:], COLUMNS[:9]), file=sys.stderr, flush=True)
            # after every variant: a stopped run keeps what it measured
            write_text(a.out, to_csv(merge_rows(rows, kept, lambda r: (r["pair"], r["variant"]), order), COLUMNS))
    except FxcoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"budget {a.budget_s:g} s per variant, pieces {a.piece_s:g} s, seed {a.seed}; "
          "scored on material's 'dev' set (not the benchmark's test)")
    print(format_table(rows, COLUMNS[:9]))
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
