"""Latency measurement: where does the processed click train line up with the clean one?"""

from __future__ import annotations

import numpy as np
from scipy import signal


def measure_latency(clean: np.ndarray, processed: np.ndarray, max_lag: int, onset_fraction: float = 1e-3) -> int:
    """Pure-delay latency: the first lag L ≥ 0 where the click response r(L) = Σ clean[t]·processed[t+L]
    has gathered `onset_fraction` of its energy Σ r² over [0, max_lag].

    Not the correlation *peak*: a filter's response peaks a few samples late although it starts at
    once, and shifting the target by that much would ask a causal model to predict the future.
    Only silence before the response — a plugin's real latency — is removed.
    """
    n = min(len(clean), len(processed))
    c = clean[:n].astype(np.float64)
    p = processed[:n].astype(np.float64)
    xc = signal.correlate(p, c, mode="full", method="fft")  # index n-1 is lag 0
    energy = np.cumsum(xc[n - 1: n + max_lag] ** 2)
    if energy[-1] <= 0:
        return 0
    return int(np.searchsorted(energy, onset_fraction * energy[-1]))


def correlation_peak_lag(clean: np.ndarray, processed: np.ndarray, max_lag: int) -> int:
    """Lag L ∈ [0, max_lag] maximising |Σ clean[t]·processed[t+L]| — for music-like signals.

    A recorded take has no click train; its broadband content makes the correlation peak sharp.
    """
    n = min(len(clean), len(processed))
    xc = signal.correlate(processed[:n].astype(np.float64), clean[:n].astype(np.float64), mode="full", method="fft")
    return int(np.argmax(np.abs(xc[n - 1: n + max_lag])))


def shift_left(audio: np.ndarray, lag: int) -> np.ndarray:
    """Remove `lag` samples of latency: out[t] = audio[t + lag], zero-padded at the end."""
    if lag == 0:
        return audio
    return np.concatenate([audio[lag:], np.zeros(lag, dtype=audio.dtype)])
