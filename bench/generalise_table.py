"""The README's generalisation table, generated from bench/results/generalise.csv so the two cannot drift.

    python -m bench.generalise_table                     # print the table (markdown)
    python -m bench.generalise_table --readme README.md  # rewrite the block between the markers

One line per benchmark row and system (bench/zoo.py order): held-out ESR, mel distance, the
issue's target and whether it is met, `auto ÷ hand` (auto's ESR over the hand-picked model's) and
the commit the row was measured at; then a count of targets met.
"""

from __future__ import annotations

import sys

import pandas as pd

from fxcore.models.auto import GOOD_ENOUGH

from .tables import table_main
from .zoo import ROWS

NAME, CSV = "generalise-table", "bench/results/generalise.csv"
HEAD = ("row", "family", "host", "system", "model", "wall s", "held-out ESR", "mel dB", "target", "met", "auto ÷ hand",
        "commit")
SYSTEMS = ("fxcore auto", "fxcore hand-picked")
NAM = "nam-wavenet"  # bench.generalise.SYSTEM_KEYS["nam"]


def _g(x: object) -> str:
    """3 significant digits, '' for a missing value."""
    return "" if pd.isna(x) or x == "" else f"{float(x):.2g}"


def _met(x: object) -> str:
    return "" if pd.isna(x) or x == "" else ("✓" if str(x) == "True" else "✗")


def summary(rows: pd.DataFrame) -> str:
    """Targets met by each fxcore system, and auto within 1.5× of the hand pick, over the rows measured."""
    parts = []
    for system in SYSTEMS:
        mine = rows[rows.system == system]
        parts.append(f"{system}: target met on {int((mine.met.astype(str) == 'True').sum())} of {len(mine)} rows")
    auto = rows[rows.system == "fxcore auto"]
    ratio = pd.to_numeric(auto.auto_ratio, errors="coerce")
    close, rows_with_both = int((ratio <= 1.5).sum()), int(ratio.notna().sum())
    text = f"auto within 1.5× of the hand pick (or better) on {close} of {rows_with_both}"
    esr = rows.assign(esr=pd.to_numeric(rows.esr)).pivot_table(index="row", columns="system", values="esr")
    if set(SYSTEMS) <= set(esr):
        far = esr.loc[auto.row[ratio > 1.5]]
        quiet = far[(far[list(SYSTEMS)] <= GOOD_ENOUGH).all(axis=1)].index
        if len(quiet):  # a ratio of two inaudible errors (float round-off on an LTI row) is no shortfall
            text += (f"; on {len(quiet)} more ({', '.join(quiet)}) both are at or below {GOOD_ENOUGH:g}, "
                     "the inaudible ESR at which auto stops searching")
    parts.append(text)
    if NAM in esr and "fxcore auto" in esr:
        varying = {k for k, r in ROWS.items() if r.time_varying}
        both = esr[esr.index.isin(varying)][[NAM, "fxcore auto"]].dropna()
        parts.append(f"auto ≥ 10× better than NAM WaveNet on {int((both[NAM] >= 10 * both['fxcore auto']).sum())} "
                     f"of {len(both)} time-varying rows NAM ran on")
    return "; ".join(parts) + "."


def markdown(rows: pd.DataFrame, csv: str = CSV) -> str:
    """The table, with a header line (machines, dates, commits, the CSV) and the summary line, as markdown."""
    lines = [f"Measured on {', '.join(sorted(set(rows.machine)))}, {', '.join(sorted(set(rows.date)))}, at commits "
             f"{', '.join(sorted(set(rows.commit)))} (column `commit`); held-out ESR on pieces no system trained on; "
             f"`{csv}`.", "", "| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
    for r in rows.itertuples():
        cells = [r.row, r.family, r.host, r.system, r.model, f"{float(r.wall_s):.1f}", _g(r.esr), _g(r.mel_distance),
                 _g(r.target), _met(r.met), _g(r.auto_ratio), r.commit]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines + ["", summary(rows)]) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Print the table, or write it into a README between the markers."""
    return table_main("python -m bench.generalise_table", __doc__, CSV, NAME, markdown, argv)


if __name__ == "__main__":
    sys.exit(main())
