"""Accuracy benchmark: fxcore vs Neural Amp Modeler (and fxcore's black-box baseline) on equal budgets.

    python -m bench.accuracy --budget-s 460          # the full run (hours on a 2-core CPU)
    python -m bench.accuracy --quick                 # about a minute: CI runs it so it never rots

For each pair (bench/pairs.py) it synthesises and renders 180 s at 48 kHz (seed 42, last 20 %
held out), trains fxcore's model for the effect as config.yaml sets it, then — alternating, so
every system sees the same machine load — NAM's presets (when NAM is installed) and, for effects
whose fxcore model is a grey-box one, fxcore's black-box default model. Every system gets the same
wall-clock budget and is scored the same way on the held-out audio (bench/scoring.py). Prints a
table and writes it to bench/results/accuracy.csv.
"""

from __future__ import annotations

import argparse
import copy
import math
import shutil
import sys
from pathlib import Path

import yaml

from fxcore.atomic import write_text
from fxcore.validate import parse_config
from fxcore.errors import FxcoreError

from . import nam_system
from .fxcore_system import train_fxcore
from .pairs import PAIRS, make_pair, parse_pairs
from .scoring import Result
from .tables import format_table, to_csv

# The issues' targets, on each pair's headline metric (octave: mel distance, as a fraction of clean's).
TARGETS = {"a": 1e-4, "b": 2e-3, "c": 5e-3, "d": 1e-2, "e": 1e-4, "delay": 1e-2, "reverb": 5e-2, "chorus": 5e-2,
           "octave": 0.5}
COLUMNS = ("pair", "effect", "system", "model", "parameters", "seconds", "epochs", "esr", "mel_distance", "lsd",
           "lufs_diff", "realtime_x", "fxcore_ratio", "target", "met")


def _row(r: Result, fx: Result | None) -> dict:
    metric = PAIRS[r.pair].metric
    value = r.metrics.get(metric, math.nan)
    row = {"pair": r.pair, "effect": r.effect, "system": r.system, "model": r.model, "parameters": r.parameters,
           "seconds": round(r.seconds, 1), "epochs": round(r.epochs, 2), "esr": r.metrics.get("esr", math.nan),
           "mel_distance": r.metrics.get("mel_distance", math.nan), "lsd": r.metrics.get("lsd", math.nan),
           "lufs_diff": r.metrics.get("lufs_diff", math.nan), "realtime_x": round(r.realtime_factor, 1),
           "fxcore_ratio": "", "target": "", "met": ""}
    if fx is not None and r is not fx:
        row["fxcore_ratio"] = fx.metrics[metric] / max(value, 1e-300)
    if r.system == "fxcore" and r.pair in TARGETS:
        goal = TARGETS[r.pair]
        if metric == "mel_distance":  # relative: under this fraction of the clean baseline's distance
            goal = goal * r.metrics["mel_distance_clean"]
        row["target"], row["met"] = goal, bool(value <= goal)
    return row


# fxcore's black-box models, the baselines for effects whose own model is a grey-box one.
# "default" is config.yaml's defaults.model; "wavenet" the regression WaveNet (NAM-standard size).
BASELINES: dict[str, dict | None] = {
    "default": None,
    "wavenet": {"name": "wavenet", "params": {"channels": 16, "dilations": [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]}},
}


