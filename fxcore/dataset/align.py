"""Latency measurement: where does the processed click train line up with the clean one?"""

from __future__ import annotations

import numpy as np
from scipy import signal


def measure_latency(clean: np.ndarray, processed: np.ndarray, max_lag: int) -> int:
    """Lag L ∈ [0, max_lag] maximising |Σ clean[t]·processed[t+L]| (FFT cross-correlation).

    Absolute value: an effect may invert polarity. Negative lags are impossible for a causal
    effect, so they are not searched.
    """
    n = min(len(clean), len(processed))
    c = clean[:n].astype(np.float64)
    p = processed[:n].astype(np.float64)
    xc = signal.correlate(p, c, mode="full", method="fft")  # index n-1 is lag 0
    lags = np.abs(xc[n - 1: n + max_lag])
    return int(np.argmax(lags))


def shift_left(audio: np.ndarray, lag: int) -> np.ndarray:
    """Remove `lag` samples of latency: out[t] = audio[t + lag], zero-padded at the end."""
    if lag == 0:
        return audio
    return np.concatenate([audio[lag:], np.zeros(lag, dtype=audio.dtype)])
