"""`fxcore export-lv2`: the compiled plugin is the model — in fxcore's lilv host at every block size
(fixed and random) and in Debian's lv2apply — to ESR ≤ 1e-8 against the model's float32 `render`.

Models are built per family, initialised on a short pair where that is cheap (least squares), then
every weight is perturbed at random so the nonlinear parts (zero-initialised last layers) are active.
"""

from __future__ import annotations

import ctypes.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from fxcore.cli import main
from fxcore.errors import FxcoreError
from fxcore.export import export_lv2
from fxcore.export.bundle import MARKER, plugin_ttl
from fxcore.export.cgen import c_array
from fxcore.metrics import esr
from fxcore.model_io import save_model
from fxcore.models import build_model

SR = 48000
BLOCKS = [1, 32, 64, 128, 512, 4096]
TOL = 1e-8  # ESR plugin vs model; measured ≤ 3e-12 for every family and block size (float32 both, other sum orders)
# (octave computes in float64 in both: ≤ 1e-17)

needs_toolchain = pytest.mark.skipif(
    shutil.which("cc") is None or not Path("/usr/include/lv2/core/lv2.h").exists()
    or ctypes.util.find_library("lilv-0") is None or shutil.which("lv2apply") is None,
    reason="needs cc, lv2-dev, liblilv-0 and lilv-utils (run .ci/install_hosts.sh)")

FAMILIES = {
    "wiener_hammerstein": {},
    "wiener_hammerstein+dynamics": {"dynamics": True},
    "wiener_hammerstein+highpass": {"highpass": 2, "highpass_hz": 60.0, "taps_out": 64, "highpass_out": 2},
    "ir": {"seconds": 0.25},
    "feedback_delay": {"delay_seconds": 0.0123, "ir_seconds": 0.5},
    "chorus": {},
    "chorus+feedback": {"learn_feedback": True},
    "chorus+filters": {"filter_taps": 9, "interpolation": "integer"},
    "chorus+filters+feedback": {"filter_taps": 5, "learn_feedback": True, "voices": 2},
    "chorus+voices": {"voices": 3},
    "chorus+wrap": {"interpolation": "integer", "wrap_max_ms": 50.0, "voices": 2, "centre_ms": 1.0, "depth_ms": 1.0},
    "wavenet": {"channels": 8, "dilations": [1, 2, 4, 8, 16], "linear_taps": 32},
    "lstm": {"hidden_size": 12, "num_layers": 2},
    "gru": {"hidden_size": 16},
    "hybrid": {"block": "ir", "block_params": {"seconds": 0.1}, "channels": 8, "dilations": [1, 2, 4, 8, 16]},
    "hybrid+feedback_delay": {"block": "feedback_delay", "block_params": {"delay_seconds": 0.0071, "ir_seconds": 0.2},
                              "channels": 4, "kernel": 2, "dilations": [1, 3]},
    "hybrid+chorus": {"block": "chorus", "block_params": {"learn_feedback": True}, "channels": 6, "kernel": 3,
                      "dilations": [2, 7, 32]},
    "phaser": {"rate_hz": 1.7, "f0_hz": 600.0, "depth_octaves": 2.0, "feedback": 0.6, "stages": 6},
    "phaser+stereo": {"rate_hz": 0.9, "f0_hz": 500.0, "depth_octaves": 3.0, "feedback": 0.3, "stages": 4,
                      "shape": 1.0, "voices": 2, "spread": 3.0},
    "flanger": {"rate_hz": 0.7, "centre_ms": 1.5, "depth_ms": 1.0, "feedback": 0.6, "voices": 1},
    "flanger+stereo": {"rate_hz": 1.3, "centre_ms": 2.5, "depth_ms": 2.0, "feedback": -0.5, "shape": 0.6, "voices": 2,
                       "spread": 1.6, "interpolation": "integer"},
    "tremolo": {"rate_hz": 5.3, "depth": 0.6, "phase": 1.0},
    "compressor": {"attack_ms": 2.0, "release_ms": 80.0},
    "compressor+rms": {"attack_ms": 0.01, "release_ms": 30.0, "detector": 2, "knot_db": 3.0},
    "compressor+log": {"attack_ms": 3.0, "release_ms": 60.0, "detector": 3},
    "series": {"first": {"name": "wiener_hammerstein", "params": {"dynamics": True}},
               "second": {"name": "ir", "params": {"seconds": 0.1}}},
}


