"""The model file: safetensors + JSON header; pickles refused; header readable without the model."""

from __future__ import annotations

import json
import os
import pickle
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from fxcore.atomic import atomic_dir, write_text
from fxcore.errors import FxcoreError
from fxcore.model_io import FORMAT_VERSION, load_model, read_header, save_model
from fxcore.models import build_model

SR = 16000


def _save(tmp_path: Path, name: str = "wiener_hammerstein", params: dict | None = None) -> Path:
    params = params if params is not None else {"branches": 2, "hidden": 4, "taps_out": 16, "linear_taps": 16}
    model = build_model(name, params, SR)
    path = tmp_path / "model.safetensors"
    save_model(path, model, params, facts={"effect": "fuzz", "steps": 3})
    return path


def test_round_trip_rebuilds_the_same_model(tmp_path):
    path = _save(tmp_path)
    again = load_model(path)
    original = build_model("wiener_hammerstein", {"branches": 2, "hidden": 4, "taps_out": 16, "linear_taps": 16}, SR)
    original.load_state_dict(again.state_dict())
    x = torch.randn(1, 2048)
    assert torch.equal(again(x)[0], original.eval()(x)[0])


def test_header_is_read_without_building_the_model(tmp_path):
    path = _save(tmp_path, "octave", {})
    h = read_header(path)
    assert h["format_version"] == FORMAT_VERSION and h["name"] == "octave" and h["sample_rate"] == SR
    assert h["lookahead_samples"] > 0 and h["facts"] == {"effect": "fuzz", "steps": 3}
    res = subprocess.run([sys.executable, "-m", "fxcore", "info", str(path)], capture_output=True, text=True)
    assert res.returncode == 0 and json.loads(res.stdout)["name"] == "octave"


class _Exploit:
    """A pickle that creates a file when it is unpickled: what a malicious shared model would do."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("writer", ["torch.save", "pickle"])
def test_malicious_pickle_is_refused_in_one_line_and_never_run(tmp_path, writer):
    marker = tmp_path / "pwned"
    path = tmp_path / "model.safetensors"
    payload = {"name": "wavenet", "state_dict": _Exploit(marker)}
    if writer == "torch.save":
        torch.save(payload, path)
    else:
        path.write_bytes(pickle.dumps(payload))
    with pytest.raises(FxcoreError, match="pickle-based model file .* refused"):
        load_model(path)
    res = subprocess.run([sys.executable, "-m", "fxcore", "info", str(path)], capture_output=True, text=True)
    assert res.returncode == 1 and res.stderr.count("\n") == 1 and "refused" in res.stderr
    assert "Traceback" not in res.stderr
    assert not marker.exists()


def test_newer_format_and_foreign_files_are_one_line_errors(tmp_path):
    from safetensors.torch import save_file

    newer = tmp_path / "newer.safetensors"
    header = {**read_header(_save(tmp_path)), "format_version": FORMAT_VERSION + 1}
    save_file({"w": torch.zeros(2)}, str(newer), metadata={"fxcore": json.dumps(header)})
    with pytest.raises(FxcoreError, match="newer than this fxcore reads.*upgrade fxcore"):
        read_header(newer)
    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(2)}, str(foreign))
    with pytest.raises(FxcoreError, match="without an fxcore header"):
        read_header(foreign)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(FxcoreError, match="not an fxcore model file"):
        read_header(text)


def test_non_finite_weights_are_not_saved(tmp_path):
    model = build_model("cnn", {}, SR)
    with torch.no_grad():
        next(model.parameters()).fill_(float("nan"))
    with pytest.raises(FxcoreError, match="not finite"):
        save_model(tmp_path / "m.safetensors", model, {})
    assert list(tmp_path.iterdir()) == []


def test_atomic_outputs_respect_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        write_text(tmp_path / "a.txt", "x")
        with atomic_dir(tmp_path / "folder") as d:
            (d / "inner.txt").write_text("y")
        os.umask(0o027)
        write_text(tmp_path / "b.txt", "x")
    finally:
        os.umask(old)
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert mode(tmp_path / "a.txt") == 0o644 and mode(tmp_path / "folder") == 0o755
    assert mode(tmp_path / "b.txt") == 0o640
