"""Benchmark tables with pandas: the aligned text table printed on stdout, the CSV written beside it, and
the README block a generated table lives in (between `<!-- NAME:begin -->` and `<!-- NAME:end -->`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable, Hashable, Sequence

import pandas as pd

from fxcore.atomic import write_text
from fxcore.errors import FxcoreError


def frame(rows: Sequence[dict], columns: Sequence[str]) -> pd.DataFrame:
    """The rows as a DataFrame with exactly `columns`, in that order."""
    return pd.DataFrame(list(rows), columns=list(columns))


def format_table(rows: Sequence[dict], columns: Sequence[str]) -> str:
    """An aligned, left-justified text table; floats in 3 significant digits."""
    text = frame(rows, columns).map(lambda v: f"{v:.3g}" if isinstance(v, float) else str(v))
    return text.to_string(index=False, justify="left", col_space=1)


def print_table(make: Callable[[], Sequence[dict]], columns: Sequence[str]) -> int:
    """Print `make()`'s rows as a table and return 0, or its FxcoreError as one line on stderr and return 1."""
    try:
        print(format_table(make(), columns))
    except FxcoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def to_csv(rows: Sequence[dict], columns: Sequence[str]) -> str:
    """The rows as CSV text (header first; floats at full precision)."""
    return frame(rows, columns).to_csv(index=False, lineterminator="\n")


def kept_rows(path: str | Path, columns: Sequence[str]) -> list[dict]:
    """The rows of an earlier CSV at `path` as strings (for --merge); none if it does not exist."""
    if not Path(path).exists():
        return []
    old = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in columns if c not in old.columns]
    if missing:
        raise FxcoreError(f"{path}: cannot --merge, columns {missing} are missing; rerun without --merge")
    return old[list(columns)].to_dict("records")


def merge_rows(rows: Sequence[dict], kept: Sequence[dict], key: Callable[[dict], Hashable],
               order: Sequence[Hashable]) -> list[dict]:
    """This run's rows and the lines of `kept` whose key this run did not measure, sorted by `order`.

    A run that is stopped half-way and written with this loses nothing it had not replaced.
    """
    done = {key(r) for r in rows}
    rank = {k: i for i, k in enumerate(order)}
    return sorted([r for r in kept if key(r) not in done] + list(rows), key=lambda r: rank.get(key(r), len(rank)))


def markers(name: str) -> tuple[str, str]:
    """The README comments around the generated table `name`."""
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


def replace_block(text: str, table: str, where: str, name: str) -> str:
    """`text` with the part between table `name`'s markers replaced by `table`."""
    begin, end = markers(name)
    if begin not in text or end not in text:
        raise SystemExit(f"error: {where} has no {begin} … {end} block; add the two markers where the table goes")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{table}{end}{tail}"


def write_readme_block(readme: str, table: str, name: str) -> None:
    """Rewrite `readme`'s block for table `name` with `table` (atomically)."""
    path = Path(readme)
    write_text(path, replace_block(path.read_text(), table, readme, name))


def table_main(prog: str, doc: str, csv: str, name: str, markdown: Callable[[pd.DataFrame], str],
               argv: list[str] | None = None) -> int:
    """A table module's command line: print `markdown(CSV)`, or write it into a README's block `name`."""
    p = argparse.ArgumentParser(prog=prog, description=doc.split("\n\n")[0])
    p.add_argument("--csv", default=csv)
    p.add_argument("--readme", default=None, help="rewrite this file's table block instead of printing")
    a = p.parse_args(argv)
    table = markdown(pd.read_csv(a.csv))
    if a.readme is None:
        print(table, end="")
        return 0
    write_readme_block(a.readme, table, name)
    print(f"wrote the table into {a.readme}")
    return 0
