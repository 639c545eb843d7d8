"""`phaser`: a cascade of first-order all-passes whose break frequency an LFO sweeps, with feedback.

    θ(t)  = 2π·rate·(start + t)/sr + φ
    lfo   = sin θ + s·(tri θ − sin θ)                  (s = 0 sine, s = 1 triangle)
    f(t)  = f0 · 2^(depth·lfo)                         (an exponential sweep: depth in octaves)
    a(t)  = (tan(π f/sr) − 1)/(tan(π f/sr) + 1)         (the all-pass coefficient for break frequency f)
    u_k[n] = a·u_{k−1}[n] + u_{k−1}[n−1] − a·u_k[n−1],  k = 1..K,  u_0 = v
    v[n]  = x[n] + fb·w[n−1],   w = u_K
    y[n]  = dry·x[n] + wet·w[n]

(Wright & Välimäki 2021 model a phaser the same way: a time-varying all-pass chain in a feedback
loop, mixed with the dry signal; there the sweep is learned by a network, here it is a
parametric LFO.) Calf's Phaser is this structure with a triangle LFO in cents, its coefficient
updated every 32 samples.

Training: the recursion is per sample, so the all-pass chain runs in a compiled numba loop and
is not differentiated; gradient descent refines only dry and wet. Everything else is found by
`initialise`:

1. The break frequency tracked frame by frame and the LFO fitted through the track
   (fxcore.models.phaser_analysis): rate, phase, f0, depth, sine or triangle; the stage count and
   feedback from the same per-frame fits.
2. A Nelder–Mead polish of (phase, f0, depth, feedback, rate) on excerpts spread over the
   analysed audio (so a rate error shows as a phase error at the far ones), each simulated from
   its own absolute start, with dry/wet by least squares.

Before step 1 the rate came from the swing of per-frame gains, which on guitar through Calf Phaser
(0.4 Hz) was 0.517 Hz; the search then simulated 8 000 candidates from wrong starts (705 s).

Streaming: the state is (the K all-pass states of the last sample, w[n−1]).
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np
import torch
from torch import nn

from ..errors import FxcoreError
from .base import register_model
from .greybox_dsp import FEEDBACK_GRID
from .per_sample import PerSampleModel, mix_fit, polish, take_excerpts, voice_mean
from .phaser_analysis import NotchTracker, fit_lfo



@numba.njit(cache=True)
def _allpass_chain(x, t0, sr, rate, phase, f0, depth, fb, shape, k, xprev, uprev, wprev):  # pragma: no cover - compiled
    """w for x (float64), starting at absolute sample t0 with states (xprev, uprev[k], wprev)."""
    n = x.shape[0]
    w = np.empty(n)
    u_in_prev = np.empty(k)   # each stage's previous input
    u_out_prev = np.empty(k)  # each stage's previous output
    u_in_prev[0] = xprev
    for j in range(k):
        u_out_prev[j] = uprev[j]
        if j + 1 < k:
            u_in_prev[j + 1] = uprev[j]
    for i in range(n):
        cyc = rate * (t0 + i) / sr
        th = 2.0 * math.pi * (cyc - math.floor(cyc)) + phase
        s = math.sin(th)
        uu = th / (2.0 * math.pi) - 0.25
        tri = abs(4.0 * (uu - math.floor(uu)) - 2.0) - 1.0
        f = f0 * 2.0 ** (depth * (s + shape * (tri - s)))
        f = min(max(f, 5.0), 0.49 * sr)
        tn = math.tan(math.pi * f / sr)
        a = (tn - 1.0) / (tn + 1.0)
        v = x[i] + fb * wprev
        for j in range(k):
            out = a * v + u_in_prev[j] - a * u_out_prev[j]
            u_in_prev[j] = v
            u_out_prev[j] = out
            v = out
        w[i] = v
        wprev = v
    # the state: first stage's previous input, every stage's previous output, w[n−1]
    return w, u_in_prev[0], u_out_prev.copy(), wprev


@register_model("phaser")
class Phaser(PerSampleModel):
    """LFO-swept all-pass cascade with feedback; see the module docstring.

    params: rate_hz, f0_hz, depth_octaves, feedback, shape (0 sine … 1 triangle), stages, spread
    (start values), voices (1; 2: a second cascade whose LFO runs `spread` radians ahead, the two
    averaged — a stereo phaser summed to mono; "auto": the analysis picks), stage_choices (stage
    counts it tries), rate_range (Hz), fit_seconds (audio the polish simulates, in `excerpts` pieces
    spread over the analysed audio), analysis_seconds.
    """

    LFO_KEYS = ("rate_hz", "phase", "f0_hz", "depth_octaves", "feedback", "shape")
    STRUCTURE = ("stages", "voices", "spread")

    def __init__(self, sample_rate: int, rate_hz: float = 0.5, f0_hz: float = 800.0, depth_octaves: float = 1.5,
                 feedback: float = 0.0, shape: float = 0.0, stages: int = 4, voices: int | str = "auto",
                 spread: float = math.pi, stage_choices: list[int] | tuple[int, ...] = (2, 4, 6, 8),
                 rate_range: tuple[float, float] | list[float] = (0.05, 5.0), fit_seconds: float = 4.0,
                 excerpts: int = 4, analysis_seconds: float = 60.0):
        super().__init__(sample_rate)
        if voices not in (1, 2, "auto"):
            raise FxcoreError(f"phaser: voices must be 1, 2 or 'auto', not {voices!r}")
        self.voice_choices = (1, 2) if voices == "auto" else (int(voices),)
        self.stage_choices = [int(s) for s in stage_choices]
        self.rate_range = (float(rate_range[0]), float(rate_range[1]))
        self.fit_seconds, self.analysis_seconds = float(fit_seconds), float(analysis_seconds)
        self.excerpts = int(excerpts)
        # The structure (not trained by gradient): buffers, saved with the model.
        self.register_buffer("lfo", torch.tensor([rate_hz, 0.0, f0_hz, depth_octaves, feedback, shape],
                                                 dtype=torch.float64))
        self.register_buffer("stages", torch.tensor(int(stages)))
        self.register_buffer("voices", torch.tensor(self.voice_choices[0]))
        self.register_buffer("spread", torch.tensor(float(spread), dtype=torch.float64))
        self.dry = nn.Parameter(torch.tensor(1.0))
        self.wet = nn.Parameter(torch.tensor(1.0))

    def _wet(self, x: np.ndarray, t0: int, state: Any, p: np.ndarray | None = None, k: int | None = None,
             voices: int | None = None, spread: float | None = None) -> tuple[np.ndarray, list]:
        """(mean of the voices' cascades for x from absolute sample t0, their new states)."""
        p = self.lfo.numpy() if p is None else p
        k = int(self.stages) if k is None else k
        nv = int(self.voices) if voices is None else voices
        spread = float(self.spread) if spread is None else spread
        state = state if state is not None else [(0.0, np.zeros(k), 0.0)] * nv
        x = np.asarray(x, np.float64)

        def run(v: int, st: tuple) -> tuple[np.ndarray, tuple]:
            w, *after = _allpass_chain(x, float(t0), float(self.sample_rate), p[0], p[1] + v * spread, p[2], p[3],
                                       p[4], p[5], k, *st)
            return w, tuple(after)

        return voice_mean(run, state)

    # ------------------------------------------------------------------ analysis

    def _residual(self, pieces: list[tuple[int, np.ndarray, np.ndarray]], p: np.ndarray, k: int, voices: int,
                  spread: float, settle: int) -> tuple[float, float, float]:
        """ESR after least-squares dry/wet over excerpts (start, x, y), each run from zero state at its start."""
        return mix_fit(pieces, settle, lambda t0, x: self._wet(x, t0, None, p, k, voices, spread)[0])

    def _polish(self, pieces: list, p: np.ndarray, k: int, voices: int, settle: int) -> tuple[np.ndarray, float, float]:
        """Nelder–Mead on (phase, log f0, depth, feedback, rate, spread if 2 voices): (p, spread, ESR)."""
        def unpack(v: np.ndarray) -> tuple[np.ndarray, float]:
            q = np.array([p[0] * (1.0 + 1e-3 * v[4]), v[0], math.exp(v[1]), abs(v[2]),
                          float(np.clip(v[3], -0.95, 0.95)), p[5]])
            return q, (float(v[5]) if voices == 2 else 0.0)

        start = np.array([p[1], math.log(p[2]), p[3], p[4], 0.0] + ([math.pi] if voices == 2 else []))
        steps = [0.2, 0.1, 0.1, 0.1, 0.5] + ([0.3] if voices == 2 else [])
        def cost(v: np.ndarray) -> float:
            q, spread = unpack(v)
            return self._residual(pieces, q, k, voices, spread, settle)[0]

        v, esr = polish(cost, start, steps)
        q, spread = unpack(v)
        q[1] = float(np.mod(q[1], 2 * np.pi))
        return q, spread, esr

    def estimate(self, clean: np.ndarray, target: np.ndarray) -> dict[str, Any]:
        """LFO, sweep, feedback, stage count, voices and mix measured from a pair starting at its track's sample 0."""
        sr = self.sample_rate
        n = min(len(clean), len(target), int(self.analysis_seconds * sr))
        tracker = NotchTracker(sr)
        t, s, pxx, yy = tracker.spectra(clean[:n], target[:n])
        # stage count and feedback: the lowest sum of per-frame minima (on up to 20 s of frames)
        sub = slice(0, min(len(t), int(20 * sr / (tracker.frame // 2))))
        total = {(k, fb): float(tracker.costs(s[:, sub], pxx[:, sub], yy[sub], k, fb).min(axis=0).sum())
                 for k in self.stage_choices for fb in FEEDBACK_GRID}
        k, fb = min(total, key=total.get)
        # the polish runs on excerpts spread over the analysed audio, simulated from their absolute starts
        m = int(self.fit_seconds * sr / max(self.excerpts, 1))
        pieces = take_excerpts(clean, target, self.excerpts, m, n)
        settle = min(int(0.05 * sr), m // 4)
        fits = []
        for voices in self.voice_choices:
            if voices == 1:
                u, w = tracker.track(tracker.costs(s, pxx, yy, k, fb))
                q = fit_lfo(t, u, w, self.rate_range)
            else:
                centre, dev, w = tracker.mirror_track(s, pxx, yy, k, fb)
                q = {**fit_lfo(t, dev, w, self.rate_range, folded=True), "centre": centre}
            p0 = np.array([q["rate_hz"], q["phase"], 2.0 ** q["centre"], q["depth"], fb, q["shape"]])
            p, spread, esr = self._polish(pieces, p0, k, voices, settle)
            fits.append((esr, voices, p, spread, q["track_rms"]))
        esr, voices, p, spread, rms = min(fits, key=lambda f: f[0])
        esr, dry, wet = self._residual(pieces, p, k, voices, spread, settle)
        return {"rate_hz": p[0], "phase": p[1], "f0_hz": p[2], "depth_octaves": p[3], "feedback": p[4],
                "shape": p[5], "stages": k, "voices": voices, "spread": spread, "dry": dry, "wet": wet,
                "fit_esr": esr, "track_rms_oct": rms}
