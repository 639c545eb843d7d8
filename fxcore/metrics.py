"""Objective metrics: how close a model's output is to the effect, and to the do-nothing baseline.

Every metric is computed twice by `evaluate`: model output vs target, and clean input vs target.
A model is only useful where it beats the clean input, so both numbers are always reported.

Spectra are scaled to full scale: a hann-windowed frame of a full-scale (amplitude 1.0) sine has
its peak bin at 1.0 (0 dB), so absolute levels are comparable across files and runs.
"""

from __future__ import annotations

import math
from functools import lru_cache

import librosa
import numpy as np
import pyloudnorm
import scipy.signal

from .errors import FxcoreError

EPS = 1e-10
# Spectral floor, dB re full scale. −80 dB (about a 14-bit noise floor) rather than −100: below it
# differences are inaudible in practice, and a deeper floor lets a faint model hiss in the
# synthetic silences dominate mel/LSD distances.
DB_FLOOR = -80.0
POWER_FLOOR = 10 ** (DB_FLOOR / 10)
LUFS_FLOOR = -70.0  # the BS.1770 absolute gate
LUFS_MIN_SECONDS = 0.4  # one BS.1770 gating block


# --------------------------------------------------------------------------- time domain

def esr(pred: np.ndarray, target: np.ndarray) -> float:
    """Error-to-signal ratio: Σ(t−p)² / (Σt² + 1e-10)."""
    p = np.asarray(pred, dtype=np.float64)
    t = np.asarray(target, dtype=np.float64)
    _check_pair(p, t, "pred", "target")
    return float(np.sum((t - p) ** 2) / (np.sum(t ** 2) + EPS))


def rms_dbfs(x: np.ndarray) -> float:
    """Root-mean-square level in dBFS: 10·log10(mean x² + 1e-20) (floor −200 for silence)."""
    return float(10 * np.log10(np.mean(np.square(x, dtype=np.float64)) + 1e-20))


# --------------------------------------------------------------------------- spectra

