"""Text for the reports: YAML of configs and facts, compact numbers, wrapped and clipped lines."""

from __future__ import annotations

import dataclasses
import json
import math
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import yaml

TEXT_WIDTH = 58  # characters per line in a half-page text column


def plain(obj: Any) -> Any:
    """Convert dataclasses, numpy values, paths and objects into YAML-safe plain data."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return plain(dataclasses.asdict(obj))
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return plain(obj.tolist()) if obj.size <= 16 else f"array{tuple(obj.shape)} {obj.dtype}"
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
            return plain(getattr(obj, attr)())
    if hasattr(obj, "chain"):  # an EffectBackend: show its chain
        return plain({"backend": getattr(obj, "name", type(obj).__name__), "chain": obj.chain})
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
    text = yaml.dump(plain(obj), Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=TEXT_WIDTH)
    return text.rstrip() if text.strip() not in ("", "{}", "[]", "null", "...") else "(none)"


def wrap(text: str, width: int = TEXT_WIDTH) -> list[str]:
    """Lines of at most `width` characters; a wrapped line's continuation is indented two more spaces."""
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


def clip(text: str, width: int) -> str:
    """`text` cut to `width` characters, ending in … when cut."""
    return text if len(text) <= width else text[: width - 1] + "…"


def is_number(value: Any) -> bool:
    """True when float(value) is a finite number."""
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False
