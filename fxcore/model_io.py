"""The model file: safetensors weights + a JSON header, safe to open whatever its origin.

A file is a safetensors container (tensors only: nothing in it can run code when it is read) whose
metadata entry "fxcore" holds the header:

    {"format": "fxcore-model", "format_version": 1, "name": "wiener_hammerstein", "params": {...},
     "sample_rate": 48000, "latency_samples": 0, "lookahead_samples": 0, "receptive_field": 384,
     "fxcore_version": "0.1.0", "facts": {"effect": ..., "steps": ..., "train": {...}, ...}}

`read_header` reads the header alone (the first 8 + N bytes), without building the model, so
`fxcore info` works on any file. Pickle files (the torch.save format of fxcore ≤ 0.1, or anyone
else's) are refused with one line: `torch.load(weights_only=False)` on a shared file runs
arbitrary code.
"""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from . import __version__
from .atomic import atomic_path
from .errors import FxcoreError
from .models import EffectModel, build_model

FORMAT = "fxcore-model"
FORMAT_VERSION = 1
MODEL_FILENAME = "model.safetensors"
_FIX_REBUILD = "retrain it with this fxcore (`snakemake --forcerun train_model results/<effect>/report.pdf`)"


def save_model(path: str | Path, model: EffectModel, params: dict[str, Any], *,
               facts: dict[str, Any] | None = None) -> None:
    """Write `model`'s weights and header atomically; refuses non-finite weights."""
    tensors = {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}
    bad = [k for k, v in tensors.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise FxcoreError(f"model weights {', '.join(bad[:3])} are not finite", path,
                          "training diverged: lower train.lr or check the dataset")
    header = {"format": FORMAT, "format_version": FORMAT_VERSION, "name": model.name, "params": params,
              "sample_rate": model.sample_rate, "latency_samples": 0, "lookahead_samples": model.lookahead,
              "receptive_field": model.receptive_field, "fxcore_version": __version__, "facts": facts or {}}
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata={"fxcore": json.dumps(header, sort_keys=True, default=_jsonable)})


def read_header(path: str | Path) -> dict[str, Any]:
    """The JSON header of a model file, checked for format and version; no weights are read."""
    path = Path(path)
    if not path.is_file():
        raise FxcoreError("model file not found", path, "pass results/<effect>/model/model.safetensors")
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
    except (SafetensorError, OSError, ValueError) as exc:
        if _is_pickle(path):
            raise FxcoreError("a pickle-based model file (torch.save), refused: loading one can run arbitrary code",
                              path, _FIX_REBUILD) from None
        raise FxcoreError(f"not an fxcore model file ({' '.join(str(exc).split())[:120]})", path,
                          "pass a model.safetensors written by the workflow") from None
    try:
        header = json.loads(meta["fxcore"])
        ok = header["format"] == FORMAT and isinstance(header["format_version"], int)
    except (KeyError, TypeError, json.JSONDecodeError):
        ok = False
    if not ok:
        raise FxcoreError("a safetensors file without an fxcore header", path,
                          "pass a model.safetensors written by the workflow")
    if header["format_version"] > FORMAT_VERSION:
        raise FxcoreError(f"model format {header['format_version']} is newer than this fxcore reads "
                          f"({FORMAT_VERSION}; fxcore {__version__})", path, "upgrade fxcore")
    return header


def load_model(path: str | Path, device: str | torch.device = "cpu") -> EffectModel:
    """Rebuild a model written by `save_model`, in eval mode on `device`."""
    header = read_header(path)
    model = build_model(header["name"], header["params"], header["sample_rate"])
    try:
        with safe_open(str(path), framework="pt") as f:
            state = {k: f.get_tensor(k) for k in f.keys()}
        model.load_state_dict(state)
    except (SafetensorError, RuntimeError, OSError) as exc:
        raise FxcoreError(f"weights do not match model {header['name']!r} "
                          f"({' '.join(str(exc).split())[:160]})", path, _FIX_REBUILD) from None
    return model.to(device).eval()


def _is_pickle(path: Path) -> bool:
    """torch.save's zip container, or a bare pickle (protocol 2+ starts with 0x80)."""
    with path.open("rb") as f:
        head = f.read(2)
    return zipfile.is_zipfile(path) or head[:1] == b"\x80"


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if hasattr(obj, "item"):
        return obj.item()
    if isinstance(obj, (Path, torch.device)):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
