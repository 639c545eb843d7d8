"""Generalisation benchmark: third-party effects on real playing, scored on pieces no system trained on.

    python -m bench.generalise                 # every row (bench/zoo.py); about an hour on a 2-core CPU
    python -m bench.generalise --quick         # 5 rows, short pieces, small budgets (CI; 2 min 24 s with 1 s trials)
    python -m bench.generalise --rows sox_chorus1,calf_phaser --budget-s 60
    python -m bench.generalise --rows sox_chorus1 --systems nam --merge   # add NAM, keep the fxcore lines

Material (fxcore.material): train = nylon and clean electric guitar pieces + fxcore's synthetic
tones, validation = steel-string guitar, test = electric piano and bass guitar, other notes and
keys. The pieces are joined in that order into one track, rendered through the effect once (an
LFO runs freely across the whole take, as it would on a real recording) and split at the piece
boundaries; the test is the last stretch, scored with 2 s of the validation audio before it as
pre-roll (bench/scoring.py).

Systems per row, each with the same wall-clock budget of training, closed-form fits included (for
`auto` the selection — every candidate's fit and trial — comes off it; a hand pick's fit is on the
trainer's clock under `lr_schedule: budget`, fxcore.train; NAM's data setup, like fxcore's dataset
loading, is not counted): fxcore `auto`, fxcore's hand-picked model (bench/zoo.py), NAM WaveNet-
standard when `nam` is importable and `--nam` asks for it, and the do-nothing baseline (the clean
input as the prediction). `auto`'s family trials are step counts (`--trial-steps`; default each
family's own, fxcore/families.py), so its choice does not depend on the machine's load; the time
they take comes off its budget, and the winner trains on for the rest. Output: a table on stdout
and bench/results/generalise.csv (with the date, machine and commit on every row).
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd
import yaml

from fxcore.atomic import write_text
from fxcore.config import ModelConfig
from fxcore.validate import parse_config
from fxcore.dataset import Dataset
from fxcore.errors import FxcoreError
from fxcore import material

from . import nam_system
from .fxcore_system import train_fxcore
from .scoring import Result, score
from .pairs import make_material_pair, material_dir, parse_keys
from .stamp import stamp as stamp_row
from .tables import format_table, kept_rows, merge_rows, to_csv
from .zoo import ROWS, Row, hand_recipe

COLUMNS = ("row", "family", "host", "system", "model", "parameters", "wall_s", "esr", "mel_distance", "lsd",
           "lufs_diff", "target", "met", "auto_ratio", "date", "machine", "commit")


def _row(row: Row, r: Result, wall: float, stamp: dict) -> dict:
    m = r.metrics
    out = {"row": row.key, "family": row.family, "host": row.backend, "system": r.system, "model": r.model,
           "parameters": r.parameters, "wall_s": round(wall, 1), "esr": m.get("esr", math.nan),
           "mel_distance": m.get("mel_distance", math.nan), "lsd": m.get("lsd", math.nan),
           "lufs_diff": m.get("lufs_diff", math.nan), "target": "", "met": "", "auto_ratio": "", **stamp}
    if r.system in ("fxcore auto", "fxcore hand-picked"):
        out["target"], out["met"] = row.target, bool(out["esr"] <= row.target)
    return out


STAMPS = ("date", "machine", "commit")


SYSTEM_KEYS = {"clean": "clean input (no model)", "auto": "fxcore auto", "hand": "fxcore hand-picked",
               "nam": "nam-wavenet"}


def _write_csv(path: str, rows: list[dict], kept: list[dict]) -> None:
    """This run's rows and, of `kept` (an earlier CSV's), the (row, system) lines this run has not measured yet."""
    merged = merge_rows(rows, kept, lambda r: (r["row"], r["system"]),
                        [(k, s) for k in ROWS for s in SYSTEM_KEYS.values()])
    esr = {(r["row"], r["system"]): float(r["esr"]) for r in merged}
    for r in merged:  # over the merged lines: a rerun of one system updates the ratio too
        hand = esr.get((r["row"], SYSTEM_KEYS["hand"]))
        if r["system"] == SYSTEM_KEYS["auto"] and hand is not None:
            r["auto_ratio"] = float(r["esr"]) / max(hand, 1e-300)
    write_text(path, to_csv(merged, COLUMNS))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the table; write the CSV. Returns the exit status."""
    p = argparse.ArgumentParser(prog="python -m bench.generalise", description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", default=None, help=f"comma-separated keys from {','.join(ROWS)} (default: all)")
    p.add_argument("--budget-s", type=float, default=60.0, help="wall seconds per system and row")
    p.add_argument("--drive-budget-s", type=float, default=240.0, help="budget for drive/amp/chain rows")
    p.add_argument("--piece-s", type=float, default=15.0, help="seconds per material piece")
    p.add_argument("--synth-s", type=float, default=20.0, help="seconds of synthetic tones added to training")
    p.add_argument("--sweep-s", type=float, default=0.0,
                   help="seconds of 20 Hz–20 kHz sine sweeps at three levels added to training (0: none)")
    p.add_argument("--trial-steps", type=int, default=None, help="auto: optimiser steps per candidate "
                   "(default: each family's own, fxcore/families.py; --quick: 10)")
    p.add_argument("--quick", action="store_true", help="the --quick subset, 4 s pieces, 6 s budgets, "
                   "10-step trials (CI)")
    p.add_argument("--nam", action="store_true", help="also train NAM 0.12's WaveNet-standard recipe (if importable)")
    p.add_argument("--systems", default="clean,auto,hand", help="comma-separated subset of "
                   f"{','.join(SYSTEM_KEYS)} (--nam adds nam); with --merge the other systems' lines are kept")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--config", default="config.yaml", help="defaults (training recipe, sample rate)")
    p.add_argument("--out", default="bench/results/generalise.csv")
    p.add_argument("--work", default="bench/results/work-generalise")
    p.add_argument("--merge", action="store_true", help="keep the rows of --out for benchmark rows not measured "
                   "by this run (each keeps its own date and commit)")
    a = p.parse_args(argv)
    if a.quick:
        a.budget_s, a.drive_budget_s, a.piece_s, a.synth_s = 6.0, 6.0, 4.0, 4.0
        a.trial_steps = a.trial_steps or 10
        a.rows = a.rows or ",".join(k for k, r in ROWS.items() if r.quick)
    try:
        keys = parse_keys(a.rows or ",".join(ROWS), ROWS, "row")
        systems = {SYSTEM_KEYS[k] for k in parse_keys(a.systems + (",nam" if a.nam else ""), SYSTEM_KEYS, "system")}
        with open(a.config) as f:
            raw = yaml.safe_load(f)
        raw = copy.deepcopy(raw)
        raw["effects"] = {k: ROWS[k].effect() for k in keys}
        cfg = parse_config(raw, a.config)  # checks every host, plugin, control and model parameter first
        material.check_fluidsynth()
        nam = SYSTEM_KEYS["nam"] in systems and nam_system.available()
        if SYSTEM_KEYS["nam"] in systems and not nam:
            print("NAM is not installed (pip install -e '.[bench]'): no NAM rows", file=sys.stderr)
        stamp = stamp_row(STAMPS)
        kept = kept_rows(a.out, COLUMNS) if a.merge else []
        rows: list[dict] = []
        work = Path(a.work)
        for key in keys:
            row, effect = ROWS[key], cfg.effect(key)
            budget = a.drive_budget_s if row.family in ("drive", "chain") else a.budget_s
            pdir = material_dir(work, key, a.piece_s, a.seed, a.sweep_s)
            print(f"[{key}] rendering ({row.backend})", file=sys.stderr, flush=True)
            try:
                dataset = make_material_pair(cfg, effect, pdir, a.piece_s, a.synth_s, a.seed, sweep_s=a.sweep_s)
            except FxcoreError as exc:  # one broken plugin does not end a run of many rows
                print(f"[{key}] not rendered: {exc}", file=sys.stderr, flush=True)
                continue
            data = Dataset(dataset)
            results: list[tuple[Result, float]] = []
            if SYSTEM_KEYS["clean"] in systems:
                metrics, _ = score(lambda x, start: x, data)
                results.append((Result(key, key, SYSTEM_KEYS["clean"], "—", 0, 0.0, 0.0, metrics), 0.0))
            trials = {"trial_steps": a.trial_steps} if a.trial_steps is not None else {}
            auto = replace(effect, model=ModelConfig("auto", trials))
            for name, eff in (("fxcore auto", auto), ("fxcore hand-picked", hand_recipe(effect, row))):
                if name not in systems:
                    continue
                out = pdir / name.replace(" ", "-")
                shutil.rmtree(out, ignore_errors=True)
                print(f"[{key}] {name}: {budget:g} s ...", file=sys.stderr, flush=True)
                t0 = time.perf_counter()
                try:
                    res = train_fxcore(eff, key, dataset, out, budget, a.seed, system=name)
                except (FxcoreError, ValueError, RuntimeError) as exc:
                    print(f"[{key}] {name} failed: {exc}", file=sys.stderr)
                    continue
                if name == "fxcore auto":
                    ranking = json.loads((out / "train.json").read_text()).get("auto_ranking", [])
                    res.model = f"auto→{ranking[0]['family']}" if ranking else res.model
                results.append((res, time.perf_counter() - t0))
            if nam:
                t0 = time.perf_counter()
                res = nam_system.train_nam(SYSTEM_KEYS["nam"], key, key, dataset, pdir / "nam", budget, a.seed)
                results.append((res, time.perf_counter() - t0))
            table = [_row(row, r, w, stamp) for r, w in results]
            rows += table
            print(format_table(table, [c for c in COLUMNS if c not in STAMPS]), file=sys.stderr, flush=True)
            _write_csv(a.out, rows, kept)  # after every row: a long run that is stopped keeps what it measured
    except FxcoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"budget {a.budget_s:g} s per system (drive/amp/chain {a.drive_budget_s:g} s), pieces {a.piece_s:g} s, "
          f"seed {a.seed}; test = held-out instruments and notes")
    print(format_table(rows, [c for c in COLUMNS if c not in STAMPS]))
    _write_csv(a.out, rows, kept)
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
