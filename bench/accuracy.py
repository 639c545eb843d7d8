"""Accuracy benchmark: fxcore against Neural Amp Modeler's own recipes, equal wall budgets, several seeds.

    python -m bench.accuracy                       # the documented full run: 80 min on a 2-core CPU
    python -m bench.accuracy --quick               # ≈ 3 min smoke run; CI runs it (numbers not asserted)
    python -m bench.accuracy --budget-s 460 --pairs a,b,c,d,e,caps_amp_cab,gx_amp,sox_overdrive,sox_compand
    python -m bench.accuracy_table --readme README.md   # the README table, generated from the CSV

Pairs: the synthetic pairs of bench/pairs.py (fxcore's synthesiser rendered through config.yaml's
effects; 120 s, train 70 % / validation 10 % / the last 20 % held out) and instrument pairs of the
generalisation benchmark (bench/zoo.py: FluidSynth guitars for training, steel guitar for
validation, electric piano and bass for the test, through SoX/LV2/LADSPA plugins). fxcore's recipe
(config.yaml) was tuned on the synthetic pairs made with material seed 42 (bench/NOTES.md): that is
the *tuning* set (`--set tuning`); the reported set uses material seed 2026, which no recipe
was tuned on, and the instrument pieces.

Systems (`--systems`): `fxcore` (the effect's model and recipe from config.yaml, or the hand-picked
model of a zoo row, `lr_schedule: budget`), NAM's shipped recipes under their own schedule and under
fxcore's budget decay (bench/nam_system.py), fxcore's black-box baselines (`fxcore-wh`,
`fxcore-wavenet`), `fxcore-auto` (`model: auto`, config.yaml's default training), and `clean`, the do-nothing baseline. Each system gets the same wall-clock budget
per seed, in alternating order so all see the same machine load, keeps its best weights on the
validation split, and is scored the same way on the held-out split (bench/scoring.py). Streaming
speed at 64 and 512 samples (bench/streaming.py) is measured on the first seed.

Output: the rows on stdout and bench/results/accuracy.csv (one row per pair, system and seed, with
the date, machine, commit, library versions and load), rewritten after every row.
"""

from __future__ import annotations

import argparse
import copy
import math
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from fxcore.atomic import write_text
from fxcore.config import Config, EffectConfig
from fxcore.dataset import Dataset
from fxcore.errors import FxcoreError
from fxcore.validate import parse_config

from . import nam_system
from .fxcore_system import train_fxcore
from .pairs import PAIRS, make_material_pair, make_pair, parse_keys
from .scoring import Result, score
from .stamp import stamp
from .tables import format_table, to_csv
from .zoo import ROWS, hand_recipe

MATERIAL_SEEDS = {"report": 2026, "tuning": 42}
FULL_PAIRS = "a,b,c,d,caps_amp_cab,gx_amp"
FULL_SYSTEMS = "clean,fxcore,nam-packed,nam-packed-budget,nam-lstm,nam-lstm-budget"
STREAM_BLOCKS = (64, 512)
COLUMNS = ("set", "pair", "material", "effect", "system", "recipe", "schedule", "seed", "model", "parameters",
           "budget_s", "train_s", "steps", "epochs", "esr", "mel_distance", "lsd", "lufs_diff", "rt_offline",
           "rt_block64", "rt_block512", "date", "machine", "commit", "versions", "load1")
SHOWN = ("pair", "system", "seed", "model", "parameters", "train_s", "steps", "esr", "mel_distance", "rt_offline",
         "rt_block64", "rt_block512")

# fxcore's black-box models (the baselines for effects whose own model is a grey-box one), and `auto`
# (config.yaml's default since 2026-12-01: how it compares with the model an effect names).
BASELINES: dict[str, dict] = {
    "fxcore-wh": {"name": "wiener_hammerstein", "params": {}},
    "fxcore-auto": {"name": "auto", "params": {}},
    "fxcore-wavenet": {"name": "wavenet", "params": {"channels": 16,
                                                     "dilations": [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]}},
}
FXCORE_SYSTEMS = ("clean", "fxcore", *BASELINES)