def stft_magnitude(x: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """|STFT| (frames, n_fft//2+1): periodic hann, centred (zero-padded by n_fft//2), × 2/Σw so a full-scale sine peaks at 1.0."""
    x = np.asarray(x, dtype=np.float64)
    if len(x) + 2 * (n_fft // 2) < n_fft:  # shorter than one frame even when centred: one zero-padded frame
        x = np.pad(x, (0, n_fft - len(x) - 2 * (n_fft // 2)))
    spec = librosa.stft(x, n_fft=n_fft, hop_length=hop, window="hann", center=True, pad_mode="constant")
    return np.abs(spec).T * (2.0 / np.sum(scipy.signal.get_window("hann", n_fft, fftbins=True)))


def power_db(power: np.ndarray) -> np.ndarray:
    """10·log10(max(P, P_floor)): dB re full scale (ref 1.0), floored at DB_FLOOR, no top_db clipping."""
    return librosa.power_to_db(power, ref=1.0, amin=POWER_FLOOR, top_db=None)


def mrstft(pred: np.ndarray, target: np.ndarray, sample_rate: int,
           fft_sizes: tuple[int, ...] = (256, 1024, 2048)) -> float:
    """Mean over FFT sizes of ‖|T|−|P|‖_F/‖|T|‖_F + mean|ln(|T|+ε) − ln(|P|+ε)| (hann, hop n/4, ε=1e-7)."""
    p = np.asarray(pred, dtype=np.float64)
    t = np.asarray(target, dtype=np.float64)
    _check_pair(p, t, "pred", "target")
    sizes = [int(n) for n in fft_sizes if int(n) <= len(t)]
    if not sizes:  # signal shorter than every resolution: one frame covering the whole signal
        sizes = [max(len(t), 2)]
    eps = 1e-7
    total = 0.0
    for n in sizes:
        hop = max(n // 4, 1)
        mp = stft_magnitude(p, n, hop)
        mt = stft_magnitude(t, n, hop)
        sc = np.linalg.norm(mt - mp) / (np.linalg.norm(mt) + eps)
        logmag = np.mean(np.abs(np.log(mt + eps) - np.log(mp + eps)))
        total += sc + logmag
    return float(total / len(sizes))


def hz_to_mel(f: np.ndarray | float) -> np.ndarray:
    """HTK mel scale: m = 2595·log10(1 + f/700)."""
    return librosa.hz_to_mel(np.asarray(f, dtype=np.float64), htk=True)


@lru_cache(maxsize=16)
def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    """(n_mels, n_fft//2+1) triangles equally spaced on the HTK mel scale, unit peak (no area norm)."""
    if not 0 <= fmin < fmax <= sample_rate / 2 + 1e-9:
        raise FxcoreError(f"mel range fmin={fmin} fmax={fmax} Hz is invalid at {sample_rate} Hz",
                          fix=f"use 0 <= fmin < fmax <= {sample_rate / 2:g}")
    fb = librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=True, norm=None,
                             dtype=np.float64)
    fb.setflags(write=False)
    return fb


def mel_spectrogram(x: np.ndarray, sample_rate: int, n_fft: int = 2048, hop: int = 512,
                    n_mels: int = 80, fmin: float = 20.0, fmax: float | None = None) -> np.ndarray:
    """(n_mels, frames) 10·log10(max(M·|X|², 1e-10)) dB re full scale; M = HTK-mel unit-peak triangles."""
    fmax = sample_rate / 2 if fmax is None else fmax
    fb = mel_filterbank(int(sample_rate), int(n_fft), int(n_mels), float(fmin), float(fmax))
    power = stft_magnitude(x, n_fft, hop) ** 2  # (frames, bins)
    return power_db(fb @ power.T)


def mel_distance(pred: np.ndarray, target: np.ndarray, sr: int) -> float:
    """mean |melDB(pred) − melDB(target)| in dB (defaults of `mel_spectrogram`)."""
    _check_pair(np.asarray(pred), np.asarray(target), "pred", "target")
    return float(np.mean(np.abs(mel_spectrogram(pred, sr) - mel_spectrogram(target, sr))))


def log_spectral_distance(pred: np.ndarray, target: np.ndarray, sr: int,
                          n_fft: int = 2048, hop: int = 512) -> float:
    """LSD in dB: mean over frames of sqrt(mean over bins of (dB|P|² − dB|T|²)²); sr is unused."""
    _check_pair(np.asarray(pred), np.asarray(target), "pred", "target")
    dp = power_db(stft_magnitude(pred, n_fft, hop) ** 2)
    dt = power_db(stft_magnitude(target, n_fft, hop) ** 2)
    return float(np.mean(np.sqrt(np.mean((dp - dt) ** 2, axis=1))))


# --------------------------------------------------------------------------- loudness

def lufs(x: np.ndarray, sr: int) -> float:
    """BS.1770 integrated loudness (pyloudnorm) in LUFS, floored at −70 (silence, < 0.4 s)."""
    x = np.asarray(x, dtype=np.float64)
    if len(x) < int(math.ceil(LUFS_MIN_SECONDS * sr)) + 1 or not np.any(x):
        return LUFS_FLOOR
    value = float(pyloudnorm.Meter(sr).integrated_loudness(x))
    if not math.isfinite(value):
        return LUFS_FLOOR
    return max(value, LUFS_FLOOR)


# --------------------------------------------------------------------------- all together

METRIC_NAMES = ("esr", "mrstft", "mel_distance", "lsd", "lufs")


def evaluate(clean: np.ndarray, target: np.ndarray, pred: np.ndarray, sample_rate: int) -> dict:
    """All metrics for model (pred) and do-nothing baseline (clean) vs target, as plain floats/bools."""
    clean = np.asarray(clean, dtype=np.float32)
    target = np.asarray(target, dtype=np.float32)
    pred = np.asarray(pred, dtype=np.float32)
    _check_pair(pred, target, "pred", "target")
    _check_pair(clean, target, "clean", "target")
    for name, a in (("clean", clean), ("target", target), ("pred", pred)):
        if not np.isfinite(a).all():
            raise FxcoreError(f"evaluate: {name} contains NaN or infinite samples",
                              fix="the model or effect diverged; retrain or check the render")
    sr = int(sample_rate)
    out: dict = {}
    out["esr"] = esr(pred, target)
    out["esr_clean"] = esr(clean, target)
    out["mrstft"] = mrstft(pred, target, sr)
    out["mrstft_clean"] = mrstft(clean, target, sr)
    out["mel_distance"] = mel_distance(pred, target, sr)
    out["mel_distance_clean"] = mel_distance(clean, target, sr)
    out["lsd"] = log_spectral_distance(pred, target, sr)
    out["lsd_clean"] = log_spectral_distance(clean, target, sr)
    out["lufs_pred"] = lufs(pred, sr)
    out["lufs_target"] = lufs(target, sr)
    out["lufs_clean"] = lufs(clean, sr)
    out["lufs_diff"] = abs(out["lufs_pred"] - out["lufs_target"])
    out["lufs_diff_clean"] = abs(out["lufs_clean"] - out["lufs_target"])
    out = {k: float(v) for k, v in out.items()}
    out["closer_to_target_than_clean"] = {
        "esr": bool(out["esr"] < out["esr_clean"]),
        "mrstft": bool(out["mrstft"] < out["mrstft_clean"]),
        "mel_distance": bool(out["mel_distance"] < out["mel_distance_clean"]),
        "lsd": bool(out["lsd"] < out["lsd_clean"]),
        "lufs": bool(out["lufs_diff"] < out["lufs_diff_clean"]),
    }
    return out


def _check_pair(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.ndim != 1 or b.ndim != 1:
        raise FxcoreError(f"{name_a} and {name_b} must be 1-D mono signals, got shapes {a.shape} and {b.shape}",
                          fix="mix to mono before computing metrics")
    if len(a) != len(b):
        raise FxcoreError(f"{name_a} has {len(a)} samples but {name_b} has {len(b)}",
                          fix="trim both to the same length (after latency alignment)")
    if len(a) == 0:
        raise FxcoreError(f"{name_a} and {name_b} are empty", fix="pass at least one sample")
