"""The README's benchmark table, generated from bench/results/accuracy.csv so the two cannot drift.

    python -m bench.accuracy_table                     # print the table (markdown)
    python -m bench.accuracy_table --readme README.md  # rewrite the block between the markers

One line per pair and system: the held-out ESR as the median over seeds with its min–max, the
seeds counted, the median optimiser steps in the budget, parameters, speed (offline, and streaming
64- and 512-sample blocks, one thread) and `÷ fxcore`: this system's median ESR over fxcore's
(> 1: fxcore is more accurate). A header line states the machine, date, commit, versions and
budget the CSV was measured with.
"""

from __future__ import annotations

import sys

import pandas as pd

from .tables import table_main

NAME, CSV = "accuracy-table", "bench/results/accuracy.csv"
HEAD = ("pair", "material", "system", "model", "params", "seeds", "steps (median)", "held-out ESR median",
        "min–max", "÷ fxcore", "× RT offline", "× RT 64", "× RT 512")


def _g(x: float) -> str:
    """3 significant digits, '' for a missing value."""
    return "" if pd.isna(x) else f"{x:.3g}"


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Per (pair, system): median / min / max ESR over seeds, median steps, first-seed speeds."""
    rows = rows.copy()
    rows["order"] = range(len(rows))
    g = rows.groupby(["set", "pair", "system"], sort=False)
    out = g.agg(material=("material", "first"), model=("model", "first"), params=("parameters", "first"),
                seeds=("esr", "size"), steps=("steps", "median"), esr=("esr", "median"), lo=("esr", "min"),
                hi=("esr", "max"), rt=("rt_offline", "median"), rt64=("rt_block64", "first"),
                rt512=("rt_block512", "first"), order=("order", "first")).reset_index()
    fx = out[out.system == "fxcore"].set_index(["set", "pair"])["esr"]
    out["ratio"] = [r.esr / fx.get((r.set, r.pair), float("nan")) for r in out.itertuples()]
    return out.sort_values("order")


def markdown(rows: pd.DataFrame) -> str:
    """The table (with its header line) as markdown."""
    s = summarise(rows)
    first = rows.iloc[0]
    budget = sorted({float(b) for b in rows["budget_s"].dropna()})
    lines = [f"Measured {first['date']} on {first['machine']} (commit {first['commit']}; {first['versions']}); "
             f"set `{first['set']}`; budget {', '.join(f'{b:g}' for b in budget)} s of wall clock per system, pair "
             f"and seed; ESR on the held-out split; `bench/results/accuracy.csv`.", "",
             "| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
    for r in s.itertuples():
        clean = r.system == "clean"
        cells = [r.pair, r.material, r.system, r.model, "" if clean else f"{int(r.params):,}".replace(",", " "),
                 "" if clean else str(r.seeds), "" if clean else f"{r.steps:.0f}", _g(r.esr),
                 "" if clean else f"{_g(r.lo)}–{_g(r.hi)}", "" if r.system == "fxcore" else _g(r.ratio),
                 "" if clean else _g(r.rt), _g(r.rt64), _g(r.rt512)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Print the table, or write it into a README between the markers."""
    return table_main("python -m bench.accuracy_table", __doc__, CSV, NAME, markdown, argv)


if __name__ == "__main__":
    sys.exit(main())
