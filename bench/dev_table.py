"""The README's development-pairs table, generated from bench/results/dev.csv so the two cannot drift.

    python -m bench.dev_table                     # print the table (markdown)
    python -m bench.dev_table --readme README.md  # rewrite the block between the markers

One line per variant, one column per development pair: ESR on material's 'dev' set (bench/dev.py),
the lowest of each column in bold, and the variant's median optimiser steps; then the date, machine
and commit(s) the runs were made at.
"""

from __future__ import annotations

import sys

import pandas as pd

from .tables import table_main

NAME, CSV = "dev-table", "bench/results/dev.csv"


def markdown(rows: pd.DataFrame) -> str:
    """Variants × pairs of dev-set ESR as a markdown table, with the runs' provenance under it."""
    esr = rows.pivot_table(index="variant", columns="pair", values="esr", aggfunc="last", sort=False)
    steps = rows.groupby("variant", sort=False).steps.median().astype(int)
    best = esr.min()
    lines = ["| variant | " + " | ".join(esr.columns) + " | median steps |", "|---" * (len(esr.columns) + 2) + "|"]
    for variant, line in esr.iterrows():
        cells = ["" if pd.isna(v) else (f"**{v:.2g}**" if v == best[p] else f"{v:.2g}") for p, v in line.items()]
        lines.append(f"| {variant} | " + " | ".join(cells) + f" | {steps[variant]} |")
    picks = [f"{r.pair} ({r.variant}) → {str(r.model).removeprefix('auto→')}" for r in rows.itertuples()
             if str(r.model).startswith("auto→")]
    if picks:
        lines += ["", f"`auto` chose: {'; '.join(picks)}."]
    lines.append("")
    lines.append(f"Measured {', '.join(sorted(set(rows.date.astype(str))))} on {', '.join(sorted(set(rows.machine)))}, "
                 f"commit {', '.join(sorted(set(rows.commit.astype(str))))}.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Print the table, or write it into a README's block."""
    return table_main("python -m bench.dev_table", __doc__, CSV, NAME, markdown, argv)


if __name__ == "__main__":
    sys.exit(main())
