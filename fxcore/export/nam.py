"""`export_nam`: a trained model → a Neural Amp Modeler model file (.nam: JSON), where NAM's format
expresses the model exactly.

NAM (0.13, file version 0.7.0) reads three architectures: Linear, LSTM, WaveNet. Its LSTM is
y[t] = w·h_L[t] + b, h = a stack of LSTM(1 → H) layers started from a stored (h₀, c₀); weights flat:
per layer [W_ih | W_hh] (4H × (in + H), row-major, PyTorch's gate order i, f, g, o), b_ih + b_hh,
h₀, c₀; then the head's w (H) and b. fxcore's `lstm` with `skip: false` is exactly that, started
from silence (h₀ = c₀ = 0, as `render` starts; NAM's own exporter stores the state after 1 s of
silence instead). Every other family fails in one line saying why.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..atomic import write_json
from ..errors import FxcoreError
from ..model_io import load_model, read_header

NAM_FILE_VERSION = "0.7.0"  # nam.models._constants.MODEL_VERSION of neural-amp-modeler 0.13

_WHY_NOT = {
    "gru": "NAM's format has no GRU (only Linear, LSTM and WaveNet)",
    "wavenet": ("fxcore's WaveNet is not NAM's: its per-layer skip 1×1 convolutions, tanh head and optional "
                "linear FIR path have no place in NAM's layer arrays (which sum the raw gated activations "
                "into one head 1×1), and it computes tanh with a fast approximation"),
}


def _flat(t: torch.Tensor) -> list[float]:
    return t.detach().cpu().double().reshape(-1).tolist()


def nam_lstm(model: Any) -> dict[str, Any]:
    """The `config` and flat `weights` of NAM's LSTM for an fxcore lstm without skip."""
    rnn = model.rnn
    weights: list[float] = []
    for k in range(rnn.num_layers):
        w = torch.cat([getattr(rnn, f"weight_ih_l{k}"), getattr(rnn, f"weight_hh_l{k}")], dim=1)
        weights += _flat(w) + _flat(getattr(rnn, f"bias_ih_l{k}") + getattr(rnn, f"bias_hh_l{k}"))
        weights += [0.0] * (2 * rnn.hidden_size)  # h₀, c₀: silence, where fxcore's render starts
    weights += _flat(model.head.weight) + _flat(model.head.bias)
    config = {"input_size": 1, "hidden_size": rnn.hidden_size, "num_layers": rnn.num_layers}
    return {"architecture": "LSTM", "config": config, "weights": weights}


def export_nam(model_path: str | Path, out: str | Path) -> dict[str, Any]:
    """Write OUT (.nam) for MODEL, atomically; returns its facts. One-line error if NAM cannot express it."""
    model_path, out = Path(model_path), Path(out)
    header = read_header(model_path)
    name, params = header["name"], header["params"]
    fix = "use `fxcore export-lv2` for this model (every default family exports as an LV2 plugin)"
    if name == "lstm" and params.get("skip", True):
        raise FxcoreError("this lstm has a residual skip (y = head(h) + x) and NAM's LSTM has no path from "
                          "input to output but through the LSTM (y = head(h)): a .nam file cannot express it",
                          model_path, "train it with model params {skip: false} to export to NAM, or " + fix[4:])
    if name != "lstm":
        why = _WHY_NOT.get(name, f"NAM's formats (Linear, LSTM, WaveNet) cannot express the {name!r} family")
        raise FxcoreError(f"cannot write a .nam file: {why}", model_path, fix)
    model = load_model(model_path)
    body = nam_lstm(model)
    if not np.isfinite(body["weights"]).all():
        raise FxcoreError("the model has non-finite weights", model_path, "retrain it before exporting it")
    now = datetime.datetime.now()
    doc = {"version": NAM_FILE_VERSION,
           "metadata": {"date": {"year": now.year, "month": now.month, "day": now.day, "hour": now.hour,
                                 "minute": now.minute, "second": now.second},
                        "name": str((header.get("facts") or {}).get("effect") or out.stem),
                        "modeled_by": "fxcore", "gear_type": None, "gear_make": None, "gear_model": None,
                        "tone_type": None, "loudness": None, "gain": None, "input_level_dbu": None,
                        "output_level_dbu": None, "training": {"fxcore_model": name, "fxcore_params": params}},
           **body, "sample_rate": float(header["sample_rate"])}
    write_json(out, doc)
    return {"file": str(out), "architecture": body["architecture"], "config": body["config"],
            "weights": len(body["weights"]), "sample_rate": header["sample_rate"]}
