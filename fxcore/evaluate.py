"""Evaluation stage: score the model's test-split output (metrics.json) and draw the figures (plots/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import metrics as M
from . import plots as P
from .atomic import atomic_dir, write_json
from .audio import read_audio
from .model_io import load_model


def evaluate_effect(test_dir: str | Path, model_path: str | Path, history_csv: str | Path,
                    train_json: str | Path, metrics_path: str | Path, plots_dir: str | Path) -> dict[str, Any]:
    """Score the model's test-split output against the target (and the clean baseline); draw the figures."""
    test_dir = Path(test_dir)
    clean, sr = read_audio(test_dir / "clean.wav")
    target, _ = read_audio(test_dir / "target.wav", sr)
    pred, _ = read_audio(test_dir / "model.wav", sr)
    facts = json.loads(Path(train_json).read_text())
    result = {"effect": facts["effect"], "model": facts["model"], "parameters": facts["parameters"],
              "device": facts["device"], "train_steps": facts["steps"],
              "test_seconds": round(len(clean) / sr, 3), **M.evaluate(clean, target, pred, sr)}
    model = load_model(model_path)
    figures = {
        "1_mel_spectrograms": P.mel_triptych(clean, target, pred, sr, title=facts["effect"]),
        "2_waveform_overlay": P.waveform_overlay(clean, target, pred, sr),
        "3_training_curve": P.training_curve(str(history_csv), val_metric=facts.get("val_metric", "esr")),
    }
    for i, d in enumerate(model.diagnostics(clean, target)):
        figures[f"4_structure_{i}"] = P.curve_comparison(d["x"], d["learned"], d.get("measured"),
                                                         d["xlabel"], d["ylabel"], d["title"])
    with atomic_dir(plots_dir) as tmp:
        for name, fig in figures.items():
            P.save_figure(fig, tmp / f"{name}.png")
    write_json(metrics_path, result)
    return result