@dataclass(frozen=True)
class Bench:
    """One run's settings."""

    set: str
    budget_s: float
    seconds: float
    piece_s: float
    seeds: tuple[int, ...]
    work: Path


def _config(raw: dict, path: str, pairs: list[str]) -> tuple[dict, Config]:
    """config.yaml with the zoo rows' effects added (checked: hosts, plugins, controls, models)."""
    raw = copy.deepcopy(raw)
    raw["effects"].update({k: ROWS[k].effect() for k in pairs if k in ROWS})
    return raw, parse_config(raw, path)


def _baseline(raw: dict, effect: str, name: str) -> EffectConfig:
    """The effect with a baseline's model (`BASELINES`) and config.yaml's default training instead of its own."""
    raw = copy.deepcopy(raw)
    raw["effects"] = {effect: {k: v for k, v in raw["effects"][effect].items() if k not in ("model", "train")}}
    raw["effects"][effect]["model"] = BASELINES[name]
    return parse_config(raw, check_backends=False).effect(effect)


def _dataset(cfg: Config, key: str, b: Bench) -> tuple[Path, str]:
    """The pair's dataset (made once, reused) and its material."""
    seed = MATERIAL_SEEDS[b.set]
    if key in PAIRS:
        pdir = b.work / f"{key}-{b.seconds:g}s-material{seed}"
        return make_pair(cfg, cfg.effect(PAIRS[key].effect), pdir, b.seconds, seed), "synthetic"
    pdir = b.work / f"{key}-{b.piece_s:g}s-material{seed}"
    return make_material_pair(cfg, cfg.effect(key), pdir, b.piece_s, 2 * b.piece_s, seed), "instrument"


def _train(system: str, key: str, raw: dict, cfg: Config, dataset: Path, out: Path, b: Bench, seed: int,
           streams: bool) -> Result:
    blocks = STREAM_BLOCKS if streams else ()
    effect_name = PAIRS[key].effect if key in PAIRS else key
    if system == "clean":
        metrics, rtf = score(lambda x, start: x, Dataset(dataset))
        return Result(key, effect_name, system, "—", 0, 0.0, 0.0, metrics, rtf)
    if system in nam_system.SYSTEMS:
        return nam_system.train_nam(system, key, effect_name, dataset, out, b.budget_s, seed, stream_blocks=blocks)
    effect = cfg.effect(effect_name)
    if system == "fxcore":
        effect = hand_recipe(effect, ROWS[key]) if key in ROWS else effect
    else:
        effect = _baseline(raw, effect_name, system)
    return train_fxcore(effect, key, dataset, out, b.budget_s, seed, system=system, stream_blocks=blocks)


def _row(b: Bench, key: str, material: str, r: Result, seed: int | str, stamp_: dict) -> dict:
    m = r.metrics
    nam = nam_system.SYSTEMS.get(r.system)
    return {"set": b.set, "pair": key, "material": material, "effect": r.effect, "system": r.system,
            "recipe": nam.recipe if nam else ("" if r.system == "clean" else "config.yaml"),
            "schedule": nam.schedule if nam else ("" if r.system == "clean" else "budget"),
            "seed": seed, "model": r.model, "parameters": r.parameters,
            "budget_s": b.budget_s if r.system != "clean" else "", "train_s": round(r.seconds, 1),
            "steps": r.steps, "epochs": round(r.epochs, 2), "esr": m.get("esr", math.nan),
            "mel_distance": m.get("mel_distance", math.nan), "lsd": m.get("lsd", math.nan),
            "lufs_diff": m.get("lufs_diff", math.nan), "rt_offline": round(r.realtime_factor, 1),
            "rt_block64": _rt(r.stream.get(64)), "rt_block512": _rt(r.stream.get(512)),
            **stamp_, "load1": round(os.getloadavg()[0], 2)}


