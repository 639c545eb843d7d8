"""PDF reports: one per effect (metrics vs the do-nothing baseline, setup, figures) and a summary.

Both are written atomically (temp file beside the target, then rename) and deterministically:
the PDF carries no creation date, so the same inputs give the same bytes.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import textwrap
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import yaml
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from .atomic import atomic_path
from .errors import FxcoreError
from .plots import new_figure, summary_bars

A4 = (8.27, 11.69)
TEXT_WIDTH = 58  # characters per line in a half-page text column
MONO_SIZE = 7.2  # points
LINE_IN = MONO_SIZE * 1.25 / 72  # inches per text line
GOOD, BAD = "#cdebc9", "#f6cccc"  # table cell colours: model beats / loses to the clean baseline

# (label, model key, clean key, "closer" key or None) — "better" means model < clean
METRIC_ROWS = (
    ("ESR", "esr", "esr_clean", "closer:esr"),
    ("MR-STFT", "mrstft", "mrstft_clean", "closer:mrstft"),
    ("mel distance (dB)", "mel_distance", "mel_distance_clean", "closer:mel_distance"),
    ("log-spectral distance (dB)", "lsd", "lsd_clean", "closer:lsd"),
    ("loudness error |ΔLUFS| (LU)", "lufs_diff", "lufs_diff_clean", "closer:lufs"),
    ("integrated loudness (LUFS)", "lufs_pred", "lufs_clean", None),
)

SUMMARY_COLUMNS = ("effect", "model", "esr", "esr_clean", "mel_distance", "mel_distance_clean",
                   "lufs_diff", "closer")


# --------------------------------------------------------------------------- formatting

def _plain(obj: Any) -> Any:
    """Convert dataclasses, numpy values, paths and objects into YAML-safe plain data."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _plain(dataclasses.asdict(obj))
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _plain(obj.tolist()) if obj.size <= 16 else f"array{tuple(obj.shape)} {obj.dtype}"
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer, int)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        return float(f"{v:.6g}") if math.isfinite(v) else str(v)
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, Path):
        return str(obj)
    for attr in ("to_dict", "as_dict"):
        if callable(getattr(obj, attr, None)):
            return _plain(getattr(obj, attr)())
    if hasattr(obj, "chain"):  # an EffectBackend: show its chain
        return _plain({"backend": getattr(obj, "name", type(obj).__name__), "chain": obj.chain})
    return repr(obj)


class _Dumper(yaml.SafeDumper):
    """Block-style YAML, but short lists of scalars inline: `taps: [1, 2, 3]`."""


