"""Run an exported bundle in two independent hosts: fxcore's own lilv host (any block sizes) and
Debian's `lv2apply` — the proof that the plugin computes what the model computes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from ..audio import read_audio, write_audio
from ..effects.child import run_child
from ..errors import FxcoreError
from .bundle import MARKER


def bundle_uri(bundle: str | Path) -> str:
    """The plugin URI recorded in a bundle's marker file."""
    return json.loads((Path(bundle) / MARKER).read_text())["uri"]


def _env(bundle: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["LV2_PATH"] = str(bundle.resolve().parent)  # this bundle's folder only: no other plugin interferes
    return env


def render_host(bundle: str | Path, x: np.ndarray, sample_rate: int, block_size: int = 512,
                block_sizes: list[int] | None = None, gain_db: float = 0.0) -> np.ndarray:
    """x through the plugin in fxcore's lilv host (child process), latency removed; (T,) float32."""
    bundle = Path(bundle)

    def fail(msg: str, fix: str | None = None) -> FxcoreError:
        return FxcoreError(msg, bundle, fix)

    with tempfile.TemporaryDirectory(prefix="fxcore-lv2-") as tmp:
        job = {"chain": [{"uri": bundle_uri(bundle), "controls": {"gain": float(gain_db)}}],
               "sample_rate": int(sample_rate), "block_size": int(block_size), "downmix": "left",
               "compensate_latency": True, "reset_after_probe": True,
               "input": str(Path(tmp) / "in.f32"), "output": str(Path(tmp) / "out.f32")}
        if block_sizes:
            job["block_sizes"] = [int(b) for b in block_sizes]
        np.ascontiguousarray(x, dtype=np.float32).tofile(job["input"])
        (Path(tmp) / "job.json").write_text(json.dumps(job))
        run_child(["lv2-render", str(Path(tmp) / "job.json")], "LV2 render", fail, timeout=600, env=_env(bundle))
        return np.fromfile(job["output"], dtype=np.float32)


def render_lv2apply(bundle: str | Path, x: np.ndarray, sample_rate: int) -> np.ndarray:
    """x through the plugin in Debian's lv2apply (lilv-utils), float WAV in and out; (T,) float32, as it wrote it."""
    bundle = Path(bundle)
    exe = shutil.which("lv2apply")
    if exe is None:
        raise FxcoreError("lv2apply not found", None, "sudo apt-get install lilv-utils")
    with tempfile.TemporaryDirectory(prefix="fxcore-lv2apply-") as tmp:
        src, dst = Path(tmp) / "in.wav", Path(tmp) / "out.wav"
        write_audio(src, x, sample_rate, subtype="FLOAT")
        res = subprocess.run([exe, "-i", str(src), "-o", str(dst), bundle_uri(bundle)], capture_output=True,
                             text=True, env=_env(bundle), timeout=600)
        if res.returncode != 0 or not dst.exists():
            raise FxcoreError(f"lv2apply failed: {' '.join(res.stderr.split())[:200]}", bundle,
                              "run the same lv2apply command by hand to see why")
        y, _ = read_audio(dst, sample_rate)
    return y
