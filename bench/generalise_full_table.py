"""The README's table of the generalisation benchmark at its default settings, from
bench/results/generalise_full.csv (the same columns and summary as bench.generalise_table).

    python -m bench.generalise_full_table --readme README.md  # rewrite the block between the markers

The CSV holds lines of `python -m bench.generalise --out bench/results/generalise_full.csv --merge`
with no size flag: 15 s pieces, 20 s of synthetic tones, 60 s budgets (240 s on drive, amp and chain
rows); the development table (`bench.generalise_table`) holds the smaller runs.
"""

from __future__ import annotations

import sys

import pandas as pd

from .generalise_table import markdown as table_of
from .tables import table_main

NAME, CSV = "generalise-full-table", "bench/results/generalise_full.csv"


def markdown(rows: pd.DataFrame) -> str:
    """bench.generalise_table's table of these rows, naming this CSV."""
    return table_of(rows, CSV)


def main(argv: list[str] | None = None) -> int:
    """Print the table, or write it into a README between the markers."""
    return table_main("python -m bench.generalise_full_table", __doc__, CSV, NAME, markdown, argv)


if __name__ == "__main__":
    sys.exit(main())
