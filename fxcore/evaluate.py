"""Evaluation stage glue: metrics.json, figures, the per-effect report and the cross-effect summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from . import metrics as M  # noqa: E402
from . import plots as P  # noqa: E402
from .atomic import atomic_dir, write_json  # noqa: E402
from .audio import read_audio  # noqa: E402
from .config import EffectConfig  # noqa: E402
from .report import build_report, build_summary  # noqa: E402
from .model_io import load_model  # noqa: E402


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
        "3_training_curve": P.training_curve(str(history_csv)),
    }
    for i, d in enumerate(model.diagnostics(clean, target)):
        figures[f"4_structure_{i}"] = P.curve_comparison(d["x"], d["learned"], d.get("measured"),
                                                         d["xlabel"], d["ylabel"], d["title"])
    with atomic_dir(plots_dir) as tmp:
        for name, fig in figures.items():
            P.save_figure(fig, tmp / f"{name}.png")
    write_json(metrics_path, result)
    return result


def _png_figure(path: Path) -> plt.Figure:
    img = mpimg.imread(path)
    fig = plt.figure(figsize=(img.shape[1] / 120, img.shape[0] / 120), dpi=120)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.imshow(img)
    ax.set_axis_off()
    return fig


def make_report(cfg: EffectConfig, metrics_path: str | Path, plots_dir: str | Path, manifest_path: str | Path,
                train_json: str | Path, out_pdf: str | Path, notes: str = "") -> None:
    """Assemble results/<effect>/report.pdf from the evaluation outputs."""
    metrics = json.loads(Path(metrics_path).read_text())
    manifest = json.loads(Path(manifest_path).read_text())
    facts = json.loads(Path(train_json).read_text())
    dataset_facts = {"sample_rate": manifest["sample_rate"], "latency_samples": manifest["latency_samples"],
                     "latency_ms": manifest["latency_ms"], "tracks": len(manifest["tracks"]),
                     **{f"{k}_seconds": round(v, 2) for k, v in manifest["durations_s"].items()}}
    capture = manifest["checks"].get("recorded")
    if capture:  # a user's recorded pair: every check's result belongs in the report
        dataset_facts.update({f"capture_{k}": v for k, v in capture.items()
                              if not k.endswith("_path") and k != "response"})
    training_facts = {k: facts[k] for k in ("device", "device_name", "parameters", "steps", "seconds",
                                            "stop_reason", "best_val_esr", "best_step")}
    figures = [_png_figure(p) for p in sorted(Path(plots_dir).glob("*.png"))]
    if facts.get("auto_ranking"):  # model: auto — which families were tried, and why this one won
        from .report import auto_ranking_page

        figures.insert(0, auto_ranking_page(facts["model"], facts["auto_ranking"]))
    if capture and capture.get("response"):  # where the estimated response starts: the removed latency
        figures.append(P.capture_response(capture["response"], manifest["sample_rate"]))
    build_report(out_pdf, effect=cfg.name, metrics=metrics, figures=figures,
                 chain={"backend": cfg.backend, "chain": cfg.chain, "options": cfg.options},
                 model_config={"name": cfg.model.name, "params": cfg.model.params},
                 dataset_facts=dataset_facts, training_facts=training_facts, notes=notes)


SUMMARY_KEYS = ("effect", "model", "parameters", "device", "train_seconds", "esr", "esr_clean", "mrstft",
                "mrstft_clean", "mel_distance", "mel_distance_clean", "lsd", "lsd_clean", "lufs_diff",
                "lufs_diff_clean")


def make_summary(metrics_paths: Sequence[str | Path], train_json_paths: Sequence[str | Path], csv_path: str | Path,
                 pdf_path: str | Path) -> list[dict]:
    """results/summary.csv + summary.pdf: one row per effect (metrics.json + the timing in train.json)."""
    rows = []
    for p, t in zip(metrics_paths, train_json_paths, strict=True):
        m = {**json.loads(Path(p).read_text()), "train_seconds": json.loads(Path(t).read_text())["seconds"]}
        row = {k: m[k] for k in SUMMARY_KEYS}
        row["closer"] = sum(bool(v) for v in m["closer_to_target_than_clean"].values())
        rows.append(row)
    build_summary(csv_path, pdf_path, rows)
    return rows
