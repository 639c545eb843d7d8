"""Real-time cost of the exported LV2 plugins: `python -m bench.plugin_speed`.

For every distinct model (family + params) of config.yaml's effects, build it at random
initialisation (speed does not depend on the weights' values), export it with `export_lv2`, and
time its run() in-process with a C harness (bench/plugin_timer.c, compiled here: dlopen the
plugin, connect, run 64-sample blocks, one thread) over `--seconds` of synthetic audio, best of
3 passes. Beside it: PyTorch's offline `model.render` on one thread. Prints a table and writes
bench/results/plugin_speed.csv with the date, machine and commit.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from fxcore.validate import load_config
from fxcore.errors import FxcoreError
from fxcore.export import export_lv2
from fxcore.export.bundle import compiler
from fxcore.families import FAMILIES
from fxcore.model_io import save_model
from fxcore.models import build_model
from fxcore.synth import synthesize_track

from .scoring import one_thread
from .stamp import commit

HERE = Path(__file__).resolve().parent
# Not in config.yaml: NAM-style recurrent sizes, the families `model: auto` can choose (fxcore/families.py)
# with their candidate params (the hybrid around an ir: auto's drive_then_echo until 2026-12-06; the
# wiener_hammerstein family's longer filters), a hybrid around a chorus, and the phaser at its defaults.
EXTRA = [("lstm", {"hidden_size": 24}), ("gru", {"hidden_size": 24}), ("tremolo", {}),
         ("hybrid", {"block": "ir", "block_params": {"seconds": 1.0}}),
         ("series", FAMILIES["drive_then_echo"].model.params),
         ("wiener_hammerstein", FAMILIES["wiener_hammerstein"].model.params),
         ("hybrid", {"block": "chorus", "block_params": {"max_delay_ms": 100.0}}), ("phaser", {})]


def machine() -> str:
    """CPU model and core count, from /proc/cpuinfo."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores"


def build_timer(tmp: Path) -> Path:
    """Compile bench/plugin_timer.c."""
    exe = tmp / "plugin_timer"
    subprocess.run([*compiler(), "-O2", "-o", str(exe), str(HERE / "plugin_timer.c"), "-ldl"], check=True)
    return exe


def time_plugin(timer: Path, bundle: Path, x_file: Path, sample_rate: int, block: int) -> float:
    """× real time of the plugin's run() at `block`-sample blocks."""
    marker = json.loads((bundle / "fxcore-bundle.json").read_text())
    out = subprocess.run([str(timer), str(bundle / marker["binary"]), str(bundle) + "/", str(sample_rate), str(block),
                          str(x_file), "3"], capture_output=True, text=True, check=True).stdout.split()
    seconds, samples = float(out[0]), int(out[1])
    return samples / sample_rate / seconds


def time_torch(model: torch.nn.Module, x: np.ndarray, sample_rate: int) -> float:
    """× real time of model.render on one thread (best of 2)."""
    with one_thread():
        model.render(x[:sample_rate])  # warm-up (numba compilation, allocations)
        best = min(_timed(model.render, x) for _ in range(2))
    return len(x) / sample_rate / best


def _timed(fn, x: np.ndarray) -> float:
    t0 = time.perf_counter()
    fn(x)
    return time.perf_counter() - t0


def models_of(config: str) -> list[tuple[list[str], str, dict]]:
    """(effects, model name, params) for each distinct model of the config, then the extra rows."""
    cfg = load_config(config, check_backends=False)
    rows: dict[str, tuple[list[str], str, dict]] = {}
    for name, eff in cfg.effects.items():
        key = json.dumps([eff.model.name, eff.model.params], sort_keys=True)
        rows.setdefault(key, ([], eff.model.name, eff.model.params))[0].append(name)
    return list(rows.values()) + [(["(extra)"], n, p) for n, p in EXTRA]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.plugin_speed", description=__doc__.split("\n")[0])
    ap.add_argument("--config", default="config.yaml")
    ap.add_argument("--block", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--out", default=str(HERE / "results" / "plugin_speed.csv"))
    ap.add_argument("--only", default="", help="comma-separated model names: time only these and update "
                    "their rows of an existing CSV (the other rows are kept)")
    args = ap.parse_args(argv)
    only = {n for n in args.only.split(",") if n}
    cfg = load_config(args.config, check_backends=False)
    sr = cfg.sample_rate
    x = synthesize_track(7, 1, args.seconds, sr)
    stamp = {"date": datetime.date.today().isoformat(), "machine": machine(), "commit": commit()}
    rows = []
    with tempfile.TemporaryDirectory(prefix="fxcore-plugin-speed-") as tmp_name:
        tmp = Path(tmp_name)
        timer = build_timer(tmp)
        x_file = tmp / "x.f32"
        x.astype(np.float32).tofile(x_file)
        for i, (effects, name, params) in enumerate(models_of(args.config)):
            if only and name not in only:
                continue
            torch.manual_seed(0)
            model = build_model(name, params, sr).eval()
            path = tmp / f"m{i}.safetensors"
            save_model(path, model, params)
            row = {**stamp, "effects": " ".join(effects), "family": name + ("+dynamics" if params.get("dynamics") else ""),
                   "params": json.dumps(params, sort_keys=True), "parameters": model.num_parameters(),
                   "block": args.block, "plugin_x_realtime": "", "torch_x_realtime_1thread": "", "method": ""}
            try:
                info = export_lv2(path, tmp / f"m{i}.lv2")
                row["method"] = info["method"]
                row["plugin_x_realtime"] = f"{time_plugin(timer, tmp / f'm{i}.lv2', x_file, sr, args.block):.1f}"
            except FxcoreError as exc:
                row["method"] = f"not exported: {str(exc).split(' — ')[0]}"
            row["torch_x_realtime_1thread"] = f"{time_torch(model, x, sr):.1f}"
            rows.append(row)
            print(f"{row['effects']:<28} {row['family']:<28} {row['parameters']:>8} "
                  f"{row['plugin_x_realtime'] or '—':>10} {row['torch_x_realtime_1thread']:>10}", flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    if only and Path(args.out).is_file():  # keep the other models' rows, replace (or add) these
        with open(args.out, newline="") as f:
            old = list(csv.DictReader(f))
        new = {(r["family"], r["params"]): r for r in rows}
        merged = [new.pop((r["family"], r["params"]), r) for r in old]
        rows = merged + list(new.values())
    with open(args.out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")  # as committed (LF)
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {args.out} ({stamp['machine']}; commit {stamp['commit']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
