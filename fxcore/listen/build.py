"""Listen stage glue: excerpts (WAV + mel PNG), the JND proxy and listen.html for one effect."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .. import metrics as M
from .. import plots as P
from ..atomic import atomic_dir, write_json, write_text
from ..audio import read_audio, write_audio
from ..errors import FxcoreError
from .excerpts import LISTEN_LUFS, choose_excerpts, loudness_match
from .page import listen_html
from .proxy import jnd_proxy

MEL_PNG_DPI = 50  # the report's triptych at 50 dpi: 650 × 210 px, a few tens of kB


def build_listen(test_dir: str | Path, metrics_path: str | Path, out_html: str | Path, out_dir: str | Path,
                 trials: int, excerpt_seconds: float) -> dict[str, Any]:
    """Write out_dir/ (excerpt WAVs, mel PNGs, manifest.json with the proxy) and out_html; return the manifest."""
    test_dir, out_html, out_dir = Path(test_dir), Path(out_html), Path(out_dir)
    clean, sr = read_audio(test_dir / "clean.wav")
    target, _ = read_audio(test_dir / "target.wav", sr)
    pred, _ = read_audio(test_dir / "model.wav", sr)
    metrics = json.loads(Path(metrics_path).read_text())
    if out_dir.parent.resolve() != out_html.parent.resolve():  # the page links its audio by relative path
        raise FxcoreError("the listen folder must sit beside its page", out_dir,
                          f"write it to {out_html.parent / out_dir.name}")
    rel = out_dir.name
    chosen = choose_excerpts(target, pred, sr, excerpt_seconds)
    excerpts, levels = [], []
    with atomic_dir(out_dir) as tmp:
        for ex in chosen:
            cut = slice(ex.start, ex.start + ex.length)
            raw = {"clean": clean[cut], "effect": target[cut], "model": pred[cut]}
            matched, level = loudness_match(raw, sr)
            levels.append(level)
            files = {}
            for kind, audio in matched.items():
                write_audio(tmp / f"{ex.name}_{kind}.wav", audio, sr, subtype="PCM_16")  # what every browser plays
                files[kind] = f"{rel}/{ex.name}_{kind}.wav"
            P.save_figure(P.mel_triptych(raw["clean"], raw["effect"], raw["model"], sr), tmp / f"{ex.name}_mel.png",
                          dpi=MEL_PNG_DPI)
            excerpts.append({
                "name": ex.name, "why": ex.why, "start_s": ex.start / sr, "end_s": (ex.start + ex.length) / sr,
                "esr": M.esr(raw["model"], raw["effect"]), "esr_clean": M.esr(raw["clean"], raw["effect"]),
                "mel_db": M.mel_distance(raw["model"], raw["effect"], sr),
                "mel_db_clean": M.mel_distance(raw["clean"], raw["effect"], sr),
                "level_lufs": level, "files": files, "mel_png": f"{rel}/{ex.name}_mel.png"})
        manifest = {
            "effect": metrics["effect"], "model": metrics["model"], "trials": int(trials),
            "excerpt_seconds": chosen[0].length / sr, "target_lufs": LISTEN_LUFS, "level_lufs": float(min(levels)),
            "test_seconds": len(target) / sr, "sample_rate": sr,
            "metrics": {k: metrics[k] for k in ("esr", "esr_clean", "mel_distance", "mel_distance_clean",
                                                "lufs_diff", "lufs_diff_clean")},
            "proxy": jnd_proxy(clean, target, pred, sr), "excerpts": excerpts,
        }
        write_json(tmp / "manifest.json", manifest)
    write_text(out_html, listen_html(manifest))
    return manifest


def read_manifest(out_dir: str | Path) -> dict[str, Any]:
    """The manifest.json a listen stage wrote (for the index)."""
    return json.loads((Path(out_dir) / "manifest.json").read_text())

