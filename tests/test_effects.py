"""The pedalboard backend really processes audio, and bad chains fail early."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from fxcore.audio import read_audio, write_audio
from fxcore.validate import load_config
from fxcore.effects import backend_names, make_backend
from fxcore.effects.render import render_files

from .conftest import REPO, SR, noise_tone


def band_energy(x: np.ndarray, lo: float, hi: float) -> float:
    f, p = signal.welch(x, SR, nperseg=1024)
    return float(p[(f >= lo) & (f < hi)].sum())


def test_pedalboard_is_registered():
    assert "pedalboard" in backend_names()


def test_clipping_adds_harmonics():
    t = np.arange(SR) / SR
    x = (0.5 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
    y = make_backend("pedalboard", [{"Gain": {"gain_db": 20}}, {"Clipping": {"threshold_db": -12}}]).process(x, SR)
    assert y.shape == x.shape
    assert np.max(np.abs(y)) == pytest.approx(10 ** (-12 / 20), rel=0.01)
    assert band_energy(y, 550, 650) > 100 * band_energy(x, 550, 650)  # 3rd harmonic appears


def test_lowpass_removes_highs_and_reverb_adds_tail():
    x = noise_tone(1.0, 3)
    lp = make_backend("pedalboard", [{"LowpassFilter": {"cutoff_frequency_hz": 500}}]).process(x, SR)
    assert band_energy(lp, 3000, 8000) < 0.01 * band_energy(x, 3000, 8000)
    click = np.zeros(SR, np.float32)
    click[100] = 1.0
    rv = make_backend("pedalboard", [{"Reverb": {"room_size": 0.8}}]).process(click, SR)
    assert np.sum(rv[SR // 4:] ** 2) > 1e-4  # energy long after the click


def test_render_files_writes_every_output(tmp_path):
    cfg = load_config(REPO / "config" / "test.yaml").effect("fuzz")
    ins, outs = [], []
    for i in range(2):
        write_audio(tmp_path / f"in{i}.wav", noise_tone(0.5, i), SR)
        ins.append(tmp_path / f"in{i}.wav")
        outs.append(tmp_path / "out" / f"o{i}.wav")
    render_files(cfg, SR, ins, outs, progress=False)
    for src, dst in zip(ins, outs):
        x, _ = read_audio(src, SR)
        y, _ = read_audio(dst, SR)
        assert len(y) == len(x) and not np.allclose(x, y)