def signal(seconds: float = 1.0, seed: int = 0) -> np.ndarray:
    """A tone with a level sweep plus a little noise (drives envelopes, nonlinearities and echoes)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    x = 0.5 * np.sin(2 * np.pi * 220 * t) * (0.3 + 0.7 * np.abs(np.sin(2 * np.pi * 1.3 * t)))
    return (x + 0.05 * rng.standard_normal(len(t))).astype(np.float32)


def make_model(tmp: Path, family: str, seed: int = 0) -> tuple[Path, torch.nn.Module]:
    """Build, initialise (LS where cheap), perturb every weight, save; returns (file, model)."""
    name, params = family.split("+")[0], FAMILIES[family]
    torch.manual_seed(seed)
    model = build_model(name, params, SR)
    if name in ("wiener_hammerstein", "ir"):
        x = signal(0.5, seed=1)
        model.initialise(x, np.tanh(3 * x) * 0.5)
    with torch.no_grad():
        if isinstance(getattr(model, "shape", None), torch.nn.Parameter):
            model.shape.fill_(0.6)  # LFO between sine and triangle: both waveforms' code paths count
        if name == "hybrid":  # its correction starts at zero: make it as loud as the block's output
            model.net.out.weight.normal_(0.0, 0.5)
        for p in model.parameters():
            p.add_(0.3 * torch.randn_like(p) * p.abs().mean().clamp_min(0.01))
        if name == "compressor" and int(model.detector) == 3:  # a 4:1 curve in dB above −30 dB, +3 dB make-up
            level = model.floor_db + model.knot_db * torch.arange(model.knots)
            model.curve.copy_(3.0 - 0.75 * torch.clamp(level + 30.0, min=0.0))
        if getattr(model, "wrap_max_ms", 0):  # a SoX-like buffer wrap, read where a curve dips under ½ sample
            model.wrap.fill_(int(0.045 * SR))
            model.centre_ms.copy_(0.9 * model.depth_ms)
    path = tmp / f"{family.replace('+', '_')}.safetensors"
    save_model(path, model, params, facts={"effect": family.replace("+", "_")})
    return path, model.eval()


@pytest.mark.system
@needs_toolchain
@pytest.mark.parametrize("family", list(FAMILIES))
def test_plugin_equals_model_in_two_hosts_at_every_block_size(tmp_path, family):
    from fxcore.export.hosts import render_host, render_lv2apply

    path, model = make_model(tmp_path, family)
    info = export_lv2(path, tmp_path / "plugin.lv2")
    assert info["latency_samples"] == 0
    x = signal(1.0)
    ref = model.render(x)
    bundle = tmp_path / "plugin.lv2"
    for bs in BLOCKS:
        y = render_host(bundle, x[:SR // 4] if bs == 1 else x, SR, block_size=bs)
        assert esr(y, ref[:len(y)]) <= TOL, (family, bs, esr(y, ref[:len(y)]))
    sizes = np.random.default_rng(3).integers(1, 1500, 60).tolist()
    assert esr(render_host(bundle, x, SR, block_sizes=sizes), ref) <= TOL
    y = render_lv2apply(bundle, x, SR)
    assert len(y) == len(x) and esr(y, ref) <= TOL


OCTAVES = {"octave_down": {}, "fifth_up_bluestein_unlocked": {"semitones": 7.0, "phase_lock": False, "n_fft": 1024}}


@pytest.mark.system
@needs_toolchain
@pytest.mark.parametrize("case", list(OCTAVES))
def test_octave_plugin_is_the_model_delayed_by_its_reported_latency(tmp_path, case):
    """The phase vocoder streams exactly: its output, shifted back by the latency it reports, is render()."""
    from fxcore.export.hosts import render_host, render_lv2apply

    params = OCTAVES[case]
    torch.manual_seed(0)
    model = build_model("octave", params, SR)
    with torch.no_grad():
        model.band_db.add_(3.0 * torch.randn_like(model.band_db))  # a learned-looking EQ and level
        model.out_db.fill_(-2.0)
    save_model(tmp_path / "o.safetensors", model, params, facts={"effect": "octave"})
    info = export_lv2(tmp_path / "o.safetensors", tmp_path / "octave.lv2")
    bundle, lat = tmp_path / "octave.lv2", info["latency_samples"]
    assert lat == model.lookahead == (model.grain + model.n_fft) // 2 - 1
    assert "lv2:reportsLatency" in (bundle / "octave.ttl").read_text()
    x = signal(1.0)
    ref = model.render(x)
    for bs in BLOCKS:  # fxcore's host reads the latency port and removes that many samples
        y = render_host(bundle, x[:SR // 4] if bs == 1 else x, SR, block_size=bs)
        want = model.render(x[:SR // 4]) if bs == 1 else ref
        assert len(y) == len(want) and esr(y, want) <= TOL, (case, bs, esr(y, want))
    sizes = np.random.default_rng(4).integers(1, 1500, 60).tolist()
    assert esr(render_host(bundle, x, SR, block_sizes=sizes), ref) <= TOL
    y = render_lv2apply(bundle, x, SR)  # lv2apply writes the plugin's output as it comes: delayed by lat
    assert len(y) == len(x) and esr(y[lat:], ref[:len(x) - lat]) <= TOL


@pytest.mark.system
@needs_toolchain
def test_gain_control_and_reexport_and_cli(tmp_path, capsys):
    from fxcore.export.hosts import render_host

    path, model = make_model(tmp_path, "wiener_hammerstein")
    bundle = tmp_path / "fx.lv2"
    assert main(["export-lv2", str(path), str(bundle)]) == 0
    assert "urn:fxcore:plugin:wiener_hammerstein:" in capsys.readouterr().out
    assert main(["export-lv2", str(path), str(bundle)]) == 0  # our own bundle: replaced
    marker = json.loads((bundle / MARKER).read_text())
    assert marker["model"] == "wiener_hammerstein" and (bundle / marker["binary"]).is_file()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temp dirs left
    x = signal(0.25)
    y = render_host(bundle, x, SR, block_size=64, gain_db=6.0)
    assert esr(y, model.render(x) * np.float32(10 ** (6 / 20))) <= TOL


def test_family_without_exporter_is_one_line_error(tmp_path):
    model = build_model("cnn", {}, SR)
    save_model(tmp_path / "c.safetensors", model, {})
    with pytest.raises(FxcoreError, match=r"model family 'cnn' cannot be exported.*families that export: "
                                          r"chorus, compressor, feedback_delay, flanger, gru, hybrid, ir, lstm, octave, "
                                          r"phaser, series, tremolo, wavenet, wiener_hammerstein"):
        export_lv2(tmp_path / "c.safetensors", tmp_path / "c.lv2")
    assert not (tmp_path / "c.lv2").exists()
    twice = {"first": {"name": "ir", "params": {"seconds": 0.01}}, "second": {"name": "ir", "params": {"seconds": 0.02}}}
    save_model(tmp_path / "s.safetensors", build_model("series", twice, SR), twice)
    with pytest.raises(FxcoreError, match=r"a series of two ir stages cannot be exported yet"):
        export_lv2(tmp_path / "s.safetensors", tmp_path / "s.lv2")
    assert not (tmp_path / "s.lv2").exists()


def test_every_family_auto_can_choose_or_a_config_uses_exports():
    """Issue 13: whatever `model: auto` picks (and any hybrid block), and every configured effect, becomes a plugin."""
    from fxcore.export.family import emitter
    from fxcore.families import FAMILIES
    from fxcore.models.hybrid import BLOCKS
    from fxcore.validate import load_config

    root = Path(__file__).resolve().parents[1]
    configured = {e.model.name for c in ("config.yaml", "config/test.yaml")
                  for e in load_config(root / c, check_backends=False).effects.values()} - {"auto"}  # → a family
    for name in {f.model.name for f in FAMILIES.values()} | set(BLOCKS) | configured:
        emitter(name)  # raises for a family without one


def test_refuses_pickles_foreign_folders_and_non_finite_weights(tmp_path, capsys):
    torch.save({"a": torch.zeros(3)}, tmp_path / "p.pt")
    assert main(["export-lv2", str(tmp_path / "p.pt"), str(tmp_path / "x.lv2")]) == 1
    err = capsys.readouterr().err.strip()
    assert "pickle" in err and "\n" not in err

    path, _ = make_model(tmp_path, "wiener_hammerstein")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(FxcoreError, match="not an fxcore LV2 bundle"):
        export_lv2(path, tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"

    with safe_open(str(path), framework="pt") as f:  # the same file with a NaN weight (save_model refuses those)
        tensors, meta = {k: f.get_tensor(k) for k in f.keys()}, f.metadata()
    tensors["lin"][3] = float("nan")
    save_file(tensors, str(tmp_path / "nan.safetensors"), metadata=meta)
    with pytest.raises(FxcoreError, match="WH_LIN has non-finite values"):
        export_lv2(tmp_path / "nan.safetensors", tmp_path / "nan.lv2")
    assert not (tmp_path / "nan.lv2").exists()


def test_c_arrays_round_trip_float32_exactly():
    v = np.random.default_rng(0).standard_normal(100).astype(np.float32) * np.float32(1e-3)
    v[:3] = [1.0, -2.0, 0.0]
    text = c_array("X", v)
    body = text[text.index("{") + 1:text.rindex("}")]
    back = np.array([float(s.strip().rstrip("f")) for s in body.split(",")], dtype=np.float32)
    assert text.startswith("static const float X[100]") and np.array_equal(back, v)


def test_latency_port_is_declared_only_with_lookahead():
    assert "reportsLatency" not in plugin_ttl("urn:x", "n", "c", 0)
    ttl = plugin_ttl("urn:x", "n", "c", 1024)
    assert "lv2:reportsLatency" in ttl and 'lv2:symbol "latency"' in ttl and "lv2:index 3" in ttl


def _default_models() -> dict[str, tuple[str, dict]]:
    """Each distinct model of the shipped config.yaml, by the effects that use it (`auto`: every family it may pick)."""
    from fxcore.families import DEFAULT_CANDIDATES, FAMILIES
    from fxcore.validate import load_config

    models: dict[str, tuple[str, dict]] = {}
    for e in load_config(Path(__file__).resolve().parents[1] / "config.yaml", check_backends=False).effects.values():
        picks = ([(f"{e.name}-auto-{f}", FAMILIES[f].model) for f in DEFAULT_CANDIDATES] if e.model.name == "auto"
                 else [(e.name, e.model)])
        for label, m in picks:
            models.setdefault(json.dumps([m.name, m.params], sort_keys=True), (label, (m.name, m.params)))
    return {name: model for name, model in models.values()}


@pytest.mark.slow
@pytest.mark.system
@needs_toolchain
@pytest.mark.parametrize("effect", list(_default_models()))
def test_every_default_effects_plugin_builds_at_its_configured_size(tmp_path, effect):
    """The shipped config's models at full size (48 kHz; weights perturbed at random so no part is silent):
    bundle built, lv2apply output = the model's."""
    from fxcore.export.hosts import render_lv2apply

    name, params = _default_models()[effect]
    torch.manual_seed(0)
    model = build_model(name, params, SR).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.3 * torch.randn_like(p) * p.abs().mean().clamp_min(0.01))
    save_model(tmp_path / "m.safetensors", model, params, facts={"effect": effect})
    info = export_lv2(tmp_path / "m.safetensors", tmp_path / f"{effect}.lv2")
    x = signal(0.5)
    y = render_lv2apply(tmp_path / f"{effect}.lv2", x, SR)
    ref = model.render(x)
    lat = info["latency_samples"]
    assert np.sqrt(np.mean(ref ** 2)) > 1e-3  # the model is not silent: the comparison means something
    assert len(y) == len(x) and esr(y[lat:], ref[:len(x) - lat]) <= TOL, (effect, esr(y[lat:], ref[:len(x) - lat]))