def _rt(x: float | None) -> float | str:
    return "" if x is None else round(x, 2)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the rows; write the CSV. Returns the exit status."""
    p = argparse.ArgumentParser(prog="python -m bench.accuracy", description=__doc__.split("\n\n")[0])
    p.add_argument("--pairs", default=FULL_PAIRS,
                   help=f"comma-separated keys from {','.join(PAIRS)} (synthetic) or bench/zoo.py (instrument)")
    p.add_argument("--systems", default=FULL_SYSTEMS,
                   help=f"comma-separated from {','.join([*FXCORE_SYSTEMS, *nam_system.SYSTEMS])}")
    p.add_argument("--budget-s", type=float, default=45.0, help="training wall-clock seconds per system, pair, seed")
    p.add_argument("--seeds", default="0,1,2", help="training seeds (initialisation, batch order)")
    p.add_argument("--set", choices=sorted(MATERIAL_SEEDS), default="report",
                   help="report: material no recipe was tuned on; tuning: the material config.yaml was tuned on")
    p.add_argument("--seconds", type=float, default=120.0, help="audio per synthetic pair (s)")
    p.add_argument("--piece-s", type=float, default=10.0, help="seconds per instrument piece")
    p.add_argument("--quick", action="store_true", help="tiny run: 2 pairs, 3 systems, 2 seeds, 4 s budgets")
    p.add_argument("--config", default="config.yaml")
    p.add_argument("--out", default="bench/results/accuracy.csv")
    p.add_argument("--work", default="bench/results/work-accuracy", help="where pairs and trained models go")
    a = p.parse_args(argv)
    if a.quick:
        a.budget_s, a.seconds, a.piece_s = min(a.budget_s, 4.0), min(a.seconds, 20.0), min(a.piece_s, 4.0)
        a.pairs = a.pairs if a.pairs != FULL_PAIRS else "a,sox_overdrive"
        a.systems = a.systems if a.systems != FULL_SYSTEMS else "clean,fxcore,nam-packed,nam-lstm-budget"
        a.seeds = a.seeds if a.seeds != "0,1,2" else "0,1"
    try:
        pairs = parse_keys(a.pairs, [*PAIRS, *ROWS], "pair")
        systems = parse_keys(a.systems, [*FXCORE_SYSTEMS, *nam_system.SYSTEMS], "system")
        try:
            seeds = tuple(int(s) for s in a.seeds.split(","))
        except ValueError:
            raise FxcoreError(f"bad --seeds {a.seeds!r}", None, "give integers, e.g. --seeds 0,1,2") from None
        if any(s in nam_system.SYSTEMS for s in systems) and not nam_system.available():
            print("NAM is not installed (pip install -e '.[bench]'): fxcore rows only", file=sys.stderr)
            systems = [s for s in systems if s not in nam_system.SYSTEMS]
        with open(a.config) as f:
            raw = yaml.safe_load(f)
        raw, cfg = _config(raw, a.config, pairs)
        b = Bench(a.set, a.budget_s, a.seconds, a.piece_s, seeds, Path(a.work))
        stamp_ = stamp()
        rows: list[dict] = []
        for key in pairs:
            print(f"[{key}] making the pair", file=sys.stderr, flush=True)
            dataset, material = _dataset(cfg, key, b)
            for i, seed in enumerate(seeds):
                for system in systems:
                    if system == "clean" and i:
                        continue
                    out = dataset.parent / f"{system}-seed{seed}"
                    shutil.rmtree(out, ignore_errors=True)
                    print(f"[{key}] {system} seed {seed}: {a.budget_s:g} s ...", file=sys.stderr, flush=True)
                    r = _train(system, key, raw, cfg, dataset, out, b, seed, streams=i == 0)
                    rows.append(_row(b, key, material, r, "" if system == "clean" else seed, stamp_))
                    print(format_table(rows[-1:], SHOWN), file=sys.stderr, flush=True)
                    write_text(a.out, to_csv(rows, COLUMNS))  # a stopped run keeps what it measured
    except FxcoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"set {a.set}, budget {a.budget_s:g} s per system, pair and seed; seeds {a.seeds}")
    print(format_table(rows, SHOWN))
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
