"""`wiener_hammerstein`: a parallel Wiener–Hammerstein network with an optional dynamic gain.

    u_c = a_c ⋆ x                          C input FIRs (taps_in), the "Wiener" filters
    v   = MLP(u)                           a pointwise nonlinearity C → hidden → hidden → C
    y₀  = Σ_c b_c ⋆ v_c  +  l ⋆ x          C output FIRs (taps_out, "Hammerstein") + a linear path
    y   = y₀ · 10^(g/20),  g = MLP_g(log e)  (dynamics on) — e: peak envelopes of x (below)

Most distortion pedals, clippers and amp + cab chains are exactly this shape: a filter, a
static nonlinearity, a filter. A WaveNet has to learn that structure from scratch and pays for
it at every sample; this model has it built in, so it trains in seconds and renders at hundreds
of times real time on one CPU thread (the nonlinearity touches only C·hidden values per sample;
every long filter is an FFT convolution).

The linear path l is initialised by the least-squares FIR fit (`greybox_dsp.ls_fir`), and the
last MLP layers start at zero, so training starts from the best linear model (validated at step
0) and gradient descent adds what is nonlinear.

Dynamics (compressors, limiters): e_k[t] = |x[t]| + c_k[t]·(e_k[t−1] − |x[t]|), with
c_k = attack coefficient while |x| rises above e_k and release coefficient otherwise — the peak
ballistics filter of a feed-forward compressor — for a fixed grid of (attack, release) times.
The envelopes are features of the input only (no gradient flows through them); the gain
computer MLP_g learns threshold, ratio, knee and which time constants match. The envelopes
need a warm-up of a few release times: set `train.warmup_samples` accordingly.

Streaming state: the last `context` input samples and the envelopes' last values.
"""

from __future__ import annotations

from typing import Any, Sequence

import numba
import numpy as np
import torch
from torch import nn

from ..errors import FxcoreError
from .activations import FastTanh
from .base import EffectModel, register_model, with_context
from .greybox_dsp import fast_len, ls_fir


@numba.njit(cache=True)
def _peak_envelopes(x: np.ndarray, attack: np.ndarray, release: np.ndarray, e0: np.ndarray) -> np.ndarray:
    """Peak ballistics of |x| (B, T) for K coefficient pairs, from envelope state e0 (B, K) → (B, T, K)."""
    b_n, t_n = x.shape
    k_n = attack.shape[0]
    out = np.empty((b_n, t_n, k_n), dtype=np.float32)
    for b in range(b_n):
        for k in range(k_n):
            e = e0[b, k]
            a, r = attack[k], release[k]
            for t in range(t_n):
                v = abs(x[b, t])
                c = a if v > e else r
                e = v + c * (e - v)
                out[b, t, k] = e
    return out


def _one_pole(ms: float, sample_rate: int) -> float:
    """exp(−1/(τ·fs)): the coefficient of a one-pole smoother with time constant τ = ms."""
    return float(np.exp(-1.0 / (max(ms, 1e-6) * 1e-3 * sample_rate)))


def _fft_fir(x: torch.Tensor, h: torch.Tensor, out_len: int) -> torch.Tensor:
    """Valid part of Σ_c h_c ⋆ x_c: x (B, C, N), h (C, L) → the last out_len samples (B, out_len)."""
    n = fast_len(x.shape[-1] + h.shape[-1] - 1)
    spec = (torch.fft.rfft(x, n=n) * torch.fft.rfft(h, n=n)).sum(dim=1)
    return torch.fft.irfft(spec, n=n)[:, x.shape[-1] - out_len:x.shape[-1]]


def _mlp(n_in: int, hidden: int, n_out: int) -> nn.Sequential:
    mlp = nn.Sequential(nn.Linear(n_in, hidden), FastTanh(), nn.Linear(hidden, hidden), FastTanh(),
                        nn.Linear(hidden, n_out))
    nn.init.zeros_(mlp[-1].weight)
    nn.init.zeros_(mlp[-1].bias)
    return mlp


