"""The phaser's LFO measured from a pair: the swept break frequency tracked frame by frame.

A phaser's wet path is an all-pass cascade P(z; f) whose break frequency f an LFO sweeps; with
feedback fb through one sample, W = P·X / (1 − fb·z⁻¹·P), and Y = dry·X + wet·W. The LFO is slow
against a 21 ms frame, so within a frame the effect is nearly LTI, and its break frequency is the
f whose response best explains the frame's cross spectrum:

    cost_t(f) = Σ|Y|² − max over (dry, wet) of the explained part of Y by {X, H_f·X}   (per frame t)

computed for a log grid of f at once from the STFT (matrix products over the bins), with dry and wet
solved per frame in closed form. The stage count and feedback are the (K, fb) whose per-frame
minima add up lowest. The trajectory log₂ f(t) is then an LFO:

    log₂ f(t) = log₂ f0 + depth·lfo(2π·rate·t + φ),   lfo = sin or triangle (in phase with sin)

fitted over a grid of rates and phases with a truncated square loss, on the frames where the best f
clearly beats the median one (a frame whose spectrum cannot tell break frequencies apart says
nothing); `fit_lfo` says why. Over a minute of playing this pins the rate to ~1e-5 Hz, which a phase that
must stay right to the end of a take needs: the frame-gain swing the first version used was not at
the LFO rate on guitar (Calf Phaser at 0.4 Hz read as 0.517 Hz).
"""

from __future__ import annotations

import numpy as np
from scipy.fft import rfftfreq
from scipy.signal import stft

from .greybox_dsp import lfo_np


def allpass_response(freqs_hz: np.ndarray, break_hz: np.ndarray, sr: float, stages: int, fb: float) -> np.ndarray:
    """W/X of the cascade with feedback, (len(break_hz), len(freqs_hz)) complex; a = (tan(πf/sr) − 1)/(tan + 1)."""
    tn = np.tan(np.pi * np.clip(break_hz, 5.0, 0.49 * sr) / sr)[:, None]
    a = (tn - 1.0) / (tn + 1.0)
    zi = np.exp(-2j * np.pi * freqs_hz / sr)[None, :]
    p = ((a + zi) / (1.0 + a * zi)) ** stages
    return p / (1.0 - fb * zi * p)


def _explained(g11: np.ndarray, g12: np.ndarray, g22: np.ndarray, r1: np.ndarray, r2: np.ndarray) -> np.ndarray:
    """Energy of y explained by the least-squares (dry, wet) on two regressors: [r1 r2]·G⁻¹·[r1 r2]ᵀ, elementwise."""
    det = g11 * g22 - g12 ** 2 + 1e-12 * (g11 * g22 + 1e-30)
    dry = (g22 * r1 - g12 * r2) / det
    wet = (g11 * r2 - g12 * r1) / det
    return dry * r1 + wet * r2


