"""`fxcore export-nam`: an lstm without skip becomes a .nam file that Neural Amp Modeler's own loader
(`nam.models._from_nam.init_from_nam`) runs to the same output (ESR ≤ 1e-6); other families fail
in one line saying why."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from fxcore.cli import main
from fxcore.errors import FxcoreError
from fxcore.export.nam import export_nam
from fxcore.metrics import esr
from fxcore.model_io import save_model
from fxcore.models import build_model

from .test_export_lv2 import SR, signal


def _saved(tmp_path, name, params):
    torch.manual_seed(1)
    model = build_model(name, params, SR)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.3 * torch.randn_like(p) * p.abs().mean().clamp_min(0.01))
    path = tmp_path / f"{name}.safetensors"
    save_model(path, model, params, facts={"effect": "amp"})
    return path, model.eval()


@pytest.mark.parametrize("params", [{"hidden_size": 12, "skip": False},
                                    {"hidden_size": 8, "num_layers": 2, "skip": False}])
def test_nam_loads_the_file_and_computes_what_the_model_computes(tmp_path, capsys, params):
    nam_from = pytest.importorskip("nam.models._from_nam")
    path, model = _saved(tmp_path, "lstm", params)
    assert main(["export-nam", str(path), str(tmp_path / "amp.nam")]) == 0
    assert "NAM LSTM" in capsys.readouterr().out
    doc = json.loads((tmp_path / "amp.nam").read_text())
    assert doc["architecture"] == "LSTM" and doc["sample_rate"] == SR and doc["version"] == "0.7.0"
    nam_model = nam_from.init_from_nam(doc).eval()
    x = signal(0.5)
    with torch.no_grad():
        y_nam = nam_model(torch.from_numpy(x)).numpy()
    assert esr(y_nam, model.render(x)) <= 1e-6


@pytest.mark.parametrize("name,params,why", [
    ("lstm", {"hidden_size": 8}, r"residual skip .* NAM's LSTM has no path from input to output"),
    ("gru", {"hidden_size": 8}, r"NAM's format has no GRU"),
    ("wavenet", {"channels": 4, "dilations": [1, 2]}, r"per-layer skip 1×1"),
    ("wiener_hammerstein", {}, r"cannot express the 'wiener_hammerstein' family"),
    ("octave", {}, r"cannot express the 'octave' family"),
])
def test_families_nam_cannot_express_fail_in_one_line(tmp_path, capsys, name, params, why):
    path, _ = _saved(tmp_path, name, params)
    with pytest.raises(FxcoreError, match=why):
        export_nam(path, tmp_path / "x.nam")
    assert main(["export-nam", str(path), str(tmp_path / "x.nam")]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "export-lv2" in err
    assert not (tmp_path / "x.nam").exists()
