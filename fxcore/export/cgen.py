"""C source helpers: model weights as `static const` arrays and sizes as `#define`s, exactly as float32."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import FxcoreError

C_DIR = Path(__file__).parent / "c"


def c_source(name: str) -> str:
    """The text of a C part shipped with fxcore (fxcore/export/c/<name>)."""
    return (C_DIR / name).read_text()


def as_array(t: torch.Tensor | np.ndarray, dtype: type = np.float32) -> np.ndarray:
    """A tensor's values, row-major, in `dtype` (the precision the model computes in)."""
    a = t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    return np.ascontiguousarray(a, dtype=dtype)


def c_array(name: str, values: torch.Tensor | np.ndarray, dtype: type = np.float32) -> str:
    """`static const float NAME[n] = {...};` — %.9g (float) / %.17g (double) round-trips every value exactly."""
    a = as_array(values, dtype).ravel()
    if not np.isfinite(a).all():
        raise FxcoreError(f"weight {name} has non-finite values", None,
                          "retrain the model (training diverged) before exporting it")
    ctype, fmt, suffix = ("double", "%.17g", "") if dtype == np.float64 else ("float", "%.9g", "f")
    items = [_literal(fmt % v) + suffix for v in a] or ["0"]
    lines = [",".join(items[i:i + 12]) for i in range(0, len(items), 12)]
    return f"static const {ctype} {name}[{max(len(a), 1)}] = {{\n" + ",\n".join(lines) + "\n};\n"


def c_defines(**values: Any) -> str:
    """`#define KEY value` lines (ints as ints, floats exact: %.17g, with an f suffix for float)."""
    lines = []
    for k, v in values.items():
        if isinstance(v, bool) or isinstance(v, (int, np.integer)):
            lines.append(f"#define {k} {int(v)}")
        elif isinstance(v, float):
            if not np.isfinite(v):
                raise FxcoreError(f"parameter {k} is not finite", None, "retrain the model before exporting it")
            lines.append(f"#define {k} {v!r}")
        else:
            lines.append(f"#define {k} {v}")
    return "\n".join(lines) + "\n"


def c_float(v: float) -> str:
    """A float32 literal with the exact value of float32(v)."""
    f = float(np.float32(v))
    if not np.isfinite(f):
        raise FxcoreError("a model parameter is not finite", None, "retrain the model before exporting it")
    return _literal("%.9g" % f) + "f"


def _literal(text: str) -> str:
    """A C floating literal: "1" → "1.0" (so an f suffix is legal)."""
    return text if any(ch in text for ch in ".en") else text + ".0"