def _represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flow = len(data) <= 16 and all(isinstance(v, (int, float, bool, str)) and len(str(v)) < 20 for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


def pretty(obj: Any) -> str:
    """Human-readable YAML for configs, chains and fact dicts (JSON strings are parsed first)."""
    if isinstance(obj, str):
        try:
            obj = json.loads(obj)
        except ValueError:
            return obj.rstrip()
    text = yaml.dump(_plain(obj), Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=TEXT_WIDTH)
    return text.rstrip() if text.strip() not in ("", "{}", "[]", "null", "...") else "(none)"


def _wrap(text: str, width: int = TEXT_WIDTH) -> list[str]:
    lines: list[str] = []
    for line in text.splitlines() or [""]:
        if len(line) <= width:
            lines.append(line)
            continue
        indent = " " * min(len(line) - len(line.lstrip()) + 2, width // 2)
        lines.extend(textwrap.wrap(line, width, subsequent_indent=indent, break_long_words=True,
                                   drop_whitespace=False) or [""])
    return lines


def fmt(value: Any) -> str:
    """Compact number formatting for tables (4 significant digits, scientific below 1e-3)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(v):
        return "—"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    if v != 0 and abs(v) < 1e-3:
        return f"{v:.3e}"
    return f"{v:.4g}"


# --------------------------------------------------------------------------- per-effect report

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


def _draw_table(fig: Figure, rect: tuple[float, float, float, float], header: Sequence[str],
                rows: Sequence[Sequence[str]], col_widths: Sequence[float],
                colours: Sequence[Sequence[str | None]] | None = None, font_size: float = 9.0) -> None:
    ax = fig.add_axes(rect)
    ax.axis("off")
    table = ax.table(cellText=[list(r) for r in rows], colLabels=list(header), colWidths=list(col_widths),
                     loc="upper center", cellLoc="center", bbox=(0, 0, 1, 1))
    table.auto_set_font_size(False)
    table.set_fontsize(font_size)
    for (r, c), cell in table.get_celld().items():
        cell.set_edgecolor("0.75")
        if r == 0:
            cell.set_facecolor("0.88")
            cell.set_text_props(fontweight="bold")
        elif c == 0:
            cell.set_text_props(ha="left")
            cell.PAD = 0.03
        if r > 0 and colours is not None:
            colour = colours[r - 1][c]
            if colour:
                cell.set_facecolor(colour)


def _text_block(fig: Figure, x: float, y_top: float, heading: str, lines: list[str]) -> None:
    fig.text(x, y_top, heading, fontsize=10, fontweight="bold", va="top", ha="left")
    body_top = y_top - 0.22 / fig.get_figheight()
    fig.text(x, body_top, "\n".join(lines), fontsize=MONO_SIZE, family="monospace", va="top", ha="left",
             linespacing=1.25)


def _fit_column(blocks: list[tuple[str, list[str]]], budget: int) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """Share `budget` text lines among a column's blocks; return the shown blocks and truncated headings."""
    need = [len(lines) + 2 for _, lines in blocks]  # +2: heading and gap
    if sum(need) <= budget:
        return blocks, []
    shown, truncated = [], []
    remaining = budget
    for i, (heading, lines) in enumerate(blocks):
        later_min = sum(min(n, 8) for n in need[i + 1:])  # leave room for later blocks
        room = max(remaining - later_min - 2, 3)
        if len(lines) > room:
            lines = lines[: room - 1] + [f"… {len(lines) - room + 1} more lines: full text in the appendix"]
            truncated.append(heading)
        shown.append((heading, lines))
        remaining -= len(lines) + 2
    return shown, truncated


def _title_page(effect: str, metrics: dict, blocks: dict[str, str], notes: str = "") -> tuple[Figure, list[str]]:
    fig = new_figure(*A4)
    H = A4[1]
    size = 20.0 if len(effect) <= 40 else max(10.0, 20.0 * 40 / len(effect))
    fig.text(0.5, 1 - 0.45 / H, _clip(effect, 90), fontsize=size, fontweight="bold", ha="center", va="top")
    fig.text(0.5, 1 - 0.9 / H, "learned effect model: evaluation on held-out audio", fontsize=10,
             ha="center", va="top", color="0.35")
    if notes:  # the user's own line (config `report.notes`): gear, session, take
        fig.text(0.5, 1 - 1.08 / H, _clip(" ".join(notes.split()), 110), fontsize=8, ha="center", va="top",
                 color="0.35", style="italic")
    rows, better = _metric_table_rows(metrics)
    colours = [[None, None, None, None if b is None else (GOOD if b else BAD)] for b in better]
    table_h = 0.27 * (len(rows) + 1)
    table_top = 1 - 1.25 / H
    _draw_table(fig, (0.07, table_top - table_h / H, 0.86, table_h / H),
                ("metric", "model", "clean baseline", "better?"), rows, (0.46, 0.18, 0.2, 0.16), colours)
    wins = sum(1 for b in better if b)
    scored = sum(1 for b in better if b is not None)
    note_y = table_top - table_h / H - 0.12 / H
    fig.text(0.07, note_y, f"The model is closer to the effect than the unprocessed input on {wins} of {scored} "
             "metrics (lower is better; the clean baseline = doing nothing).", fontsize=8.5, va="top",
             color="0.25", wrap=True)
    text_top = note_y - 0.45 / H
    budget = int((text_top * H - 0.4) / LINE_IN)
    wrapped = {k: _wrap(v) for k, v in blocks.items()}
    left, trunc_l = _fit_column([("dataset", wrapped["dataset"]), ("effect chain", wrapped["effect chain"])], budget)
    right, trunc_r = _fit_column([("training", wrapped["training"]), ("model", wrapped["model"])], budget)
    for x, column in ((0.07, left), (0.53, right)):
        y = text_top
        for heading, lines in column:
            _text_block(fig, x, y, heading, lines)
            y -= (len(lines) + 2) * LINE_IN / H + 0.05 / H
    return fig, trunc_l + trunc_r


def _appendix_pages(headings: list[str], blocks: dict[str, str]) -> list[Figure]:
    pages: list[Figure] = []
    per_page = int((A4[1] - 1.2) / LINE_IN)
    for heading in headings:
        lines = _wrap(blocks[heading], width=2 * TEXT_WIDTH)
        chunks = [lines[i:i + per_page] for i in range(0, len(lines), per_page)] or [[]]
        for k, chunk in enumerate(chunks):
            fig = new_figure(*A4)
            suffix = f" ({k + 1}/{len(chunks)})" if len(chunks) > 1 else ""
            _text_block(fig, 0.07, 1 - 0.5 / A4[1], f"appendix: {heading}{suffix}", chunk)
            pages.append(fig)
    return pages


def auto_ranking_page(chosen: str, ranking: Sequence[dict]) -> Figure:
    """`model: auto`: one page with every candidate family's validation ESR and seconds, best first."""
    fig = new_figure(*A4)
    fig.text(0.07, 1 - 0.5 / A4[1], f"model: auto — chose {chosen}", fontsize=12, fontweight="bold", va="top")
    fig.text(0.07, 1 - 0.85 / A4[1], "Each family: closed-form initialise on the train split + a short training "
             "trial, ranked by ESR on the validation split.", fontsize=8, va="top")
    rows = [[r["family"], r["model"], fmt(r["val_esr"]), fmt(r["seconds"]), _clip(r.get("error", ""), 40)]
            for r in ranking]
    height = min(0.8, 0.035 * (len(rows) + 1))
    _draw_table(fig, (0.07, 0.88 - height, 0.86, height), ["family", "model", "val ESR", "seconds", "note"], rows,
                [0.22, 0.22, 0.14, 0.12, 0.3])
    return fig


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


# --------------------------------------------------------------------------- summary

def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(_plain(value), sort_keys=True)
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
        table_rows.append([_clip(str(row["effect"]), 26), _clip(str(row["model"]), 22), fmt(row["esr"]), fmt(row["esr_clean"]),
                           fmt(row["mel_distance"]), fmt(row["mel_distance_clean"]), fmt(row["lufs_diff"]),
                           f"{int(row['closer'])}/5" if _is_number(row["closer"]) else str(row["closer"])])
        esr_ok = (_is_number(row["esr"]) and _is_number(row["esr_clean"])
                  and float(row["esr"]) < float(row["esr_clean"]))
        mel_ok = (_is_number(row["mel_distance"]) and _is_number(row["mel_distance_clean"])
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
            _draw_table(fig, (0.05, 1 - (1.15 + h) / H, 0.9, h / H), header, chunk,
                        (0.2, 0.16, 0.1, 0.1, 0.1, 0.1, 0.1, 0.08),
                        colours[k * per_page:(k + 1) * per_page], font_size=8)
        else:
            fig.text(0.5, 0.5, "no effects evaluated", ha="center")
        pages.append(fig)
    if rows:
        pages.append(summary_bars(rows))

    with atomic_path(csv_path, suffix=".csv") as tmp_csv, atomic_path(pdf_path, suffix=".pdf") as tmp_pdf:
        with tmp_csv.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                writer.writerow({k: _csv_value(row.get(k)) for k in columns})
        with PdfPages(tmp_pdf, metadata={"Title": "fxcore summary", "Creator": "fxcore",
                                         "CreationDate": None}) as pdf:
            for page in pages:
                pdf.savefig(page)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _is_number(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False