@register_model("wiener_hammerstein")
class WienerHammerstein(EffectModel):
    """Parallel Wiener–Hammerstein network (+ linear path, + optional dynamic gain); see module doc.

    params: branches (C), hidden (MLP width), taps_in, taps_out, linear_taps, tap_scale (FIR taps
    are tap_scale·parameters, so Adam's ≈ lr-sized steps suit small taps), dynamics (bool),
    attack_ms / release_ms (the envelope grid: every attack with every release), fit_seconds
    (training audio used by the least-squares initialisation).
    """

    render_chunk = 1 << 14  # activations of a 16k-sample chunk stay in cache: faster than longer chunks

    def __init__(self, sample_rate: int, branches: int = 8, hidden: int = 16, taps_in: int = 16,
                 taps_out: int = 128, linear_taps: int = 256, tap_scale: float = 0.05, dynamics: bool = False,
                 attack_ms: Sequence[float] = (0.1, 1.0, 5.0), release_ms: Sequence[float] = (10.0, 50.0, 200.0),
                 fit_seconds: float = 60.0):
        super().__init__(sample_rate)
        if min(branches, hidden, taps_in, taps_out, linear_taps) < 1 or tap_scale <= 0:
            raise FxcoreError("wiener_hammerstein needs branches, hidden, taps_in, taps_out, linear_taps ≥ 1 and "
                              f"tap_scale > 0; got {branches}, {hidden}, {taps_in}, {taps_out}, {linear_taps}, "
                              f"{tap_scale}", None, "fix model.params")
        self.taps_in, self.taps_out, self.tap_scale = int(taps_in), int(taps_out), float(tap_scale)
        self.fit_seconds = float(fit_seconds)
        # Input FIRs start as scaled identities (newest tap) with a spread of gains, so the
        # branches see the signal at different drive levels from the first step.
        a = torch.zeros(branches, self.taps_in)
        a[:, -1] = torch.logspace(-1.0, 1.5, branches) / self.tap_scale
        self.a = nn.Parameter(a)
        self.mlp = _mlp(branches, hidden, branches)
        b = torch.zeros(branches, self.taps_out)
        b[:, 0] = 1.0 / (branches * self.tap_scale)
        self.b = nn.Parameter(b)
        self.lin = nn.Parameter(torch.zeros(int(linear_taps)))
        self.lin_scale = 1e-2
        self.dynamics = bool(dynamics)
        if self.dynamics:
            pairs = [(at, rl) for at in attack_ms for rl in release_ms]
            self.register_buffer("attack", torch.tensor([_one_pole(p[0], sample_rate) for p in pairs]))
            self.register_buffer("release", torch.tensor([_one_pole(p[1], sample_rate) for p in pairs]))
            self.gain = _mlp(len(pairs), hidden, 1)
        self._context = max(self.taps_in + self.taps_out - 2, int(linear_taps) - 1)

    @property
    def receptive_field(self) -> int:
        """1 + the longest FIR path (the envelopes' memory is not counted: see warm-up in the doc)."""
        return self._context + 1

    def forward(self, x: torch.Tensor, state: Any = None, start: torch.Tensor | None = None):
        """x (B, T) → y (B, T); state = (last `context` inputs, envelope values (B, K) or None)."""
        t = x.shape[1]
        past, env = (None, None) if state is None else state
        xx, past = with_context(x, past, self._context)
        n_out = t + self.taps_out - 1
        u = nn.functional.conv1d(xx[:, None, -(n_out + self.taps_in - 1):], (self.a * self.tap_scale)[:, None, :])
        v = self.mlp(u.transpose(1, 2)).transpose(1, 2) + u  # the MLP learns the deviation from linear
        # One FFT convolution for the C output FIRs and the linear path together.
        length = max(self.taps_out, self.lin.shape[0])
        v = nn.functional.pad(v, (length - self.taps_out, 0))
        h = torch.cat([nn.functional.pad(self.b * self.tap_scale, (0, length - self.taps_out)),
                       nn.functional.pad(self.lin * self.lin_scale, (0, length - self.lin.shape[0]))[None]])
        y = _fft_fir(torch.cat([v, xx[:, None, -(t + length - 1):]], dim=1), h, t)
        new_env = None
        if self.dynamics:
            e0 = (torch.zeros(x.shape[0], self.attack.shape[0]) if env is None else env.cpu()).double().numpy()
            feats = _peak_envelopes(x.detach().cpu().double().numpy(), self.attack.double().cpu().numpy(),
                                    self.release.double().cpu().numpy(), e0)
            f = torch.from_numpy(feats).to(x.device)
            new_env = f[:, -1, :].clone()
            g_db = self.gain(torch.log10(f + 1e-5))[:, :, 0] * 20.0
            y = y * torch.pow(10.0, g_db / 20.0)
        return y, (past, new_env)

    def initialise(self, clean: np.ndarray, target: np.ndarray) -> None:
        """Least-squares fit of the linear path l (the nonlinear branches start silent)."""
        n = min(len(clean), int(self.fit_seconds * self.sample_rate))
        with torch.no_grad():
            # The branches start as Σ_c b_c·a_c = mean input gain × identity: remove it from the LS target.
            ident = float((self.a[:, -1] * self.b[:, 0]).sum() * self.tap_scale ** 2)
            h = ls_fir(clean[:n], np.asarray(target[:n], dtype=np.float64) - ident * clean[:n], self.lin.shape[0])
            self.lin.copy_(torch.from_numpy(h / self.lin_scale).to(self.lin.dtype))