class NotchTracker:
    """Per-frame break frequency of a swept all-pass cascade, and the LFO through it (module docstring)."""

    def __init__(self, sample_rate: int, frame: int = 1024, band_hz: tuple[float, float] = (40.0, 12000.0),
                 grid: int = 120):
        self.sr, self.frame = sample_rate, frame
        self.grid_hz = np.geomspace(20.0, 0.45 * sample_rate, grid)
        f = rfftfreq(frame, 1.0 / sample_rate)   # the bins of scipy.signal.stft's one-sided spectrum
        self.bins = (f >= band_hz[0]) & (f <= min(band_hz[1], 0.45 * sample_rate))
        self.freqs = f[self.bins]

    def spectra(self, clean: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(frame times in s, S = Y·X* (F, T), |X|² (F, T), Σ|Y|² per frame (T,)) over the band."""
        out = []
        for s in (clean, target):
            _, t, z = stft(np.asarray(s, np.float64), self.sr, nperseg=self.frame, noverlap=self.frame // 2)
            out.append(z[self.bins])
        x, y = out
        return t, y * np.conj(x), np.abs(x) ** 2, np.sum(np.abs(y) ** 2, axis=0)

    def costs(self, s: np.ndarray, pxx: np.ndarray, yy: np.ndarray, stages: int, fb: float) -> np.ndarray:
        """cost_t(f) for every grid frequency: (G, T), least-squares dry and wet per frame."""
        h = allpass_response(self.freqs, self.grid_hz, self.sr, stages, fb)
        g11 = pxx.sum(axis=0)[None, :]
        g12 = h.real @ pxx
        g22 = (np.abs(h) ** 2) @ pxx
        r1 = s.real.sum(axis=0)[None, :]
        r2 = (np.conj(h) @ s).real
        return yy[None, :] - _explained(g11, g12, g22, r1, r2)

    def track(self, cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(log₂ break frequency per frame, weight: median cost − min cost), parabolic between grid points."""
        i = np.clip(np.argmin(cost, axis=0), 1, len(self.grid_hz) - 2)
        cols = np.arange(cost.shape[1])
        c0, c1, c2 = cost[i - 1, cols], cost[i, cols], cost[i + 1, cols]
        den = c0 - 2 * c1 + c2
        shift = np.where(den > 0, 0.5 * (c0 - c2) / np.where(den > 0, den, 1.0), 0.0).clip(-0.5, 0.5)
        step = np.log2(self.grid_hz[1] / self.grid_hz[0])
        u = np.log2(self.grid_hz[i]) + shift * step
        w = np.maximum(np.median(cost, axis=0) - cost.min(axis=0), 0.0)
        return u, w

    def mirror_track(self, s: np.ndarray, pxx: np.ndarray, yy: np.ndarray, stages: int, fb: float,
                     every: int = 2, chunk: int = 400) -> tuple[float, np.ndarray, np.ndarray]:
        """Two voices swept in anti-phase (a stereo phaser summed to mono): log₂ f₁,₂ = c ∓ dev.

        Every pair (f_i, f_j) of a coarse grid is a candidate, H = (H_i + H_j)/2, scored per frame
        as in `costs`; on a log grid the pairs sharing a centre c are an anti-diagonal i + j. Returns
        (c: the centre with the lowest sum of per-frame minima, dev per frame, weight per frame).
        """
        grid = self.grid_hz[::every]
        u = np.log2(grid)
        g = len(grid)
        h = allpass_response(self.freqs, grid, self.sr, stages, fb)
        ii, jj = np.triu_indices(g)
        diag = ii + jj
        tot = np.zeros(2 * g - 1)
        best_i = np.zeros((2 * g - 1, s.shape[1]), dtype=int)
        weight = np.zeros((2 * g - 1, s.shape[1]))
        for a in range(0, s.shape[1], chunk):
            sl = slice(a, a + chunk)
            p, sc, y2 = pxx[:, sl], s[:, sl], yy[sl]
            re = h.real @ p                                                    # (G, T)
            q = (np.conj(h) @ sc).real
            cross = np.stack([(h[i].conj()[None, :] * h).real @ p for i in range(g)])   # (G, G, T)
            g11 = p.sum(axis=0)[None, :]
            r1 = sc.real.sum(axis=0)[None, :]
            g12 = 0.5 * (re[ii] + re[jj])
            g22 = 0.25 * (cross[ii, ii] + cross[jj, jj] + 2 * cross[ii, jj])
            r2 = 0.5 * (q[ii] + q[jj])
            cost = y2[None, :] - _explained(g11, g12, g22, r1, r2)             # (pairs, T)
            for d in range(2 * g - 1):
                on = np.flatnonzero(diag == d)
                c = cost[on]
                k = np.argmin(c, axis=0)
                tot[d] += c[k, np.arange(c.shape[1])].sum()
                best_i[d, sl] = ii[on][k]
                weight[d, sl] = np.maximum(np.median(c, axis=0) - c.min(axis=0), 0.0) if len(on) > 2 else 0.0
        d = int(np.argmin(tot))
        centre = u[0] + 0.5 * d * (u[1] - u[0])   # (u_i + u_j)/2 on the log grid
        i = best_i[d]
        return float(centre), np.abs(centre - u[i]), weight[d]


def fit_lfo(t: np.ndarray, u: np.ndarray, w: np.ndarray, rate_range: tuple[float, float], phases: int = 48,
            folded: bool = False, tau: float = 0.5) -> dict[str, float]:
    """rate, phase, centre (log₂ Hz), depth (octaves), shape (0 sine, 1 triangle) of u(t), robustly.

    u = centre + depth·lfo(2π·rate·t + φ); `folded`: u = depth·|lfo(…)| (the deviation of two voices
    in anti-phase from their centre; φ is then known up to π, i.e. up to swapping the voices).
    Each (rate, phase) on a grid gets its weighted least-squares centre and depth and is scored by
    Σ w·min(e², τ²): a frame more than τ octaves off counts as a miss, not as a square — the track
    jumps to another notch in some frames (Calf Phaser summed to mono: 27 % of the weight more than
    0.3 octave off, and plain least squares preferred a sine of the wrong depth to the true
    triangle). A coarse grid of rates (step 1/(4·duration)) for both shapes, a fine one around the
    best, then least squares on the frames within τ.
    """
    dur = float(t[-1] - t[0]) if len(t) > 1 else 1.0
    # every frame that tells break frequencies apart counts once: the weights span four orders of
    # magnitude with the playing's level, and weighted by them a few loud frames in the wrong notch
    # chose a 0.6 Hz LFO on Calf Phaser summed to mono (0.4 Hz with equal weights)
    w = (w > 0.1 * np.median(w[w > 0])).astype(float) if np.any(w > 0) else np.ones_like(u)
    w = w / max(w.sum(), 1e-30)
    coarse = np.arange(max(rate_range[0], 1.0 / dur), rate_range[1], 1.0 / (4 * dur))
    best = min((_fit_shape(t, u, w, coarse, shape, phases, folded, tau) for shape in (0, 1)), key=lambda b: b[0])
    fine = best[1]["rate_hz"] + np.linspace(-1.0, 1.0, 81) / (4 * dur)
    q = _fit_shape(t, u, w, fine[fine > 0], best[1]["shape"], 4 * phases, folded, tau)[1]
    e = np.abs(u - _curve(t, q, folded))
    inl = w * (e <= tau)
    q = _fit_shape(t, u, inl, q["rate_hz"] + np.linspace(-0.1, 0.1, 21) / (4 * dur), q["shape"], 4 * phases,
                   folded, np.inf)[1]
    e = np.abs(u - _curve(t, q, folded))
    return {**q, "track_rms": float(np.sqrt(np.sum(w * np.minimum(e, tau) ** 2)))}


def _curve(t: np.ndarray, q: dict[str, float], folded: bool) -> np.ndarray:
    c = q["depth"] * lfo_np(2 * np.pi * q["rate_hz"] * t + q["phase"], q["shape"])
    return np.abs(c) if folded else q["centre"] + c


def _fit_shape(t: np.ndarray, u: np.ndarray, w: np.ndarray, rates: np.ndarray, shape: int, phases: int,
               folded: bool, tau: float) -> tuple[float, dict[str, float]]:
    """The best (score, LFO) over `rates` × a phase grid for one shape; centre and depth by weighted LS."""
    best = (np.inf, {})
    ph = np.linspace(0, 2 * np.pi, phases, endpoint=False)
    sw, su = w.sum(), w @ u
    for r in rates:
        b = lfo_np(2 * np.pi * r * t[None, :] + ph[:, None], float(shape))          # (P, F)
        if folded:   # u = a·|b|: one coefficient, no centre
            b = np.abs(b)
            a, c = (b @ (w * u)) / ((b * b) @ w + 1e-18), np.zeros(len(ph))
        else:
            sb, sbb, sbu = b @ w, (b * b) @ w, b @ (w * u)
            det = sw * sbb - sb ** 2 + 1e-18
            c = (sbb * su - sb * sbu) / det
            a = (sw * sbu - sb * su) / det
        e2 = (u[None, :] - c[:, None] - a[:, None] * b) ** 2
        score = np.minimum(e2, tau * tau) @ w
        j = int(np.argmin(score))
        if score[j] < best[0]:
            depth, phase = float(a[j]), float(ph[j])
            if depth < 0:  # the same curve with a positive depth: lfo(θ + π) = −lfo(θ)
                depth, phase = -depth, float(np.mod(phase + np.pi, 2 * np.pi))
            best = (float(score[j]), {"rate_hz": float(r), "phase": phase, "centre": float(c[j]), "depth": depth,
                                      "shape": float(shape)})
    return best
