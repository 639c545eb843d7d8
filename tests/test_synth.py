"""The synthetic clean audio is reproducible, in range, dynamic; clicks sit where documented; user audio loads."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from fxcore.errors import FxcoreError
from fxcore.synth import (SWEEP_LEVELS_DB, _tone, click_positions, click_train, load_training_audio, sweep_excitation,
                          synthesize_track)

SR = 16000


@pytest.fixture(scope="module")
def track() -> np.ndarray:
    return synthesize_track(seed=7, segments=4, segment_seconds=10.0, sample_rate=SR)


def frames(x: np.ndarray, n: int) -> np.ndarray:
    return x[: len(x) // n * n].reshape(-1, n).astype(np.float64)


def frame_db(x: np.ndarray, n: int) -> np.ndarray:
    return 10 * np.log10(np.mean(frames(x, n) ** 2, axis=1) + 1e-20)


def test_same_seed_same_bytes_different_seed_differs(track):
    again = synthesize_track(seed=7, segments=4, segment_seconds=10.0, sample_rate=SR)
    assert np.array_equal(track, again)
    assert track.tobytes() == again.tobytes()
    other = synthesize_track(seed=8, segments=4, segment_seconds=10.0, sample_rate=SR)
    assert not np.array_equal(track[: len(other)], other)


@pytest.mark.parametrize("segments,seconds,sr", [(4, 10.0, SR), (3, 0.37, 44100), (1, 1.0, 48000)])
def test_length_dtype_peak(segments, seconds, sr, track):
    x = track if (segments, seconds, sr) == (4, 10.0, SR) else synthesize_track(3, segments, seconds, sr)
    assert x.shape == (int(round(segments * seconds * sr)),)
    assert x.dtype == np.float32
    assert np.isfinite(x).all()
    assert np.max(np.abs(x)) <= 1.0
    assert 20 * np.log10(np.max(np.abs(x))) == pytest.approx(-1.0, abs=0.01)


def test_bad_arguments_raise():
    with pytest.raises(FxcoreError):
        synthesize_track(0, 0)
    with pytest.raises(FxcoreError):
        synthesize_track(0, 1, sample_rate=1000)


def test_fundamentals_in_guitar_range_and_range_covered(track):
    n = 2048  # 128 ms: 7.8 Hz bins, fine enough for 80 Hz
    fr = frames(track, n)
    energy = np.mean(fr ** 2, axis=1)
    voiced = 10 * np.log10(energy + 1e-20) > -50
    spec = np.abs(np.fft.rfft(fr[voiced] * np.hanning(n), axis=1)) ** 2
    freqs = np.fft.rfftfreq(n, 1 / SR)
    peak_f = freqs[np.argmax(spec, axis=1)]
    w = energy[voiced]
    in_range = np.sum(w[(peak_f >= 75) & (peak_f <= 1300)]) / np.sum(w)
    assert voiced.sum() > 100
    assert in_range > 0.9, f"only {in_range:.0%} of energy-weighted spectral peaks lie in 75–1300 Hz"
    # Both ends of the range are used: low strings and high notes both present.
    total = spec.sum(axis=0)
    low = total[(freqs >= 75) & (freqs < 200)].sum() / total.sum()
    high = total[(freqs >= 600) & (freqs < 1300)].sum() / total.sum()
    assert low > 0.01 and high > 0.01, (low, high)
    # And the peaks themselves spread across the range rather than sitting on one note.
    assert np.percentile(peak_f, 10) < 250 and np.percentile(peak_f, 90) > 500


def test_dynamics_span_and_silences(track):
    db = frame_db(track, 800)  # 50 ms frames
    loud = db[db > -60]
    assert np.percentile(loud, 98) - np.percentile(loud, 2) >= 25
    assert np.mean(db < -60) > 0.02  # real silent stretches, not just quiet notes
    # Sharp attacks exist: the level rises > 20 dB within 3 ms (from sound, not from digital zero) many times.
    fine = frame_db(track, 16)  # 1 ms frames
    rise = fine[3:] - fine[:-3]
    assert np.sum((rise > 20) & (fine[3:] > -40) & (fine[:-3] > -100)) >= 10


def test_square_and_saw_are_band_limited():
    f0, sr, n = 1150.0, SR, 16000  # harmonics up to 7.6 kHz; naive synthesis would alias many more
    t = np.arange(n) / sr
    for timbre in ("square", "saw"):
        x = _tone(np.random.default_rng(1), timbre, f0, t, sr)
        spec = np.abs(np.fft.rfft(x * np.blackman(n))) ** 2
        freqs = np.fft.rfftfreq(n, 1 / sr)
        harmonic = np.abs(freqs / f0 - np.round(freqs / f0)) * f0 < 8  # within 8 Hz of a harmonic
        ratio = spec[~harmonic].sum() / spec[harmonic].sum()
        assert ratio < 1e-6, f"{timbre}: {10 * np.log10(ratio):.0f} dB of inharmonic (aliased) energy"


def test_sweeps_cover_every_octave_from_20_hz_equally_at_each_level():
    x = sweep_excitation(6.0, SR)
    assert x.dtype == np.float32 and len(x) == 6 * SR
    assert np.array_equal(x, sweep_excitation(6.0, SR))
    n = len(x) // len(SWEEP_LEVELS_DB)
    for i, db in enumerate(SWEEP_LEVELS_DB):
        one = x[i * n:(i + 1) * n].astype(np.float64)
        assert 20 * np.log10(np.abs(one).max()) == pytest.approx(db, abs=0.01)
        assert np.all(one[int(n / 1.1) + 1:] == 0)  # the silence after each sweep, for the effect's tail
    spec = np.abs(np.fft.rfft(x[:n].astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(n, 1 / SR)
    octaves = [spec[(freqs >= lo) & (freqs < 2 * lo)].sum() for lo in 20.0 * 2.0 ** np.arange(8)]  # 20 Hz–5 kHz
    spread_db = 10 * np.log10(max(octaves) / min(octaves))
    assert spread_db < 1.5, f"energy per octave varies by {spread_db:.1f} dB"  # an exponential sweep: flat per octave
    assert spec[freqs < 15].sum() < 3e-3 * spec.sum()  # nothing below the band but the fade-in's leakage
    with pytest.raises(FxcoreError):
        sweep_excitation(0.0, SR)


def test_click_train_positions():
    x = click_train(SR, n_clicks=8, spacing_s=0.5, seed=3)
    pos = click_positions(SR, 8, 0.5, 3)
    assert pos[0] == int(0.25 * SR)
    assert np.array_equal(np.flatnonzero(x), pos)
    assert np.all(x[: pos[0]] == 0)
    assert len(x) - 1 - pos[-1] >= int(0.25 * SR)  # silent tail
    assert 20 * np.log10(x.max()) == pytest.approx(-6.0, abs=0.01)
    gaps = np.diff(pos)
    assert np.all(np.abs(gaps - 0.5 * SR) <= 0.1 * 0.5 * SR + 1)
    assert len(set(gaps.tolist())) > 1  # jittered: correlation can't lock one click off
    assert np.array_equal(click_train(SR), click_train(SR))


def test_load_training_audio(tmp_path):
    rng = np.random.default_rng(0)
    n = 44100  # 1 s
    t = np.arange(n) / 44100
    stereo = np.stack([0.3 * np.sin(2 * np.pi * 440 * t), 0.1 * rng.standard_normal(n)], axis=1)
    sf.write(tmp_path / "a.wav", stereo, 44100)
    sf.write(tmp_path / "b.flac", 0.2 * np.sin(2 * np.pi * 220 * t[:22050]), 44100)
    (tmp_path / "notes.txt").write_text("not audio")
    out = load_training_audio(tmp_path, 48000)
    assert [name for name, _ in out] == ["a.wav", "b.flac"]
    for (name, x), n_in in zip(out, (44100, 22050)):
        assert x.ndim == 1 and x.dtype == np.float32
        assert abs(len(x) - n_in * 48000 / 44100) <= 1
        assert 20 * np.log10(np.max(np.abs(x))) == pytest.approx(-1.0, abs=0.01)
    # mono = mean of channels: the 440 Hz tone is still there after resampling
    spec = np.abs(np.fft.rfft(out[0][1][:48000]))
    assert abs(np.argmax(spec) - 440) <= 1


def test_load_training_audio_errors(tmp_path):
    assert load_training_audio(tmp_path, 48000) == []
    assert load_training_audio(tmp_path / "missing", 48000) == []
    (tmp_path / "x.wav").write_bytes(np.random.default_rng(0).bytes(2000))
    with pytest.raises(FxcoreError, match="x.wav"):
        load_training_audio(tmp_path, 48000)
    (tmp_path / "x.wav").unlink()
    sf.write(tmp_path / "quiet.wav", np.zeros(1000), 48000)
    with pytest.raises(FxcoreError, match="quiet.wav.*silent"):
        load_training_audio(tmp_path, 48000)
