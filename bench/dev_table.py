"""The README's development-pairs table, generated from bench/results/dev.csv so the two cannot drift.

    python -m bench.dev_table                     # print the table (markdown)
    python -m bench.dev_table --readme README.md  # rewrite the block between the markers

One line per development pair, one column per variant: ESR on material's 'dev' set (bench/dev.py),
the lowest of each line in bold; then the date, machine and commit(s) the runs were made at.
"""

from __future__ import annotations

import sys

import pandas as pd

from .tables import table_main

NAME, CSV = "dev-table", "bench/results/dev.csv"


def markdown(rows: pd.DataFrame) -> str:
    """Pairs × variants of dev-set ESR as a markdown table, with the runs' provenance under it."""
    esr = rows.pivot_table(index="pair", columns="variant", values="esr", aggfunc="last", sort=False)
    lines = ["| dev pair | " + " | ".join(esr.columns) + " |", "|---" * (len(esr.columns) + 1) + "|"]
    for pair, line in esr.iterrows():
        best = line.min()
        cells = ["" if pd.isna(v) else (f"**{v:.2g}**" if v == best else f"{v:.2g}") for v in line]
        lines.append(f"| {pair} | " + " | ".join(cells) + " |")
    picks = [f"{r.pair} → {str(r.model).removeprefix('auto→')}" for r in rows.itertuples()
             if str(r.model).startswith("auto→")]
    if picks:
        lines += ["", f"`auto` chose: {'; '.join(picks)}."]
    steps = rows.groupby("variant", sort=False).steps.median().astype(int)
    lines.append("")
    lines.append(f"Median optimiser steps: {', '.join(f'{v} {n}' for v, n in steps.items())}. "
                 f"Measured {', '.join(sorted(set(rows.date.astype(str))))} on {', '.join(sorted(set(rows.machine)))}, "
                 f"commit {', '.join(sorted(set(rows.commit.astype(str))))}.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Print the table, or write it into a README's block."""
    return table_main("python -m bench.dev_table", __doc__, CSV, NAME, markdown, argv)


if __name__ == "__main__":
    sys.exit(main())
