"""`phaser`: a cascade of first-order all-passes whose break frequency an LFO sweeps, with feedback.

    θ(t)  = 2π·rate·(start + t)/sr + φ
    f(t)  = f0 · 2^(depth·sin θ)                       (an exponential sweep: depth in octaves)
    a(t)  = (tan(π f/sr) − 1)/(tan(π f/sr) + 1)         (the all-pass coefficient for break frequency f)
    u_k[n] = a·u_{k−1}[n] + u_{k−1}[n−1] − a·u_k[n−1],  k = 1..K,  u_0 = v
    v[n]  = x[n] + fb·w[n−1],   w = u_K
    y[n]  = dry·x[n] + wet·w[n]

(Wright & Välimäki 2021 model a phaser the same way: a time-varying all-pass chain in a feedback
loop, mixed with the dry signal; there the sweep is learned by a network, here it is a
parametric LFO.)

Training: the recursion is per sample, so the all-pass chain runs in a compiled numba loop and
is not differentiated; gradient descent refines only dry and wet. Everything else is found by
`initialise`:

1. The LFO rate from the per-frame least-squares gain Σxy/Σx² (fxcore.models.tremolo's frame
   analysis): a sweeping notch makes that gain rise and fall at the LFO rate.
2. For each even stage count K in `stages`, a derivative-free search (Nelder–Mead from several
   starting phases) over (phase, f0, depth, fb, rate) minimising the residual after a least-squares
   dry/wet, on `fit_seconds` of training audio.

Status — measured, not yet good enough to be an `auto` candidate or a benchmark row's hand pick:
on Calf Phaser (LV2; rate 0.4 Hz, 4 stages, feedback 0.3) over 60 s of FluidSynth guitar, the
analysis found rate 0.517 Hz (wrong: the frame-gain swing is not at the LFO rate for this input),
6 stages, and reached ESR 0.050 on its 2 s fitting excerpt, after 705 s on a shared 2-core CPU
(8 000 simulations). What it needs: a rate estimate from the notch trajectory (per-frame
spectral minima of |Y/X|) rather than frame gains, and fewer, better-started searches.

Streaming: the state is (the K all-pass states of the last sample, w[n−1]).
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np
import torch
from scipy.optimize import minimize
from torch import nn

from .base import EffectModel, register_model
from .tremolo import fit_sinusoid, frame_gains


@numba.njit(cache=True)
def _allpass_chain(x, t0, sr, rate, phase, f0, depth, fb, k, xprev, uprev, wprev):  # pragma: no cover - compiled
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
        f = f0 * 2.0 ** (depth * math.sin(th))
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
class Phaser(EffectModel):
    """LFO-swept all-pass cascade with feedback; see the module docstring.

    params: rate_hz, f0_hz, depth_octaves, feedback, stages (start values), stage_choices (stage
    counts the analysis tries), rate_range (Hz), fit_seconds (audio the search simulates),
    analysis_seconds (audio for the rate estimate).
    """

    def __init__(self, sample_rate: int, rate_hz: float = 0.5, f0_hz: float = 800.0, depth_octaves: float = 1.5,
                 feedback: float = 0.0, stages: int = 4, stage_choices: list[int] | tuple[int, ...] = (2, 4, 6, 8),
                 rate_range: tuple[float, float] | list[float] = (0.05, 5.0), fit_seconds: float = 2.0,
                 analysis_seconds: float = 60.0):
        super().__init__(sample_rate)
        self.stage_choices = [int(s) for s in stage_choices]
        self.rate_range = (float(rate_range[0]), float(rate_range[1]))
        self.fit_seconds, self.analysis_seconds = float(fit_seconds), float(analysis_seconds)
        # The structure (not trained by gradient): buffers, saved with the model.
        self.register_buffer("lfo", torch.tensor([rate_hz, 0.0, f0_hz, depth_octaves, feedback],
                                                 dtype=torch.float64))
        self.register_buffer("stages", torch.tensor(int(stages)))
        self.dry = nn.Parameter(torch.tensor(1.0))
        self.wet = nn.Parameter(torch.tensor(1.0))

    def _wet(self, x: np.ndarray, t0: int, state: Any, p: np.ndarray | None = None, k: int | None = None):
        p = self.lfo.numpy() if p is None else p
        k = int(self.stages) if k is None else k
        if state is None:
            state = (0.0, np.zeros(k), 0.0)
        return _allpass_chain(np.asarray(x, np.float64), float(t0), float(self.sample_rate), p[0], p[1], p[2], p[3],
                              p[4], k, state[0], state[1], state[2])

    def forward(self, x: torch.Tensor, state: Any = None, start: torch.Tensor | None = None):
        b = x.shape[0]
        starts = start.tolist() if start is not None else [0] * b
        states = state if state is not None else [None] * b
        ws, new = [], []
        for i in range(b):
            w, xp, up, wp = self._wet(x[i].detach().cpu().double().numpy(), int(starts[i]), states[i])
            ws.append(torch.from_numpy(w))
            new.append((xp, up, wp))
        w = torch.stack(ws).to(x.dtype).to(x.device)
        return self.dry * x + self.wet * w, new

    def detach_state(self, state: Any) -> Any:
        return state

    # ------------------------------------------------------------------ analysis

    def _residual(self, x: np.ndarray, y: np.ndarray, p: np.ndarray, k: int) -> tuple[float, float, float]:
        w = self._wet(x, 0, None, p, k)[0]
        g = np.array([[x @ x, x @ w], [x @ w, w @ w]]) + 1e-12 * np.eye(2)
        r = np.array([x @ y, w @ y])
        dry, wet = np.linalg.solve(g, r)
        e = y - dry * x - wet * w
        return float(e @ e / (y @ y + 1e-20)), float(dry), float(wet)

    def estimate(self, clean: np.ndarray, target: np.ndarray) -> dict[str, Any]:
        """LFO, sweep, feedback, stage count and mix measured from a pair starting at its track's sample 0."""
        sr = self.sample_rate
        n = min(len(clean), int(self.analysis_seconds * sr))
        tc, g, e = frame_gains(clean[:n], target[:n], max(8, int(0.01 * sr)))
        keep = e > 1e-3 * (e.max() + 1e-30)
        dur = n / sr
        rates = np.arange(max(self.rate_range[0], 1 / dur), self.rate_range[1], 1 / (4 * dur))
        res, _ = fit_sinusoid(tc[keep] / sr, g[keep], e[keep] / e[keep].sum(), rates)
        # The gain may swing at the LFO rate or at twice it (a notch passing a band on the way up
        # and down): both are tried below.
        r0 = float(rates[int(np.argmin(res))])
        m = min(len(clean), int(self.fit_seconds * sr))
        x = np.asarray(clean[:m], np.float64)
        y = np.asarray(target[:m], np.float64)
        best = (np.inf, None, 0)
        for k in self.stage_choices:
            for rate in (r0, r0 / 2):
                for ph in np.linspace(0, 2 * np.pi, 4, endpoint=False):
                    start = np.array([ph, math.log(800.0), 1.5, 0.2, rate])

                    def cost(v: np.ndarray, k: int = k) -> float:
                        p = np.array([v[4], v[0], math.exp(v[1]), abs(v[2]), float(np.clip(v[3], -0.95, 0.95))])
                        return self._residual(x, y, p, k)[0]

                    simplex = np.vstack([start, start + np.diag([1.0, 0.7, 0.7, 0.3, 0.02 * rate])])
                    fit = minimize(cost, start, method="Nelder-Mead",
                                   options={"maxfev": 250, "xatol": 1e-4, "fatol": 1e-6, "initial_simplex": simplex})
                    if fit.fun < best[0]:
                        best = (float(fit.fun), fit.x, k)
        v, k = best[1], best[2]
        p = np.array([v[4], float(np.mod(v[0], 2 * np.pi)), math.exp(v[1]), abs(v[2]), float(np.clip(v[3], -0.95, 0.95))])
        # Polish on the same excerpt with the stage count fixed.
        fit = minimize(lambda q: self._residual(x, y, np.array([q[0], q[1], q[2], abs(q[3]),
                                                               float(np.clip(q[4], -0.95, 0.95))]), k)[0],
                       p, method="Nelder-Mead", options={"maxfev": 400, "xatol": 1e-6, "fatol": 1e-8})
        p = np.array([fit.x[0], fit.x[1], fit.x[2], abs(fit.x[3]), float(np.clip(fit.x[4], -0.95, 0.95))])
        esr, dry, wet = self._residual(x, y, p, k)
        return {"rate_hz": p[0], "phase": p[1], "f0_hz": p[2], "depth_octaves": p[3], "feedback": p[4],
                "stages": k, "dry": dry, "wet": wet, "fit_esr": esr}

    @torch.no_grad()
    def initialise(self, clean: np.ndarray, target: np.ndarray) -> None:
        q = self.estimate(clean, target)
        self.lfo.copy_(torch.tensor([q["rate_hz"], q["phase"], q["f0_hz"], q["depth_octaves"], q["feedback"]],
                                    dtype=torch.float64))
        self.stages.fill_(int(q["stages"]))
        self.dry.fill_(q["dry"])
        self.wet.fill_(q["wet"])
