"""Metrics on real synthetic signals: identities, orderings and calibrated loudness."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.signal import butter, sosfilt

from fxcore import metrics

SR = 22050


def _sine(freq: float, seconds: float, amp: float = 1.0, sr: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.fixture(scope="module")
def noise() -> np.ndarray:
    return (0.1 * np.random.default_rng(0).standard_normal(SR)).astype(np.float32)


def test_esr_identities(noise):
    assert metrics.esr(noise, noise) == 0.0
    assert metrics.esr(0.5 * noise, noise) == pytest.approx(0.25, rel=1e-6)
    assert metrics.esr(np.zeros_like(noise), noise) == pytest.approx(1.0, rel=1e-6)


def test_mel_spectrogram_is_absolute_level(noise):
    loud = metrics.mel_spectrogram(_sine(1000, 1.0), SR)
    quiet = metrics.mel_spectrogram(_sine(1000, 1.0, amp=0.1), SR)
    assert loud.shape == (80, 1 + SR // 512)
    assert -3.0 < loud.max() < 3.0  # a full-scale sine reads about 0 dB
    assert loud.max() - quiet.max() == pytest.approx(20.0, abs=0.01)  # not normalised to the max
    assert metrics.mel_spectrogram(np.zeros(SR, dtype=np.float32), SR).max() == metrics.DB_FLOOR  # floor


def test_mel_distance_orders_lowpass_above_small_gain(noise):
    assert metrics.mel_distance(noise, noise, SR) == 0.0
    lowpassed = sosfilt(butter(4, 1000, fs=SR, output="sos"), noise).astype(np.float32)
    quieter = (noise * 10 ** (-0.1 / 20)).astype(np.float32)
    d_low = metrics.mel_distance(lowpassed, noise, SR)
    d_gain = metrics.mel_distance(quieter, noise, SR)
    assert d_gain == pytest.approx(0.1, abs=0.01)
    assert d_low > 10 * d_gain


def test_log_spectral_distance(noise):
    assert metrics.log_spectral_distance(noise, noise, SR) == 0.0
    assert metrics.log_spectral_distance(0.5 * noise, noise, SR) == pytest.approx(20 * np.log10(2), abs=0.01)


def test_mrstft(noise):
    assert metrics.mrstft(noise, noise, SR) == 0.0
    assert metrics.mrstft(0.5 * noise, noise, SR) > 0.5
    short = noise[:300]  # only the 256-point resolution fits
    assert metrics.mrstft(0.5 * short, short, SR) > 0.0
    tiny = noise[:100]  # shorter than every resolution: still defined
    assert np.isfinite(metrics.mrstft(0.5 * tiny, tiny, SR))


def test_lufs_calibration():
    # pyloudnorm 0.2.0, measured: full-scale 1 kHz sine -3.05 LUFS, -20 dBFS peak sine -23.05 LUFS
    sr = 44100
    assert metrics.lufs(_sine(1000, 2.0, sr=sr), sr) == pytest.approx(-3.01, abs=0.5)
    assert metrics.lufs(_sine(1000, 2.0, amp=0.1, sr=sr), sr) == pytest.approx(-23.01, abs=1.0)
    assert metrics.lufs(np.zeros(sr, dtype=np.float32), sr) == -70.0
    assert metrics.lufs(_sine(1000, 0.2, sr=sr), sr) == -70.0  # shorter than one 0.4 s block


def test_evaluate_keys_and_baseline(noise):
    target = sosfilt(butter(2, 2000, fs=SR, output="sos"), noise).astype(np.float32) * 2
    result = metrics.evaluate(noise, target, target.copy(), SR)
    expected = {"esr", "esr_clean", "mrstft", "mrstft_clean", "mel_distance", "mel_distance_clean", "lsd",
                "lsd_clean", "lufs_pred", "lufs_target", "lufs_clean", "lufs_diff", "lufs_diff_clean",
                "closer_to_target_than_clean"}
    assert set(result) == expected
    assert all(type(v) is float for k, v in result.items() if k != "closer_to_target_than_clean")
    closer = result["closer_to_target_than_clean"]
    assert set(closer) == {"esr", "mrstft", "mel_distance", "lsd", "lufs"}
    assert all(v is True for v in closer.values())
    assert result["esr"] == 0.0 and result["esr_clean"] > 0.1
    json.dumps(result, allow_nan=False)  # plain, finite, JSON-serialisable


def test_length_mismatch_and_shape_raise(noise):
    with pytest.raises(ValueError, match="samples"):
        metrics.esr(noise[:-1], noise)
    with pytest.raises(ValueError, match="samples"):
        metrics.evaluate(noise, noise, noise[:-5], SR)
    with pytest.raises(ValueError, match="samples"):
        metrics.evaluate(noise[:-5], noise, noise, SR)
    with pytest.raises(ValueError, match="1-D"):
        metrics.mel_distance(np.stack([noise, noise]), np.stack([noise, noise]), SR)
    bad = noise.copy()
    bad[10] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        metrics.evaluate(noise, noise, bad, SR)


def _pinned_signals(sr: int = 16000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """clean (tone + noise, then 0.25 s of silence), target = 0.7·tanh(3·clean), pred = target + faint noise."""
    rng = np.random.default_rng(1234)
    t = np.arange(sr) / sr
    clean = 0.5 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(sr)
    clean[-sr // 4:] = 0.0
    target = 0.7 * np.tanh(3 * clean)
    pred = target + 0.01 * rng.standard_normal(sr)
    return clean.astype(np.float32), target.astype(np.float32), pred.astype(np.float32)


# Computed with the hand-written numpy STFT/mel/dB code that librosa replaced: metrics.json must not move.
PINNED_METRICS = {
    "esr": 0.0005243890601987178,
    "esr_clean": 0.09790885739550634,
    "mrstft": 2.068666678406296,
    "mrstft_clean": 0.6695080996895291,
    "mel_distance": 5.079995698673308,
    "mel_distance_clean": 1.9656972644392012,
    "lsd": 4.549435022523386,
    "lsd_clean": 4.422821304975673,
    "lufs_pred": -7.570338470870656,
    "lufs_target": -7.57374489241072,
    "lufs_clean": -10.526592837964404,
    "lufs_diff": 0.0034064215400642084,
    "lufs_diff_clean": 2.9528479455536845,
}


def test_every_metric_is_pinned_to_its_reference_value():
    clean, target, pred = _pinned_signals()
    got = metrics.evaluate(clean, target, pred, 16000)
    # the hiss in the silent quarter costs the model on every spectral metric
    assert got.pop("closer_to_target_than_clean") == {"esr": True, "mrstft": False, "mel_distance": False,
                                                      "lsd": False, "lufs": True}
    assert got == {k: pytest.approx(v, rel=1e-6) for k, v in PINNED_METRICS.items()}


PINNED_MEL_SHAPE = (80, 32)
PINNED_MEL = [-46.96701684501347, -80.0, -1.891571390484423, -46.543862681011525, -41.780186991696894]


def test_mel_spectrogram_is_pinned():
    _, target, _ = _pinned_signals()
    mel = metrics.mel_spectrogram(target, 16000)
    assert mel.shape == PINNED_MEL_SHAPE
    assert [float(mel.mean()), float(mel.min()), float(mel.max()), float(mel[10, 5]), float(mel[40, 20])] == \
        pytest.approx(PINNED_MEL, rel=1e-6)
