"""The accuracy benchmark runs end to end (`--quick`), so it never rots; its numbers are not asserted."""

from __future__ import annotations

import csv
import math
import subprocess
import sys
from pathlib import Path

import pytest

from bench import nam_system
from bench.accuracy import COLUMNS, TARGETS, format_table
from bench.pairs import PAIRS, parse_pairs
from fxcore.errors import FxcoreError

ROOT = Path(__file__).resolve().parents[1]


def test_pairs_cover_the_issues_and_name_config_effects():
    import yaml

    effects = yaml.safe_load((ROOT / "config.yaml").read_text())["effects"]
    assert {"a", "b", "c", "d", "e", "chorus", "delay", "reverb", "octave"} == set(PAIRS) == set(TARGETS)
    assert all(p.effect in effects for p in PAIRS.values())
    with pytest.raises(FxcoreError, match="unknown benchmark pair"):
        parse_pairs("a,zz")


def test_nam_presets_are_valid_nam_configs():
    pytest.importorskip("nam")
    from nam.train.lightning_module import LightningModule

    sizes = {}
    for name, net in nam_system.PRESETS.items():
        module = LightningModule.init_from_config({"net": net, "loss": {}, "optimizer": {"lr": 1e-3},
                                                   "lr_scheduler": None})
        sizes[name] = sum(p.numel() for p in module.net.parameters())
    # feather < standard; the LSTM 1×24: gates 4·24·(1 + 24 + 2), head 24 + 1, learned initial (h, c) 2·24
    assert sizes["wavenet-feather"] < sizes["wavenet-standard"]
    assert sizes["lstm-standard"] == 4 * 24 * 27 + 25 + 2 * 24


@pytest.mark.slow
def test_quick_benchmark_runs_end_to_end(tmp_path):
    out = tmp_path / "accuracy.csv"
    proc = subprocess.run([sys.executable, "-m", "bench.accuracy", "--quick", "--work", str(tmp_path / "work"),
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = list(csv.DictReader(out.open()))
    systems = {(r["pair"], r["system"], r["model"]) for r in rows}
    assert ("a", "fxcore", "wiener_hammerstein") in systems
    assert ("delay", "fxcore", "feedback_delay") in systems
    assert any(p == "delay" and s == "fxcore black-box" for p, s, _ in systems)
    if nam_system.available():
        assert {m for p, s, m in systems if p == "a" and s == "NAM"} == set(nam_system.PRESETS)
    for r in rows:
        assert math.isfinite(float(r["esr"])) and float(r["realtime_x"]) > 0 and float(r["seconds"]) > 0
    assert proc.stdout.splitlines()[1].split() == format_table(rows, COLUMNS).splitlines()[0].split()


def test_bad_arguments_fail_with_one_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "bench.accuracy", "--pairs", "nope", "--work", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1 and proc.stderr.strip().startswith("error: ") and "unknown benchmark pair" in proc.stderr
