"""results/index.html: every effect's model, its metrics against the clean baseline, and links; sortable."""

from __future__ import annotations

import csv
from html import escape
from pathlib import Path
from typing import Any, Sequence

from .page import asset

# (summary.csv / proxy key, header, format) in display order; "clean" columns are the do-nothing baseline
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("effect", "effect", "text"), ("model", "model", "text"), ("parameters", "params", "int"),
    ("train_seconds", "train s", "num"),
    ("esr", "ESR", "num"), ("esr_clean", "ESR clean", "num"),
    ("mel_distance", "mel dB", "num"), ("mel_distance_clean", "mel clean", "num"),
    ("lsd", "LSD dB", "num"), ("lsd_clean", "LSD clean", "num"),
    ("lufs_diff", "ΔLUFS", "num"), ("lufs_diff_clean", "ΔLUFS clean", "num"),
    ("closer", "closer (of 5)", "int"), ("below_jnd", "below JND", "pct"),
)

SORT_JS = """
// Click a header to sort by it (numbers by value, text alphabetically); click again to reverse.
(function () {
  "use strict";
  var table = document.getElementById("results");
  var heads = table.tHead.rows[0].cells;
  for (var c = 0; c < heads.length; c++) {
    if (!heads[c].classList.contains("sortable")) { continue; }
    heads[c].addEventListener("click", (function (col) {
      return function () {
        var th = heads[col], asc = th.dataset.dir !== "asc";
        for (var i = 0; i < heads.length; i++) { delete heads[i].dataset.dir; }
        th.dataset.dir = asc ? "asc" : "desc";
        var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
        var numeric = th.dataset.type === "number";
        rows.sort(function (r1, r2) {
          var a = r1.cells[col].dataset.value, b = r2.cells[col].dataset.value;
          var d = numeric ? parseFloat(a) - parseFloat(b) : a.localeCompare(b);
          return asc ? d : -d;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      };
    })(c));
  }
})();
"""


def _cell(value: Any, kind: str) -> str:
    """A sortable cell: data-value holds the exact value, the text a rounded one."""
    if kind == "text":
        return f'<td class="text" data-value="{escape(str(value))}">{escape(str(value))}</td>'
    v = float(value)
    text = {"int": f"{v:.0f}", "pct": f"{100 * v:.0f} %", "num": f"{v:.3g}"}[kind]
    return f'<td data-value="{v!r}">{text}</td>'


def index_html(summary_csv: str | Path, manifests: Sequence[dict[str, Any]]) -> str:
    """The page: summary.csv rows (+ each effect's below-JND share from its listen manifest); links relative to results/."""
    with open(summary_csv, newline="") as f:
        rows = list(csv.DictReader(f))
    proxy = {m["effect"]: m["proxy"] for m in manifests}
    head = "".join(f'<th class="sortable{" text" if kind == "text" else ""}" '
                   f'data-type="{"text" if kind == "text" else "number"}">{escape(label)}</th>'
                   for _, label, kind in COLUMNS)
    body = []
    for row in rows:
        e = row["effect"]
        row = {**row, "below_jnd": proxy[e]["below_jnd"] if e in proxy else float("nan")}
        cells = "".join(_cell(row[key], kind) for key, _, kind in COLUMNS)
        links = (f'<td class="text"><a href="{escape(e)}/report.pdf">report.pdf</a> · '
                 f'<a href="{escape(e)}/listen.html">listen</a></td>')
        body.append(f"<tr>{cells}{links}</tr>")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>fxcore — results</title>
<style>{asset("page.css")} body {{ max-width: 1200px; }}</style>
</head><body>
<h1>fxcore results</h1>
<p class="note">One row per effect, from <a href="summary.csv">summary.csv</a> (also <a href="summary.pdf">summary.pdf</a>).
Each metric is the model against the effect on the held-out test split; its "clean" column is the do-nothing
baseline (the clean input against the effect). Lower is better everywhere; "closer" counts the metrics where the
model beats the baseline. "below JND": share of 1-s test windows where the model's mel distance is under 1 dB and
its loudness error under 1 LU (a proxy for inaudible, see each listen page). Click a header to sort.</p>
<table id="results">
<thead><tr>{head}<th class="text">pages</th></tr></thead>
<tbody>
{chr(10).join(body)}
</tbody></table>
<script>{SORT_JS}</script>
</body></html>
"""


def build_index(summary_csv: str | Path, listen_dirs: Sequence[str | Path], out_html: str | Path) -> None:
    """Write results/index.html from summary.csv and each effect's listen/manifest.json."""
    from ..atomic import write_text
    from .build import read_manifest

    write_text(out_html, index_html(summary_csv, [read_manifest(d) for d in listen_dirs]))
