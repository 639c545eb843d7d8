"""Several taps of one delay line from the audio: a per-frame impulse-response map, the LFO rate from
its periodicity, and sinusoidal tap curves at that rate by a Hough search (candidates for the chorus's
voices, fxcore.models.chorus_fit).

The best-single-delay analysis (delay_tracking) follows one tap. When several taps share one delay
band — Calf's MultiChorus: 2 voices × 2 stereo sides summed to mono are four taps between 5 and 9 ms
at one rate, the sides in anti-phase — the best single delay per frame jumps between them and the
path is nobody's curve (a 3-voice fit read 15 ms at 0.16 Hz; held out 0.41). Here instead:

1. Per frame, the impulse response by regularised deconvolution, h_f = IFFT(Y·X* / (|X|² + ε)),
   over lags [lo, hi]; its K largest local peaks mark the frame's taps (a peak map, binary, so
   loud and quiet frames weigh the same; each lag's mean over frames is removed: a sustained note
   leaves a line at a constant lag).
2. The rate: the peak map repeats after one LFO period, so its autocorrelation over frames, with
   the slow trend removed, peaks there. A pair of taps in anti-phase (c ± a·sin θ) repeats after
   half a period, so each peak's rate r is tried and r/2.
3. At a rate, the map folded over one LFO cycle (B phase bins) holds each tap as the curve
   c + a·sin(θ + φ); the Hough score of (c, a, φ) is the folded map's mean along it, for every c at
   once per (a, φ). The best curves, none within TAP_SEPARATION map columns of a better one, are the
   candidates. On a Calf MultiChorus render (2 voices, 0.5 Hz, 5 ms + 4 ms) the four taps came out
   within 0.03 ms and 6° of Calf's own (6.62 ± 1.6 ms and 7.42 ± 1.6 ms at 0°, 64°, 180°, 244°).

Frames are FRAME_MS long, so a tap that moves more than a few samples within one (fast or deep LFOs)
smears; the single-delay analysis covers those. Lags up to MAX_MAP_MS only: longer frames would
smear more (taps further out are found by the delay bands).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft as sfft
from scipy.ndimage import maximum_filter1d, median_filter
from scipy.signal import find_peaks, stft

from .greybox_dsp import fast_len

FRAME_MS, MAX_MAP_MS, MIN_MAP_MS = 40.0, 20.0, 1.0  # below ~1 ms the dry path's smear fills the map
PEAKS_PER_FRAME, PHASE_BINS, HOUGH_PHASES, HOUGH_AMPS = 8, 48, 48, 64
MAP_RATE = 24000  # the map's lag axis is max-pooled to about this many lags per second (Hough cost)
RATE_PEAKS = 2       # autocorrelation peaks tried (each as r and r/2)
TAP_SEPARATION = 3.0  # map columns (mean distance) between two candidate curves


def peak_map(clean: np.ndarray, target: np.ndarray, lo: int, hi: int, sample_rate: int
             ) -> tuple[np.ndarray, np.ndarray, int, int]:
    """(centres, map, hop, pool): frame centres (samples), the mean-removed peak map of the per-frame
    impulse responses at lags lo…hi, `pool` lags per column (column j: lags lo + pool·j …), zero in
    silent frames; the hop in samples."""
    x, y = np.asarray(clean, np.float64), np.asarray(target, np.float64)
    n = max(2 * hi, int(FRAME_MS * 1e-3 * sample_rate))
    hop = n // 4
    starts = np.arange(0, len(x) - n + 1, hop)
    if len(starts) < 8:
        return np.zeros(0), np.zeros((0, 1)), hop, 1
    # frames zero-padded to twice their length, so the cross-correlation below is linear, not circular
    frames = {"window": np.hanning(n), "nperseg": n, "noverlap": n - hop, "nfft": fast_len(2 * n),
              "boundary": None, "padded": False}
    size = frames["nfft"]
    spec_x, spec_y = (stft(s, **frames)[2].T for s in (x, y))
    power = np.abs(spec_x) ** 2
    h = sfft.irfft(spec_y * np.conj(spec_x) / (power + 1e-3 * power.mean(axis=1, keepdims=True) + 1e-30),
                   size, axis=1)[:, lo:hi + 1]
    e = h * h
    energy = np.sum(np.abs(spec_y) ** 2, axis=1)
    active = energy > 1e-3 * (energy.max() + 1e-30)
    peaks = np.where(e == maximum_filter1d(e, 7, axis=1), e, 0.0)
    k = min(PEAKS_PER_FRAME, peaks.shape[1])
    kth = -np.sort(-peaks, axis=1)[:, k - 1:k]
    pk = maximum_filter1d(((peaks >= kth) & (peaks > 0)).astype(np.float64), 3, axis=1)
    pool = max(1, round(sample_rate / MAP_RATE))
    pk = pk[:, :pk.shape[1] // pool * pool].reshape(len(pk), -1, pool).max(axis=2)
    pk = np.where(active[:, None], pk - pk[active].mean(axis=0), 0.0)
    return starts + n / 2.0, pk, hop, pool


def map_rates(pk: np.ndarray, hop: int, sample_rate: int, rate_range: tuple[float, float]) -> list[float]:
    """Candidate LFO rates (Hz): the strongest periodicities of the peak map, each also halved."""
    frames = len(pk)
    active = np.any(pk != 0, axis=1)
    lags = np.arange(1, frames // 2)
    if len(lags) < 8:
        return []
    size = fast_len(2 * frames)
    spec = sfft.rfft(pk, size, axis=0)
    corr = sfft.irfft(np.sum(np.abs(spec) ** 2, axis=1), size)[lags]  # Σ_f Σ_d pk[f, d]·pk[f + τ, d]
    on = sfft.rfft(active.astype(np.float64), size)
    pairs = np.round(sfft.irfft(np.abs(on) ** 2, size)[lags])  # frames f with f and f + τ both sounding
    corr = corr / np.maximum(pairs, 1.0)
    detrended = corr - median_filter(corr, size=31, mode="nearest")
    frame_rate = sample_rate / hop
    found, _ = find_peaks(detrended, distance=5)
    found = found[(frame_rate / lags[found] <= rate_range[1])]
    rates: list[float] = []
    for i in found[np.argsort(-detrended[found])][:RATE_PEAKS]:
        # the peak between frames (a parabola through it and its neighbours): at 0.7 Hz the nearest
        # frame lag reads 0.704 Hz, 0.05 cycles off after 8 s, enough to blur the fold
        left, mid, right = detrended[max(i - 1, 0)], detrended[i], detrended[min(i + 1, len(lags) - 1)]
        curve = left - 2 * mid + right
        lag = lags[i] + (0.5 * (left - right) / curve if curve < 0 else 0.0)
        for r in (frame_rate / lag, frame_rate / lag / 2):
            if r >= rate_range[0] and all(abs(r - q) > 0.02 * q for q in rates):
                rates.append(float(r))
    return rates


def hough_taps(pk: np.ndarray, centres: np.ndarray, rate: float, sample_rate: int, count: int
               ) -> list[tuple[float, float, float, float]]:
    """The `count` best tap curves c + a·sin(2π·rate·t/sr + φ) in the folded peak map: (score, c, a, φ),
    c and a in map columns (lags − lo)."""
    width = pk.shape[1]
    active = np.any(pk != 0, axis=1)
    fold = np.minimum((np.mod(rate * centres / sample_rate, 1.0) * PHASE_BINS).astype(int), PHASE_BINS - 1)
    img = np.zeros((PHASE_BINS, width), dtype=np.float32)
    np.add.at(img, fold[active], pk[active])
    img /= np.maximum(np.bincount(fold[active], minlength=PHASE_BINS), 1)[:, None]
    padded = np.concatenate([img, np.zeros((PHASE_BINS, 1), np.float32)], axis=1)  # column `width`: outside the map
    theta = 2 * np.pi * (np.arange(PHASE_BINS) + 0.5) / PHASE_BINS
    phis = np.linspace(0, 2 * np.pi, HOUGH_PHASES, endpoint=False)
    amps = np.arange(0, width // 2, max(1, width // 2 // HOUGH_AMPS))
    cols = np.arange(width)
    rows = np.arange(PHASE_BINS)[None, :, None]
    scored: list[tuple[float, float, float, float]] = []
    for a in amps:
        off = np.round(a * np.sin(theta[None, :] + phis[:, None])).astype(int)  # (φ, B)
        idx = cols[None, None, :] + off[:, :, None]
        inside = (idx >= 0) & (idx < width)
        score = padded[rows, np.where(inside, idx, width)].mean(axis=1)  # (φ, c)
        score[~inside.all(axis=1)] = -np.inf  # curves that leave the map
        best = np.argsort(-score, axis=None)[:4 * count]
        for j in best:
            p, c = divmod(int(j), width)
            scored.append((float(score[p, c]), float(c), float(a), float(phis[p])))
    scored.sort(key=lambda s: -s[0])
    picked: list[tuple[float, float, float, float]] = []
    for s in scored:
        curve = s[1] + s[2] * np.sin(theta + s[3])
        if all(np.mean(np.abs(curve - (q[1] + q[2] * np.sin(theta + q[3])))) > TAP_SEPARATION for q in picked):
            picked.append(s)
            if len(picked) == count:
                break
    return picked


def tap_candidates(clean: np.ndarray, target: np.ndarray, sample_rate: int, band_ms: tuple[float, float],
                   rate_range: tuple[float, float], count: int) -> list[dict[str, float]]:
    """Sine-LFO voices (rate_hz, phase, depth_ms, centre_ms, shape) for the taps found in band_ms:
    up to `count` per candidate rate, best first within each rate."""
    lo = max(1, int(math.floor(max(band_ms[0], MIN_MAP_MS) * 1e-3 * sample_rate)))
    hi = int(math.ceil(min(band_ms[1], MAX_MAP_MS) * 1e-3 * sample_rate))
    if hi - lo < 8:
        return []
    centres, pk, hop, pool = peak_map(clean, target, lo, hi, sample_rate)
    if len(centres) < 8:
        return []
    ms = 1e3 / sample_rate
    out = []
    for rate in map_rates(pk, hop, sample_rate, rate_range):
        for _, c, a, phi in hough_taps(pk, centres, rate, sample_rate, count):
            out.append({"rate_hz": rate, "phase": phi, "depth_ms": a * pool * ms,
                        "centre_ms": (lo + c * pool + (pool - 1) / 2) * ms, "shape": 0.0})
    return out
