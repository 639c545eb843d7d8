"""The per-effect report: page 1 = metrics vs the clean baseline + setup, then the figures, then any appendix.

Written atomically and deterministically: the PDF carries no creation date, so the same inputs give
the same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import matplotlib.image as mpimg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from ..atomic import atomic_path
from ..config import EffectConfig
from ..plots import capture_response, new_figure
from .layout import A4, BAD, GOOD, LINE_IN, draw_table, fit_column, text_block
from .text import TEXT_WIDTH, clip, fmt, pretty, wrap

# (label, model key, clean key, "closer" key or None) — "better" means model < clean
METRIC_ROWS = (
    ("ESR", "esr", "esr_clean", "closer:esr"),
    ("MR-STFT", "mrstft", "mrstft_clean", "closer:mrstft"),
    ("mel distance (dB)", "mel_distance", "mel_distance_clean", "closer:mel_distance"),
    ("log-spectral distance (dB)", "lsd", "lsd_clean", "closer:lsd"),
    ("loudness error |ΔLUFS| (LU)", "lufs_diff", "lufs_diff_clean", "closer:lufs"),
    ("integrated loudness (LUFS)", "lufs_pred", "lufs_clean", None),
)


def _metric_table_rows(metrics: dict) -> tuple[list[list[str]], list[bool | None]]:
    closer = metrics.get("closer_to_target_than_clean", {}) or {}
    rows, better = [], []
    for label, mk, ck, bk in METRIC_ROWS:
        model, clean = metrics.get(mk), metrics.get(ck)
        if bk is None:
            b = None
            label = f"{label}, target {fmt(metrics.get('lufs_target'))}"
        else:
            key = bk.split(":", 1)[1]
            b = closer.get(key)
            if b is None and model is not None and clean is not None:
                b = bool(float(model) < float(clean))
        rows.append([label, fmt(model), fmt(clean), "" if b is None else ("yes" if b else "no")])
        better.append(b)
    return rows, better


def _title_page(effect: str, metrics: dict, blocks: dict[str, str], notes: str = "") -> tuple[Figure, list[str]]:
    fig = new_figure(*A4)
    H = A4[1]
    size = 20.0 if len(effect) <= 40 else max(10.0, 20.0 * 40 / len(effect))
    fig.text(0.5, 1 - 0.45 / H, clip(effect, 90), fontsize=size, fontweight="bold", ha="center", va="top")
    fig.text(0.5, 1 - 0.9 / H, "learned effect model: evaluation on held-out audio", fontsize=10,
             ha="center", va="top", color="0.35")
    if notes:  # the user's own line (config `report.notes`): gear, session, take
        fig.text(0.5, 1 - 1.08 / H, clip(" ".join(notes.split()), 110), fontsize=8, ha="center", va="top",
                 color="0.35", style="italic")
    rows, better = _metric_table_rows(metrics)
    colours = [[None, None, None, None if b is None else (GOOD if b else BAD)] for b in better]
    table_h = 0.27 * (len(rows) + 1)
    table_top = 1 - 1.25 / H
    draw_table(fig, (0.07, table_top - table_h / H, 0.86, table_h / H),
                ("metric", "model", "clean baseline", "better?"), rows, (0.46, 0.18, 0.2, 0.16), colours)
    wins = sum(1 for b in better if b)
    scored = sum(1 for b in better if b is not None)
    note_y = table_top - table_h / H - 0.12 / H
    fig.text(0.07, note_y, f"The model is closer to the effect than the unprocessed input on {wins} of {scored} "
             "metrics (lower is better; the clean baseline = doing nothing).", fontsize=8.5, va="top",
             color="0.25", wrap=True)
    text_top = note_y - 0.45 / H
    budget = int((text_top * H - 0.4) / LINE_IN)
    wrapped = {k: wrap(v) for k, v in blocks.items()}
    left, trunc_l = fit_column([("dataset", wrapped["dataset"]), ("effect chain", wrapped["effect chain"])], budget)
    right, trunc_r = fit_column([("training", wrapped["training"]), ("model", wrapped["model"])], budget)
    for x, column in ((0.07, left), (0.53, right)):
        y = text_top
        for heading, lines in column:
            text_block(fig, x, y, heading, lines)
            y -= (len(lines) + 2) * LINE_IN / H + 0.05 / H
    return fig, trunc_l + trunc_r


def _appendix_pages(headings: list[str], blocks: dict[str, str]) -> list[Figure]:
    pages: list[Figure] = []
    per_page = int((A4[1] - 1.2) / LINE_IN)
    for heading in headings:
        lines = wrap(blocks[heading], width=2 * TEXT_WIDTH)
        chunks = [lines[i:i + per_page] for i in range(0, len(lines), per_page)] or [[]]
        for k, chunk in enumerate(chunks):
            fig = new_figure(*A4)
            suffix = f" ({k + 1}/{len(chunks)})" if len(chunks) > 1 else ""
            text_block(fig, 0.07, 1 - 0.5 / A4[1], f"appendix: {heading}{suffix}", chunk)
            pages.append(fig)
    return pages


def build_report(path: str | Path, *, effect: str, metrics: dict, figures: Sequence[Figure], chain: object,
                 model_config: dict, dataset_facts: dict, training_facts: dict, notes: str = "") -> None:
    """Write a multi-page PDF: page 1 = metrics table + setup (+ the user's notes); then one page per figure;
    then any appendix."""
    blocks = {
        "dataset": pretty(dataset_facts),
        "training": pretty(training_facts),
        "effect chain": pretty(chain),
        "model": pretty(model_config),
    }
    title, truncated = _title_page(effect, metrics, blocks, notes)
    pages = [title, *figures, *_appendix_pages(truncated, blocks)]
    meta = {"Title": f"fxcore report: {effect}", "Subject": notes, "Creator": "fxcore", "CreationDate": None}
    with atomic_path(path, suffix=".pdf") as tmp:
        with PdfPages(tmp, metadata=meta) as pdf:
            for page in pages:
                pdf.savefig(page)


def _png_figure(path: Path) -> Figure:
    """A saved PNG as a page-sized figure of its own (at 120 dpi, as plots.save_figure wrote it)."""
    img = mpimg.imread(path)
    fig = new_figure(img.shape[1] / 120, img.shape[0] / 120)
    fig.set_dpi(120)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.imshow(img)
    ax.set_axis_off()
    return fig


def auto_ranking_page(chosen: str, ranking: Sequence[dict]) -> Figure:
    """`model: auto`: one page with every candidate family's validation ESR, trial steps and seconds, best first."""
    fig = new_figure(*A4)
    fig.text(0.07, 1 - 0.5 / A4[1], f"model: auto — chose {chosen}", fontsize=12, fontweight="bold", va="top")
    fig.text(0.07, 1 - 0.85 / A4[1], "Each family: closed-form initialise on the train split + a trial of a fixed "
             "number of steps, ranked by ESR on the validation split.", fontsize=8, va="top")
    rows = [[r["family"], r["model"], fmt(r["val_esr"]), str(r.get("steps", "")), fmt(r["seconds"]),
             clip(r.get("error", "") or r.get("gave_up", "")
                  or (f"ranked at {r['handicap']:g}× its val ESR" if "handicap" in r else ""), 36)]
            for r in ranking]
    height = min(0.8, 0.035 * (len(rows) + 1))
    draw_table(fig, (0.07, 0.88 - height, 0.86, height), ["family", "model", "val ESR", "steps", "seconds", "note"],
               rows, [0.2, 0.2, 0.13, 0.1, 0.11, 0.26])
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
                                            "stop_reason", "val_metric", "best_val", "best_step")}
    figures = [_png_figure(p) for p in sorted(Path(plots_dir).glob("*.png"))]
    if facts.get("auto_ranking"):  # model: auto — which families were tried, and why this one won
        figures.insert(0, auto_ranking_page(facts["model"], facts["auto_ranking"]))
    if capture and capture.get("response"):  # where the estimated response starts: the removed latency
        figures.append(capture_response(capture["response"], manifest["sample_rate"]))
    build_report(out_pdf, effect=cfg.name, metrics=metrics, figures=figures,
                 chain={"backend": cfg.backend, "chain": cfg.chain, "options": cfg.options},
                 model_config={"name": cfg.model.name, "params": cfg.model.params},
                 dataset_facts=dataset_facts, training_facts=training_facts, notes=notes)