def _baseline(raw: dict, effect: str, name: str):
    """The effect with a black-box model and config.yaml's default training instead of its own."""
    raw = copy.deepcopy(raw)
    for key in ("model", "train"):
        raw["effects"][effect].pop(key, None)
    if BASELINES[name] is not None:
        raw["effects"][effect]["model"] = BASELINES[name]
    return parse_config(raw, check_backends=False).effect(effect)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the table; write the CSV. Returns the exit status."""
    p = argparse.ArgumentParser(prog="python -m bench.accuracy", description=__doc__.split("\n\n")[0])
    p.add_argument("--budget-s", type=float, default=460.0, help="training wall-clock seconds per system and pair")
    p.add_argument("--quick", action="store_true", help="tiny run (20 s of audio, 5 s budgets, pairs a,delay)")
    p.add_argument("--pairs", default=None, help=f"comma-separated keys from {','.join(PAIRS)} (default: all)")
    p.add_argument("--seconds", type=float, default=180.0, help="audio per pair (s)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--nam", default="lstm-standard,wavenet-feather,wavenet-standard",
                   help="NAM presets to train (comma-separated; 'none' to skip)")
    p.add_argument("--baselines", default="default,wavenet",
                   help="fxcore black-box models to train on effects whose model is grey-box "
                        f"(comma-separated from {','.join(BASELINES)}; 'none' to skip)")
    p.add_argument("--config", default="config.yaml")
    p.add_argument("--out", default="bench/results/accuracy.csv")
    p.add_argument("--work", default="bench/results/work", help="where pairs and trained models go")
    a = p.parse_args(argv)
    if a.quick:
        a.budget_s, a.seconds = min(a.budget_s, 5.0), min(a.seconds, 20.0)
        a.pairs = a.pairs or "a,delay"
    try:
        with open(a.config) as f:
            raw = yaml.safe_load(f)
        cfg = parse_config(raw, a.config)
        pairs = parse_pairs(a.pairs or ",".join(PAIRS))
        presets = [] if a.nam == "none" else [s.strip() for s in a.nam.split(",") if s.strip()]
        unknown = [s for s in presets if s not in nam_system.PRESETS]
        if unknown:
            raise FxcoreError(f"unknown NAM preset(s) {unknown}", None, f"use {', '.join(nam_system.PRESETS)} or none")
        baselines = [] if a.baselines == "none" else [s.strip() for s in a.baselines.split(",") if s.strip()]
        if any(b not in BASELINES for b in baselines):
            raise FxcoreError(f"unknown baseline(s) in {a.baselines!r}", None, f"use {', '.join(BASELINES)} or none")
        if presets and not nam_system.available():
            print("NAM is not installed (pip install -e '.[bench]'): fxcore rows only", file=sys.stderr)
            presets = []
        rows: list[dict] = []
        work = Path(a.work)
        for pair in pairs:
            effect = cfg.effect(pair.effect)
            pdir = work / f"{pair.key}-{int(a.seconds)}s-seed{a.seed}"
            dataset = make_pair(cfg, effect, pdir, a.seconds, a.seed)
            results: list[Result] = []
            print(f"[{pair.key}] {pair.label} ({pair.effect})", file=sys.stderr, flush=True)

            def run(name: str, fn) -> None:
                out = pdir / name
                shutil.rmtree(out, ignore_errors=True)
                print(f"[{pair.key}] {name}: training for {a.budget_s:g} s ...", file=sys.stderr, flush=True)
                results.append(fn(out))

            run("fxcore", lambda out: train_fxcore(effect, pair.key, dataset, out, a.budget_s, a.seed))
            grey_box = effect.model != _baseline(raw, pair.effect, "default").model
            for name in baselines if grey_box else []:
                bb = _baseline(raw, pair.effect, name)
                run(f"fxcore-{name}", lambda out, bb=bb: train_fxcore(bb, pair.key, dataset, out, a.budget_s, a.seed,
                                                                       system="fxcore black-box"))
            for preset in presets:
                run(f"nam-{preset}", lambda out, s=preset: nam_system.train_nam(s, pair.key, pair.effect, dataset,
                                                                                 out, a.budget_s))
            rows += [_row(r, results[0]) for r in results]
            print(format_table(rows[-len(results):], COLUMNS), file=sys.stderr, flush=True)
    except FxcoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


    print(f"budget {a.budget_s:g} s per system, {a.seconds:g} s of audio per pair, seed {a.seed}, "
          f"last 20 % held out")
    print(format_table(rows, COLUMNS))
    write_text(a.out, to_csv(rows, COLUMNS))
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
