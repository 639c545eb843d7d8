"""What every benchmark row carries so it can be checked later: date, machine, commit, library versions."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "-"


def commit() -> str:
    """The short commit hash of this checkout ('' outside git, 'unknown' without git), '-dirty' with edits."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              timeout=10, cwd=HERE).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, timeout=10, cwd=HERE).stdout.strip()
    except OSError:
        return "unknown"
    return head + ("-dirty" if head and dirty else "")


def machine() -> str:
    """CPU architecture, core count and Python version, e.g. 'x86_64 2 cpu 3.11.7'."""
    return f"{platform.machine()} {os.cpu_count()} cpu {platform.python_version()}"


def stamp(columns: Iterable[str] | None = None) -> dict[str, str]:
    """{date, machine, commit, versions} for a benchmark row; only the keys in `columns` when given."""
    versions = "; ".join(f"{d} {_version(d)}" for d in ("fxcore", "torch", "neural-amp-modeler", "pytorch-lightning"))
    full = {"date": dt.date.today().isoformat(), "machine": machine(), "commit": commit(), "versions": versions}
    if columns is None:
        return full
    wanted = set(columns)
    return {k: v for k, v in full.items() if k in wanted}
