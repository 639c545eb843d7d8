"""`compressor`: a feed-forward compressor / expander — a level detector with attack and release, then a gain curve.

    e[t] = |x[t]|^p                              (p = 1: peak detector, p = 2: RMS detector)
    v[t] = v[t−1] + (e[t] − v[t−1])·(α_a if e[t] > v[t−1] else α_r),   α = 1 − exp(−1/(τ·sr))
    L[t] = (10/p)·log10 v[t]                      (the detected level in dB)
    g(L) = Σ_k c_k·φ_k(L)                         (a gain factor, piecewise linear between knots every
                                                   `knot_db` dB from `floor_db` to `ceiling_db`; clamped)
    y[t] = x[t]·g(L[t])

This is SoX's `compand` exactly (compand.c: a peak follower |x| with 1 − exp(−1/(sr·τ)) attack and
decay coefficients, then its transfer function as a gain) and the shape of most feed-forward
compressors, Calf's among them (a peak or RMS follower with attack and release, then a static
gain computer with knee and make-up). Given (τ_a, τ_r, p), y is linear in the knot gains c, so
`initialise` fits them by least squares — the normal equations are tridiagonal (each sample
touches two knots), accumulated with bincount in one pass — with a small second-difference
penalty, so knots the training audio never reaches continue the curve's slope instead of
jumping. (τ_a, τ_r, p) come from a grid (attack 0.05–100 ms × release 5–2 000 ms × peak/RMS,
scored by the least-squares residual, i.e. closed form at every point), then Nelder–Mead on
log τ around the best. Gradient descent afterwards only polishes c (the envelope is computed
without gradient, as the `dynamics` envelopes are).

Why not the `dynamics` Wiener–Hammerstein net: its gain computer is an MLP on a bank of fixed
envelopes; trained on guitar it did not carry over to a held-out electric piano and bass (SoX
`compand`: ESR 0.09–0.12, worse than the clean input's 0.055, in the generalisation benchmark),
where a curve over the detected level, fitted where data exists and continued linearly beyond,
has nothing to extrapolate but the level.

`detector: 3` is the other common topology, the gain computer first and the smoothing after it,
in dB (Giannoulis, Massberg & Reiss, JAES 2012, "smooth decoupled peak detector"; Calf's
MonoCompressor and ZamComp are written so):

    G[t]  = g_dB(20·log10|x[t]|)                  (the same piecewise-linear curve, in dB, on |x|)
    y1[t] = min(G[t], y1[t−1] + α_r·(G[t] − y1[t−1]))
    yl[t] = yl[t−1] + α_a·(y1[t] − yl[t−1]),       y[t] = x[t]·10^(yl[t]/20)

Where x is not tiny the target shows yl itself (20·log10 y/x), and yl follows the running minimum
of G, so a first curve is the 90th percentile of those gains per knot; then L-BFGS on the waveform
ESR over the knots (gradient by the recursion's adjoint, `_smooth_db_adjoint`, the branches of the
min held) and log τ_a, log τ_r (finite differences), from the best of a 3 × 3 grid of times; knots
the audio hardly reached (< 0.1 % of the samples) continue their neighbours' slope. A least-squares
alternative (yl is linear in the knots given the branches) diverged: each solve moved the knots
enough to change the branches. Measured on Calf MonoCompressor (threshold 0.1, 4:1, attack 5 ms,
release 120 ms, 12 s of synthetic tones): attack 4.87 ms, release 118 ms, ESR 3.4e-5 in 4 s of
fitting; on quieter unseen notes 2.7e-4 (the RMS follower's best: 1.2e-3; clean 0.085).

Streaming: the state is v at the last sample (one float64 per batch row); with `detector: 3`, (y1, yl).
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numba
import numpy as np
import torch
from scipy.optimize import OptimizeResult, minimize
from torch import nn

from .base import EffectModel, register_model

ATTACK_MS = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
RELEASE_MS = (5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0)
TINY = 1e-30
# Detector 3's L-BFGS stops once STALL_ITERATIONS iterations have lowered the loss by less than
# STALL_FRACTION of it: on a drive (no compressor in it: guitarix DS-1, 30 s of the generalisation
# bench's training audio) it ran its 300 iterations in 118 s for 0.381 → 0.369 after iteration 20,
# while on Calf MonoCompressor it converged in 12 iterations (6 s) and on SoX `compand` its loss
# still fell 1.8 % between iterations 20 and 40 (the peak detector's grid fit won there by 60×).
STALL_ITERATIONS, STALL_FRACTION = 20, 0.01


@numba.njit(cache=True)
def _follow(e, alpha_a, alpha_r, v0):  # pragma: no cover - compiled
    """v[t] = v[t−1] + (e[t] − v[t−1])·(α_a if e[t] > v[t−1] else α_r), from v[−1] = v0 (float64)."""
    v = np.empty(e.shape[0])
    prev = v0
    for t in range(e.shape[0]):
        d = e[t] - prev
        prev = prev + d * (alpha_a if d > 0.0 else alpha_r)
        v[t] = prev
    return v


@numba.njit(cache=True)
def _knot_sums(x, y, u, n):  # pragma: no cover - compiled
    """(diag, off, b) of `Compressor._normal_equations`, accumulated in one pass over the samples."""
    diag, off, b = np.zeros(n), np.zeros(n - 1), np.zeros(n)
    for t in range(x.shape[0]):
        if not 0.0 <= u[t] <= n - 1:  # NaN too: an index from it would write outside the arrays
            raise ValueError("compressor: a knot position outside the curve (non-finite audio?)")
        k = min(int(math.floor(u[t])), n - 2)
        f = u[t] - k
        x2, xy = x[t] * x[t], x[t] * y[t]
        diag[k] += x2 * (1.0 - f) * (1.0 - f)
        diag[k + 1] += x2 * f * f
        off[k] += x2 * (1.0 - f) * f
        b[k] += xy * (1.0 - f)
        b[k + 1] += xy * f
    return diag, off, b


def _stop_when_stalled() -> Callable[[OptimizeResult], None]:
    """An L-BFGS callback: StopIteration once the last STALL_ITERATIONS lowered the loss < STALL_FRACTION."""
    seen: list[float] = []

    def callback(intermediate_result: OptimizeResult) -> None:
        seen.append(float(intermediate_result.fun))
        if len(seen) > STALL_ITERATIONS and seen[-1] > (1.0 - STALL_FRACTION) * seen[-1 - STALL_ITERATIONS]:
            raise StopIteration
    return callback


def coefficient(ms: float, sample_rate: int) -> float:
    """α = 1 − exp(−1/(τ·sr)) for a time constant of `ms` milliseconds (1 for τ below one sample)."""
    tau = ms * 1e-3 * sample_rate
    return 1.0 if tau <= 1.0 else 1.0 - math.exp(-1.0 / tau)


@numba.njit(cache=True)
def _smooth_db(g, ca, cr, y1, yl):  # pragma: no cover - compiled
    """yl of the module docstring from gains g (dB), states y1, yl: (yl per sample, min took G, y1, yl)."""
    out = np.empty(g.shape[0])
    took = np.empty(g.shape[0], np.bool_)
    for t in range(g.shape[0]):
        a = y1 + cr * (g[t] - y1)
        took[t] = g[t] <= a
        y1 = g[t] if took[t] else a
        yl = yl + ca * (y1 - yl)
        out[t] = yl
    return out, took, y1, yl


@numba.njit(cache=True)
def _smooth_db_adjoint(grad, took, ca, cr):  # pragma: no cover - compiled
    """∂loss/∂G from ∂loss/∂yl, backwards through the recursion with its branches fixed."""
    dg = np.empty(grad.shape[0])
    c_yl, c_y1 = 0.0, 0.0
    for t in range(grad.shape[0] - 1, -1, -1):
        gyl = grad[t] + c_yl
        gy1 = ca * gyl + c_y1
        dg[t] = gy1 if took[t] else cr * gy1
        c_y1 = 0.0 if took[t] else (1.0 - cr) * gy1
        c_yl = (1.0 - ca) * gyl
    return dg


class _SmoothDb(torch.autograd.Function):
    """yl from G (one row, float64) and the start states; the end states come back undifferentiated."""

    @staticmethod
    def forward(ctx, g, ca, cr, y1, yl):
        out, took, y1, yl = _smooth_db(g.detach().cpu().double().numpy(), ca, cr, y1, yl)
        ctx.took, ctx.coef = took, (ca, cr)
        ends = torch.tensor([y1, yl], dtype=torch.float64)
        ctx.mark_non_differentiable(ends)
        return torch.from_numpy(out).to(g), ends

    @staticmethod
    def backward(ctx, grad, _):
        dg = _smooth_db_adjoint(grad.detach().cpu().double().numpy(), ctx.took, *ctx.coef)
        return torch.from_numpy(dg).to(grad), None, None, None, None


@register_model("compressor")
class Compressor(EffectModel):
    """Level detector (attack, release, peak or RMS) + piecewise-linear gain curve; see the module docstring.

    params: attack_ms, release_ms, detector (1 peak, 2 RMS, 3 log-domain smoothing; start values,
    `initialise` searches all),
    floor_db, ceiling_db, knot_db (the curve's knots), smooth (second-difference penalty),
    fit_seconds (training audio the closed-form fit uses).
    """

    def __init__(self, sample_rate: int, attack_ms: float = 5.0, release_ms: float = 100.0, detector: int = 1,
                 floor_db: float = -100.0, ceiling_db: float = 12.0, knot_db: float = 2.0, smooth: float = 1e-3,
                 fit_seconds: float = 60.0):
        super().__init__(sample_rate)
        if detector not in (1, 2, 3):
            raise ValueError(f"compressor: detector {detector} must be 1 (peak), 2 (RMS) or 3 (log-domain)")
        if not (knot_db > 0 and ceiling_db - floor_db >= 2 * knot_db):
            raise ValueError("compressor: need knot_db > 0 and ceiling_db − floor_db ≥ 2·knot_db")
        self.floor_db, self.knot_db = float(floor_db), float(knot_db)
        self.knots = int(math.floor((ceiling_db - floor_db) / knot_db)) + 1
        self.smooth, self.fit_seconds = float(smooth), float(fit_seconds)
        # The detector is structure (found by `initialise`, not by gradient): buffers, saved with the model.
        self.register_buffer("detector", torch.tensor(int(detector)))
        self.register_buffer("times_ms", torch.tensor([float(attack_ms), float(release_ms)], dtype=torch.float64))
        self.curve = nn.Parameter(torch.ones(self.knots))

    @property
    def recurrent(self) -> bool:
        return True

    def _alphas(self, times_ms: np.ndarray | None = None) -> tuple[float, float]:
        a, r = self.times_ms.tolist() if times_ms is None else times_ms
        return coefficient(a, self.sample_rate), coefficient(r, self.sample_rate)

    def level(self, x: np.ndarray, v0: float = 0.0, times_ms: np.ndarray | None = None,
              detector: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(knot position u = (L − floor)/knot_db clamped to [0, knots − 1], v) for x (float64 numpy).

        Detector 3 has no follower before the curve: L is the level of each sample (v = |x|)."""
        p = int(self.detector) if detector is None else detector
        e = np.abs(x) if p != 2 else x * x
        v = e if p == 3 else _follow(e, *self._alphas(times_ms), float(v0))
        db = (20.0 if p == 3 else 10.0 / p) * np.log10(np.maximum(v, TINY))
        return np.clip((db - self.floor_db) / self.knot_db, 0.0, self.knots - 1.0), v

    def forward(self, x: torch.Tensor, state: Any = None, start: torch.Tensor | None = None):
        if int(self.detector) == 3:
            return self._forward_log(x, state)
        rows = x.detach().cpu().double().numpy()
        v0 = [0.0] * len(rows) if state is None else state
        us, new = [], []
        for i, row in enumerate(rows):
            u, v = self.level(row, v0[i])
            us.append(u)
            new.append(float(v[-1]) if len(v) else float(v0[i]))
        return x * self._curve_at(np.stack(us), x), new

    def _curve_at(self, u: np.ndarray, x: torch.Tensor) -> torch.Tensor:
        """The curve interpolated at knot positions u (B, T), differentiable in the knots."""
        u = torch.from_numpy(u).to(x.device)
        k = torch.clamp(torch.floor(u), max=self.knots - 2).long()
        f = (u - k.double()).to(x.dtype)
        lo = self.curve[k]
        return lo + f * (self.curve[k + 1] - lo)

    def _forward_log(self, x: torch.Tensor, state: Any):
        """Detector 3: the curve (dB) on each sample's level, then its smoothing in dB."""
        rows = x.detach().cpu().double().numpy()
        g = self._curve_at(np.stack([self.level(r)[0] for r in rows]), x)
        silent = float(self.curve[0].detach())
        ca, cr = self._alphas()
        out, new = [], []
        for i in range(len(rows)):
            y1, yl = state[i] if state is not None else (silent, silent)
            yl_row, ends = _SmoothDb.apply(g[i].double(), ca, cr, y1, yl)
            out.append(yl_row)
            new.append(tuple(ends.tolist()))
        gain = torch.pow(10.0, torch.stack(out) / 20.0)
        return x * gain.to(x.dtype), new

    def detach_state(self, state: Any) -> Any:
        return state

    # ------------------------------------------------------------------ closed-form fit

    def _normal_equations(self, x: np.ndarray, y: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """G = Σ a aᵀ and b = Σ a·y for a_t = x_t·((1 − f) e_k + f e_{k+1}): the LS system of the knot gains."""
        n = self.knots
        diag, off, b = _knot_sums(x, y, u, n)
        g = np.diag(diag) + np.diag(off, 1) + np.diag(off, -1)
        return g, b

    def _solve(self, g: np.ndarray, b: np.ndarray, yy: float) -> tuple[np.ndarray, float]:
        """Knot gains minimising ‖y − A c‖² + λ‖D² c‖² (+ a tiny pull to 1); returns (c, residual/‖y‖²)."""
        n = self.knots
        d2 = np.diff(np.eye(n), 2, axis=0)
        scale = float(np.trace(g)) / n + TINY
        lam, ridge = self.smooth * scale, 1e-9 * scale
        c = np.linalg.solve(g + lam * d2.T @ d2 + ridge * np.eye(n), b + ridge * np.ones(n))
        res = yy - 2 * c @ b + c @ g @ c
        return c, float(max(res, 0.0) / (yy + TINY))

    def _score(self, x: np.ndarray, y: np.ndarray, yy: float, times_ms: np.ndarray,
               p: int) -> tuple[float, np.ndarray]:
        u, _ = self.level(x, 0.0, times_ms, p)
        g, b = self._normal_equations(x, y, u)
        c, err = self._solve(g, b, yy)
        return err, c

    def estimate(self, clean: np.ndarray, target: np.ndarray) -> dict[str, Any]:
        """(attack_ms, release_ms, detector, curve, esr) by grid + Nelder–Mead over the closed-form fit."""
        n = min(len(clean), int(self.fit_seconds * self.sample_rate))
        x = np.asarray(clean[:n], dtype=np.float64)
        y = np.asarray(target[:n], dtype=np.float64)
        yy = float(y @ y)
        best = (math.inf, None, 1)
        for p in (1, 2):
            for a in ATTACK_MS:
                for r in RELEASE_MS:
                    err, _ = self._score(x, y, yy, np.array([a, r]), p)
                    if err < best[0]:
                        best = (err, np.array([a, r]), p)
        p = best[2]
        res = minimize(lambda z: self._score(x, y, yy, np.exp(z), p)[0], np.log(best[1]), method="Nelder-Mead",
                       options={"xatol": 1e-3, "fatol": 1e-9, "maxiter": 80})
        times = np.exp(res.x) if res.fun < best[0] else best[1]
        err, c = self._score(x, y, yy, times, p)
        out = {"attack_ms": float(times[0]), "release_ms": float(times[1]), "detector": p, "curve": c, "esr": err}
        log = self._fit_log(x, y, yy)
        return log if log["esr"] < err else out

    def _render_log(self, x: np.ndarray, u: np.ndarray, c: np.ndarray, times_ms: np.ndarray) -> np.ndarray:
        """Detector 3's output for knot gains c (dB), float64 numpy."""
        g = np.interp(u, np.arange(self.knots), c)
        yl = _smooth_db(g, *self._alphas(times_ms), c[0], c[0])[0]
        return x * 10.0 ** (yl / 20.0)

    def _fit_log(self, x: np.ndarray, y: np.ndarray, yy: float) -> dict[str, Any]:
        """Detector 3: L-BFGS on the waveform ESR over the knots and log times, from a static guess (module docstring)."""
        u, _ = self.level(x, detector=3)
        k = np.minimum(np.floor(u).astype(np.int64), self.knots - 2)
        f = u - k
        seen = (np.abs(x) > 1e-3 * (np.max(np.abs(x)) + TINY)) & (x * y > 0)
        g_seen = 20.0 * np.log10(np.maximum(np.abs(y[seen]), TINY) / np.abs(x[seen]))
        near = np.rint(u[seen]).astype(np.int64)
        # yl follows the running minimum of G, so G(L) is near the top of the gains seen at level L
        c0 = np.full(self.knots, np.nan)
        for j in np.unique(near):
            c0[j] = np.percentile(g_seen[near == j], 90)
        has = np.isfinite(c0)
        if has.sum() < 2:
            return {"esr": math.inf}
        c0 = np.interp(np.arange(self.knots), np.flatnonzero(has), c0[has])
        d2 = np.diff(np.eye(self.knots), 2, axis=0)
        pen = self.smooth * 1e-3 * (d2.T @ d2)  # keeps the knots between the levels heard in line

        def loss(p: np.ndarray, grad: bool = True) -> tuple[float, np.ndarray] | float:
            c, times = p[:-2], np.exp(p[-2:])
            ca, cr = self._alphas(times)
            g = c[k] + f * (c[k + 1] - c[k])
            yl, took, _, _ = _smooth_db(g, ca, cr, c[0], c[0])
            y_hat = x * 10.0 ** (yl / 20.0)
            r = y_hat - y
            j = float(r @ r / (yy + TINY) + c @ pen @ c)
            if not grad:
                return j
            dg = _smooth_db_adjoint(2.0 * r * y_hat * (math.log(10.0) / 20.0) / (yy + TINY), took, ca, cr)
            dc = np.bincount(k, dg * (1 - f), self.knots) + np.bincount(k + 1, dg * f, self.knots) + 2 * pen @ c
            dz = [(loss(p + e, False) - j) / 1e-4 for e in 1e-4 * np.eye(len(p))[-2:]]
            return j, np.concatenate([dc, dz])

        starts = [np.log([a, r]) for a in (0.1, 1.0, 10.0) for r in (20.0, 100.0, 500.0)]
        z0 = min(starts, key=lambda z: loss(np.concatenate([c0, z]), False))
        res = minimize(loss, np.concatenate([c0, z0]), jac=True, method="L-BFGS-B",
                       bounds=[(None, None)] * self.knots + [(math.log(0.01), math.log(5000.0))] * 2,
                       options={"maxiter": 300}, callback=_stop_when_stalled())
        c, times = res.x[:-2], np.exp(res.x[-2:])
        # knots the audio reached (≥ 0.1 % of the samples heard, a few peaks do not pin a knot): beyond,
        # continue their slope
        hits = np.bincount(k[seen], 1 - f[seen], self.knots) + np.bincount(k[seen] + 1, f[seen], self.knots)
        lo, hi = (int(i) for i in np.flatnonzero(hits > 1e-3 * hits.sum())[[0, -1]])
        hi, lo = max(hi, 1), min(lo, self.knots - 2)
        c[hi + 1:] = c[hi] + (c[hi] - c[hi - 1]) * np.arange(1, self.knots - hi)
        c[:lo] = c[lo] - (c[lo + 1] - c[lo]) * np.arange(lo, 0, -1)
        r = self._render_log(x, u, c, times) - y
        return {"attack_ms": float(times[0]), "release_ms": float(times[1]), "detector": 3, "curve": c,
                "esr": float(r @ r / (yy + TINY))}

    @torch.no_grad()
    def initialise(self, clean: np.ndarray, target: np.ndarray) -> None:
        est = self.estimate(clean, target)
        self.detector.fill_(est["detector"])
        self.times_ms.copy_(torch.tensor([est["attack_ms"], est["release_ms"]], dtype=torch.float64))
        self.curve.copy_(torch.as_tensor(est["curve"], dtype=torch.float32))

    def diagnostics(self, clean: np.ndarray, target: np.ndarray) -> list[dict[str, Any]]:
        """The learned gain curve over the detected level, and the measured gain y/x binned by level."""
        x = np.asarray(clean, dtype=np.float64)
        y = np.asarray(target, dtype=np.float64)
        u, _ = self.level(x)
        db = self.floor_db + self.knot_db * np.arange(self.knots)
        k = np.rint(u).astype(np.int64)
        loud = np.abs(x) > 1e-3 * (np.max(np.abs(x)) + TINY)  # y/x is noise where x is near zero
        num = np.bincount(k[loud], (x * y)[loud], self.knots)
        den = np.bincount(k[loud], (x * x)[loud], self.knots)
        measured = np.where(den > 1e-9 * (den.max() + TINY), num / np.maximum(den, TINY), np.nan)
        a, r = self.times_ms.tolist()
        kind = {1: "peak", 2: "RMS", 3: "gain smoothed in dB"}[int(self.detector)]
        curve = self.curve.detach().double().numpy()
        curve_db = curve if int(self.detector) == 3 else 20 * np.log10(np.maximum(np.abs(curve), 1e-6))
        return [{"title": f"Gain over detected level ({kind}, "
                          f"attack {a:.3g} ms, release {r:.3g} ms)", "xlabel": "detected level (dB)",
                 "ylabel": "gain (dB)", "x": db, "learned": curve_db,
                 "measured": 20 * np.log10(np.maximum(np.abs(measured), 1e-6))}]
