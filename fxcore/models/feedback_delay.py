"""`feedback_delay`: a parametric feedback delay (echo) — delay time, feedback, mix, loop damping.

The effect (pedalboard.Delay, any tape/digital echo without modulation):

    w[t] = v[t − D],   v[t] = x[t] + fb·(g ∗ w)[t],   y[t] = dry·x[t] + wet·w[t]

with a one-pole low-pass g in the loop, G(ω) = (1−a)/(1 − a·e^{−jω}) (a = 0: no damping; unit
gain at DC). Its transfer function is a geometric series of echoes,

    H(ω) = dry + wet · Σ_{k=1}^{K} fb^{k−1} · G(ω)^k · e^{−jωkD}
         = dry + wet · G·E · (1 − (fb·G·E)^K) / (1 − fb·G·E),      E = e^{−jωD},

evaluated in closed form on an N-point frequency grid (N = ir_seconds·sr) and turned into the wet
impulse response by one inverse FFT; the input is then convolved with it by FFT (`fft_convolve`).
K = ⌊(N − 1)/D⌋ echoes fit in the window; the rest (fb^K of the level) is dropped rather than
time-aliased onto the start. The delay is fractional and *exact* (a band-limited phase ramp, not
an interpolating FIR), so the loss is a smooth function of D and its gradient is meaningful —
within about half a period of the highest significant frequency of the initial error, which is
why D is initialised by analysis rather than learned from scratch.

Measured (pedalboard 0.9.26 `Delay(delay_seconds=0.25, feedback=0.4, mix=0.35)`, impulse in):
y = 0.65·δ[t] + 0.35·Σ_k 0.4^{k−1}·δ[t − k·12000] at 48 kHz — dry = 1 − mix, wet = mix, integer
delay, no damping: exactly this model with a = 0.

`initialise` (analysis, no gradient descent): the delay is the largest peak in [min_delay,
max_delay] of the whitened cross-correlation (a regularised deconvolution, `wiener_ir`) refined
by parabolic interpolation; dry and the first three echo gains c₁..c₃ come from a linear least-
squares fit of y on x and x delayed by D, 2D, 3D; fb starts at c₂/c₁; then the damping (a grid)
and the feedback (a bounded scalar search) and finally (delay, feedback, damping) jointly (Nelder–
Mead: the loop low-pass adds group delay, so delay and damping trade off) minimise the residual
of the full model, with dry and wet solved by least squares at each trial.

Parameters (learned): delay (samples), fb = 0.999·tanh(ρ), a = 0.99·σ(α), wet, dry.

Receptive field: reported as 1 (see `ir`): the memory is N samples, longer than a typical
training window. Train with `warmup_samples` long enough that the echoes of audio before the
window are negligible (≈ 1 s for D = 0.25 s, fb = 0.4: the 4th echo is at 0.35·0.4³ ≈ 0.02) and
`segment_samples` ≥ warm-up + 0.5 s.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.fft as sfft
import torch
from scipy.optimize import minimize, minimize_scalar
from torch import nn

from .base import EffectModel, register_model
from .greybox_dsp import fast_len, fft_convolve, history, outlier_mask, tail, wiener_ir


def _fractional_shift(x: np.ndarray, delay: float, n: int) -> np.ndarray:
    """x delayed by `delay` samples (band-limited, zero history), same length."""
    spec = sfft.rfft(x, n) * np.exp(-1j * np.pi * np.arange(n // 2 + 1) / (n / 2) * delay)
    return sfft.irfft(spec, n)[:len(x)]


@register_model("feedback_delay")
class FeedbackDelay(EffectModel):
    """Parametric feedback delay; see the module docstring.

    params: delay_seconds, feedback, mix, dry (start values before `initialise`), min_delay_ms,
    max_delay_seconds (search range), ir_seconds (length N of the rendered response),
    damping (learn the loop low-pass), fit_seconds (audio used by `initialise`).
    """

    def __init__(self, sample_rate: int, delay_seconds: float = 0.25, feedback: float = 0.3, mix: float = 0.5,
                 dry: float = 1.0, min_delay_ms: float = 1.0, max_delay_seconds: float = 1.0,
                 ir_seconds: float = 4.0, damping: bool = True, fit_seconds: float = 20.0):
        super().__init__(sample_rate)
        sr = self.sample_rate
        self.n = max(16, int(round(ir_seconds * sr)))
        self.min_delay = max(1.0, min_delay_ms * 1e-3 * sr)
        self.max_delay = min(max_delay_seconds * sr, self.n - 2.0)
        self.damping, self.fit_seconds = bool(damping), float(fit_seconds)
        self.delay = nn.Parameter(torch.tensor(float(delay_seconds * sr)))
        self.fb_raw = nn.Parameter(torch.tensor(math.atanh(min(max(feedback / 0.999, -0.99), 0.99))))
        self.damp_raw = nn.Parameter(torch.tensor(-8.0), requires_grad=self.damping)
        self.wet = nn.Parameter(torch.tensor(float(mix)))
        self.dry = nn.Parameter(torch.tensor(float(dry)))

    # ------------------------------------------------------------------ the response

    @property
    def feedback(self) -> torch.Tensor:
        return 0.999 * torch.tanh(self.fb_raw)

    @property
    def damp(self) -> torch.Tensor:
        return 0.99 * torch.sigmoid(self.damp_raw)

    def delay_samples(self) -> torch.Tensor:
        return self.delay.clamp(self.min_delay, self.max_delay)

    def wet_ir(self) -> torch.Tensor:
        """The wet path's impulse response (N,), from the closed-form H(ω) above."""
        n = self.n
        d = self.delay_samples()
        k_echoes = max(1, int((n - 1) // float(d.detach())))
        w = torch.arange(n // 2 + 1, dtype=torch.float64, device=d.device) * (2 * math.pi / n)
        z1 = torch.complex(torch.cos(w), -torch.sin(w))  # e^{-jω}
        a = self.damp.double()
        g = (1 - a) / (1 - a * z1)
        phi = w * d.double()
        e = torch.complex(torch.cos(phi), -torch.sin(phi))
        r = self.feedback.double() * g * e
        h = self.wet.double() * g * e * (1 - r ** k_echoes) / (1 - r)
        return torch.fft.irfft(h, n=n).to(self.delay.dtype)

    def forward(self, x: torch.Tensor, state: Any = None, start: torch.Tensor | None = None):
        xx = history(state, x, self.n - 1)
        wet = fft_convolve(xx, self.wet_ir().to(x.dtype))[..., self.n - 1:]
        return self.dry.to(x.dtype) * x + wet, tail(xx, self.n - 1)

    @property
    def memory_samples(self) -> int:
        return self.n

    # ------------------------------------------------------------------ analysis

    def _echo_gains(self, x: np.ndarray, y: np.ndarray, d: float, k: int = 3,
                    weight: np.ndarray | None = None) -> np.ndarray:
        """(Weighted) LS coefficients of y on [x, x(t−d), …, x(t−k·d)]."""
        n = fast_len(len(x) + int(k * d) + 64)
        a = np.stack([x] + [_fractional_shift(x, j * d, n) for j in range(1, k + 1)], axis=1)
        if weight is not None:
            a, y = a * weight[:, None], y * weight
        coef, *_ = np.linalg.lstsq(a, y, rcond=None)
        return coef

    @staticmethod
    def _wet_path(fx: dict[str, Any], d: float, fb: float, a: float) -> np.ndarray:
        """x through the infinite echo path with unit wet gain (fx: see `_residual`)."""
        phase = np.mod(fx["w"] * d, 2 * np.pi).astype(np.float32)  # reduced in float64, then fast
        e = np.empty(len(phase), dtype=np.complex128)
        e.real = np.cos(phase)
        e.imag = -np.sin(phase)
        ge = e * ((1 - a) / (1 - a * fx["z1"]))
        return sfft.irfft(fx["xs"] * ge / (1 - fb * ge), fx["n"])[:len(fx["x"])]

    def _residual(self, fx: dict[str, Any], d: float, fb: float, a: float,
                  keep: np.ndarray | None = None) -> tuple[float, float, float, np.ndarray]:
        """(residual energy, dry, wet, residual) for the best dry/wet at a delay, feedback, damping.

        fx = {"x", "y", "xs" = rfft(x, n), "n", "w" = bin frequencies, "z1" = e^{-jw}}, computed once.
        """
        x, y = fx["x"], fx["y"]
        z = self._wet_path(fx, d, fb, a)
        if keep is not None:  # keep: a 0/1 weight per sample; fx caches the weighted x and y
            if fx.get("keep") is not keep:
                fx.update(keep=keep, xk=x * keep, yk=y * keep)
            xk, yk, zk = fx["xk"], fx["yk"], z * keep
        else:
            xk, yk, zk = x, y, z
        g = np.array([[xk @ xk, xk @ zk], [xk @ zk, zk @ zk]])
        r = np.array([xk @ yk, zk @ yk])
        dry, wet = np.linalg.solve(g + 1e-12 * np.trace(g) * np.eye(2), r)
        err = float(yk @ yk - 2 * (dry * r[0] + wet * r[1]) + dry * dry * g[0, 0] + 2 * dry * wet * g[0, 1]
                    + wet * wet * g[1, 1])
        return err, float(dry), float(wet), (y - dry * x - wet * z)

    def estimate(self, clean: np.ndarray, target: np.ndarray) -> dict[str, float]:
        """Delay, feedback, damping, dry and wet measured from a pair (see the module docstring).

        The training audio is several tracks joined end to end; at each join the target has no
        echoes of the previous track while the model would. After a first fit, blocks whose
        residual is an outlier (> 10× the median residual-to-signal ratio) are left out of the
        final least-squares fits.
        """
        n = min(len(clean), int(self.fit_seconds * self.sample_rate))
        x = np.asarray(clean[:n], dtype=np.float64)
        y = np.asarray(target[:n], dtype=np.float64)
        lo, hi = int(math.ceil(self.min_delay)), int(math.floor(self.max_delay))
        h = wiener_ir(x, y, hi + 2)
        k = lo + int(np.argmax(np.abs(h[lo:hi + 1])))
        d = float(k)
        if lo < k < hi:
            a0, b0, c0 = h[k - 1], h[k], h[k + 1]
            den = a0 - 2 * b0 + c0
            if abs(den) > 1e-12:
                d += float(np.clip(0.5 * (a0 - c0) / den, -0.5, 0.5))
        coef = self._echo_gains(x, y, d)
        fb = float(np.clip(coef[2] / coef[1], -0.95, 0.95)) if abs(coef[1]) > 1e-9 else 0.0
        nfft = fast_len(len(x) + 1)
        w = np.arange(nfft // 2 + 1) * (2 * np.pi / nfft)
        fx = {"x": x, "y": y, "xs": sfft.rfft(x, nfft), "n": nfft, "w": w, "z1": np.exp(-1j * w)}
        keep, a = None, 0.0
        for final in (False, True):
            best = (self._residual(fx, d, fb, 0.0, keep)[0], 0.0)
            if self.damping:
                for trial in (0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.75, 0.9):
                    res = self._residual(fx, d, fb, trial, keep)[0]
                    if res < best[0]:
                        best = (res, trial)
            a = best[1]
            fit = minimize_scalar(lambda f: self._residual(fx, d, f, a, keep)[0], bounds=(fb - 0.1, fb + 0.1),
                                  method="bounded", options={"xatol": 1e-4})
            fb = float(np.clip(fit.x, -0.95, 0.95))
            if final and self.damping:  # delay and damping trade off (the low-pass adds group delay)
                start = np.array([d, fb, a])
                simplex = np.array([start, start + [0.5, 0, 0], start + [0, 0.05, 0], start + [0, 0, 0.1]])
                fit = minimize(lambda v: self._residual(fx, v[0], v[1], float(np.clip(v[2], 0, 0.95)), keep)[0],
                               start, method="Nelder-Mead",
                               options={"initial_simplex": simplex, "xatol": 1e-4, "fatol": 1e-14, "maxfev": 120})
                d, fb, a = float(fit.x[0]), float(np.clip(fit.x[1], -0.95, 0.95)), float(np.clip(fit.x[2], 0, 0.95))
            elif final:
                fit = minimize_scalar(lambda dd: self._residual(fx, dd, fb, a, keep)[0],
                                      bounds=(d - 0.75, d + 0.75), method="bounded", options={"xatol": 1e-3})
                d = float(fit.x)
            _, dry, wet, res = self._residual(fx, d, fb, a, keep)
            if not final:
                keep = outlier_mask(res, y, max(int(d), 256))
        return {"delay": d, "feedback": fb, "damping": a, "dry": dry, "wet": wet}

    @torch.no_grad()
    def initialise(self, clean: np.ndarray, target: np.ndarray) -> None:
        p = self.estimate(clean, target)
        self.delay.fill_(p["delay"])
        self.fb_raw.fill_(math.atanh(float(np.clip(p["feedback"] / 0.999, -0.999, 0.999))))
        a = p["damping"] / 0.99
        self.damp_raw.fill_(max(-8.0, math.log(a / (1 - a))) if a > 0 else -8.0)
        self.dry.fill_(p["dry"])
        self.wet.fill_(p["wet"])

    def diagnostics(self, clean: np.ndarray, target: np.ndarray) -> list[dict[str, Any]]:
        """Echo gains: learned (dry, wet·fb^{k−1}) vs least-squares gains of the target on the clean
        signal delayed by k·D (blocks where the learned model misses badly — joins between tracks
        of a concatenated split — left out)."""
        d = float(self.delay_samples().detach())
        k = max(1, min(6, int((len(clean) // 2) // max(d, 1.0))))
        x = np.asarray(clean, dtype=np.float64)
        y = np.asarray(target, dtype=np.float64)
        with torch.no_grad():
            res = y - self.render(np.asarray(clean, np.float32)).astype(np.float64)
        measured = self._echo_gains(x, y, d, k, outlier_mask(res, y, max(int(d), 256)))
        wet, fb = float(self.wet.detach()), float(self.feedback.detach())
        learned = np.concatenate([[float(self.dry.detach())], wet * fb ** np.arange(k)])
        return [{"title": f"Echo gains at multiples of the learned delay ({1e3 * d / self.sample_rate:.2f} ms)",
                 "xlabel": "echo (0 = dry)", "ylabel": "gain", "x": np.arange(k + 1),
                 "learned": learned, "measured": measured}]
