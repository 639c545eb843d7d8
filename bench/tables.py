"""Benchmark tables with pandas: the aligned text table printed on stdout and the CSV written beside it."""

from __future__ import annotations

from typing import Sequence

import pandas as pd


def frame(rows: Sequence[dict], columns: Sequence[str]) -> pd.DataFrame:
    """The rows as a DataFrame with exactly `columns`, in that order."""
    return pd.DataFrame(list(rows), columns=list(columns))


def format_table(rows: Sequence[dict], columns: Sequence[str]) -> str:
    """An aligned, left-justified text table; floats in 3 significant digits."""
    text = frame(rows, columns).map(lambda v: f"{v:.3g}" if isinstance(v, float) else str(v))
    return text.to_string(index=False, justify="left", col_space=1)


def to_csv(rows: Sequence[dict], columns: Sequence[str]) -> str:
    """The rows as CSV text (header first; floats at full precision)."""
    return frame(rows, columns).to_csv(index=False, lineterminator="\n")
