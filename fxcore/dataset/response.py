"""Impulse response between a clean and a processed recording (the best linear approximation), its onset.

Used to align a user's capture: the latency is where the estimated response *starts*, never where
it peaks (a filter or cabinet peaks several samples after it starts; cutting at the peak would make
the target non-causal).

Measured on 30 s of `synthesize_track` at 48 kHz (max_lag 0.5 s), detected − true latency for true
latencies 0, 100 and 480 samples: Butterworth low-passes and a biquad "cabinet" 0/−2/−2; pedalboard
Distortion 0/−7/−7; Chorus 0/−6/−6, Delay and Reverb (dry+wet) 0…−2; the caps AmpVTS+CabinetIV
chain through SoX 8 where click-based `measure_latency` says 9. A 100 %-wet reverb (no direct sound) is found late
(its response has no sharp start): set `latency` by hand for such captures.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter1d

ONSET_PEAK_FRACTION = 0.3   # the response's main rise: first lag with |h| ≥ 30 % of max|h|
ONSET_FLOOR_FRACTION = 0.01  # ... extended back while |h| (max over ±2 lags) stays ≥ 1 % of max|h|
ONSET_NOISE_FACTOR = 3.0     # ... and ≥ 3× the RMS of h at negative lags (pure estimation noise)
ONSET_FIRST_FRACTION = 1e-4  # ... then forward to the first lag with |h| ≥ 0.01 % of max|h| (and ≥ the noise RMS)
FINE_FRAME = 16384           # frame of the second, finer estimate around the peak (more averaging)


def estimate_response(clean: np.ndarray, processed: np.ndarray, frame: int) -> tuple[np.ndarray, float, float]:
    """Welch H1 estimate h = IFFT(Σ P·C̄ / Σ|C|²) over Hann frames (hop frame/2), circular (length `frame`).

    Returns (h, explained, noise): `explained` = Σ_f |Σ P·C̄|²/Σ|C|² / Σ_f Σ|P|², the fraction of the
    processed energy the linear fit explains (frame-averaged coherence weighted by processed power;
    ≈ 1/frames for unrelated files); `noise` = RMS of h over lags −frame/4…−frame/8, where a causal
    device has no response.
    """
    c = np.asarray(clean, np.float64)
    p = np.asarray(processed, np.float64)
    window = np.hanning(frame)
    bins = frame // 2 + 1
    s_pc, s_cc, s_pp = np.zeros(bins, complex), np.zeros(bins), np.zeros(bins)
    for start in range(0, max(1, len(c) - frame + 1), frame // 2):
        cf = np.fft.rfft(window * _frame(c, start, frame))
        pf = np.fft.rfft(window * _frame(p, start, frame))
        s_pc += pf * np.conj(cf)
        s_cc += np.abs(cf) ** 2
        s_pp += np.abs(pf) ** 2
    s_cc += 1e-10 * s_cc.max() + 1e-30  # only guards empty bins: a larger λ smears the onset
    h = np.fft.irfft(s_pc / s_cc, frame)
    explained = float(np.sum(np.abs(s_pc) ** 2 / s_cc) / (np.sum(s_pp) + 1e-30))
    noise = float(np.sqrt(np.mean(h[frame - frame // 4: frame - frame // 8] ** 2)))
    return h, explained, noise


def _frame(x: np.ndarray, start: int, frame: int) -> np.ndarray:
    seg = x[start: start + frame]
    return seg if len(seg) == frame else np.concatenate([seg, np.zeros(frame - len(seg))])


def response_onset(h: np.ndarray, peak: int, noise: float) -> int:
    """Onset of the response rising to |h[peak]|: first lag L1 ≤ peak with |h| ≥ 0.3·|h[peak]|, then back
    while max(|h|) over ±2 lags ≥ max(0.01·|h[peak]|, 3·noise) (bridging zero crossings), then forward
    to the first |h| ≥ max(1e-4·|h[peak]|, noise). A noise spike cut off from the response cannot trigger."""
    a = np.abs(h[: peak + 1])
    onset = int(np.argmax(a >= ONSET_PEAK_FRACTION * a[peak]))
    envelope = maximum_filter1d(a, 5)
    floor = max(ONSET_FLOOR_FRACTION * a[peak], ONSET_NOISE_FACTOR * noise)
    while onset > 0 and envelope[onset - 1] >= floor:
        onset -= 1
    # back off the window's 2 lags of slack, to the first lag clearly above the noise
    return onset + int(np.argmax(a[onset:] >= max(ONSET_FIRST_FRACTION * a[peak], noise)))


def capture_response(clean: np.ndarray, processed: np.ndarray, max_lag: int) -> dict:
    """Latency (response onset), peak lag, explained-energy strength and h over lags 0…max_lag+frame/4.

    Two passes: a coarse frame ≥ 4·max_lag finds the peak within [0, max_lag] and the strength; a
    finer one (16384-sample frames, more averaging) on the processed audio shifted to just before the
    peak finds the onset.
    """
    coarse = 1 << int(np.ceil(np.log2(max(4096, 4 * max_lag))))
    h, strength, _ = estimate_response(clean, processed, coarse)
    peak = int(np.argmax(np.abs(h[: max_lag + 1])))
    fine = min(FINE_FRAME, coarse)
    shift = max(0, peak - fine // 4)
    h2, _, noise = estimate_response(clean, processed[shift: shift + len(clean)], fine)
    onset = shift + response_onset(h2, peak - shift, noise)
    return {"latency": onset, "peak_lag": peak, "global_peak_lag": int(np.argmax(np.abs(h[: coarse // 2]))), "strength": strength, "h": h[: coarse // 2],
            "noise": noise / (abs(h2[peak - shift]) + 1e-30)}
