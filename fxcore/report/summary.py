"""The cross-effect summary: results/summary.csv (one row per effect) and summary.pdf (table + bar charts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from ..atomic import atomic_path
from ..errors import FxcoreError
from ..plots import new_figure, summary_bars
from .layout import A4, BAD, GOOD, draw_table
from .text import clip, fmt, is_number, plain

SUMMARY_COLUMNS = ("effect", "model", "esr", "esr_clean", "mel_distance", "mel_distance_clean",
                   "lufs_diff", "closer")


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(plain(value), sort_keys=True)
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return value.item()
    return value


def build_summary(csv_path: str | Path, pdf_path: str | Path, rows: Sequence[dict]) -> None:
    """Write the all-effects CSV (fixed leading columns, then extras) and a PDF with a table and bar charts."""
    for i, row in enumerate(rows):
        missing = [k for k in SUMMARY_COLUMNS if k not in row]
        if missing:
            raise FxcoreError(f"summary row {i} ({row.get('effect', '?')}) lacks {', '.join(missing)}",
                              csv_path, "evaluate every effect before building the summary")
    columns = list(SUMMARY_COLUMNS)
    for row in rows:
        columns.extend(k for k in row if k not in columns)

    header = ("effect", "model", "ESR", "ESR clean", "mel dist", "mel clean", "|ΔLU|", "closer")
    table_rows, colours = [], []
    for row in rows:
        table_rows.append([clip(str(row["effect"]), 26), clip(str(row["model"]), 22), fmt(row["esr"]), fmt(row["esr_clean"]),
                           fmt(row["mel_distance"]), fmt(row["mel_distance_clean"]), fmt(row["lufs_diff"]),
                           f"{int(row['closer'])}/5" if is_number(row["closer"]) else str(row["closer"])])
        esr_ok = (is_number(row["esr"]) and is_number(row["esr_clean"])
                  and float(row["esr"]) < float(row["esr_clean"]))
        mel_ok = (is_number(row["mel_distance"]) and is_number(row["mel_distance_clean"])
                  and float(row["mel_distance"]) < float(row["mel_distance_clean"]))
        colours.append([None, None, GOOD if esr_ok else BAD, None, GOOD if mel_ok else BAD, None, None, None])
    per_page = 34
    pages: list[Figure] = []
    chunks = [table_rows[i:i + per_page] for i in range(0, len(table_rows), per_page)] or [[]]
    for k, chunk in enumerate(chunks):
        fig = new_figure(*A4)
        H = A4[1]
        fig.text(0.5, 1 - 0.45 / H, "fxcore summary: all effects", fontsize=18, fontweight="bold",
                 ha="center", va="top")
        fig.text(0.5, 1 - 0.85 / H, "lower is better; 'clean' = the unprocessed input (doing nothing); "
                 "'closer' = metrics where the model beats clean", fontsize=8.5, ha="center", va="top",
                 color="0.35")
        if chunk:
            h = 0.27 * (len(chunk) + 1)
            draw_table(fig, (0.05, 1 - (1.15 + h) / H, 0.9, h / H), header, chunk,
                        (0.2, 0.16, 0.1, 0.1, 0.1, 0.1, 0.1, 0.08),
                        colours[k * per_page:(k + 1) * per_page], font_size=8)
        else:
            fig.text(0.5, 0.5, "no effects evaluated", ha="center")
        pages.append(fig)
    if rows:
        pages.append(summary_bars(rows))

    with atomic_path(csv_path, suffix=".csv") as tmp_csv, atomic_path(pdf_path, suffix=".pdf") as tmp_pdf:
        table = pd.DataFrame([{k: _csv_value(row.get(k)) for k in columns} for row in rows], columns=columns)
        table.to_csv(tmp_csv, index=False, lineterminator="\r\n")  # the csv module's dialect, as before
        with PdfPages(tmp_pdf, metadata={"Title": "fxcore summary", "Creator": "fxcore",
                                         "CreationDate": None}) as pdf:
            for page in pages:
                pdf.savefig(page)


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
