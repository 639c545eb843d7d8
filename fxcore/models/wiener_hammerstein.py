"""`wiener_hammerstein`: a parallel Wiener–Hammerstein network with an optional dynamic gain.

    u_c = a_c ⋆ x                          C input FIRs (taps_in), the "Wiener" filters
    v   = MLP(u)                           a pointwise nonlinearity C → hidden → hidden → C
    y₀  = Σ_c b_c ⋆ v_c  +  l ⋆ x          C output FIRs (taps_out, "Hammerstein") + a linear path
    y   = y₀ · 10^(g/20),  g = MLP_g(log e)  (dynamics on) — e: peak envelopes of x (below)
    y  ← HPₒ(y)                           (highpass_out: N) N learned first-order output high-passes

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

Input high-pass (`highpass: N`, off by default): x first goes through N first-order high-passes
(bilinear transform, prewarped: H_k(z) = g_k(1 − z⁻¹)/(1 − p_k z⁻¹), p_k = (1 − K_k)/(1 + K_k),
g_k = 1/(1 + K_k), K_k = tan(π f_k/fs)), each break frequency f_k ≥ HP_MIN_HZ learned. Why: the
FIRs cannot represent a response below the lowest frequency they were trained on (a 512-tap FIR
resolves 94 Hz, and no data moves it there), so they pass unheard sub-bass at their mid-band
gain. An amp's coupling capacitors and cabinet cut it: on the bench's guitarix amp a bass line
(41 Hz, lower than any training note) came out at +10 dB where the amp gives −28 dB. With
`highpass_hz: null` the sections start from the data: from half the lowest frequency where the
training input's third-octave spectrum is within 40 dB of its peak (`coverage_edge_hz`), spread
over half an octave above. The prior this states: what the training audio never excited is cut,
as guitar electronics do below their band. Rendering in chunks applies the cascade's impulse
response truncated to HP_TAPS samples (the tail beyond is < 1e-8 of the peak at HP_MIN_HZ with
four sections); a window that starts from silence (training, a render's first chunk) multiplies
its spectrum by the recursion's response on an FFT grid HP_TAPS longer than the window, which
differs from that only by the same tail; exported plugins run the recursion.

Output high-pass (`highpass_out: N`, off by default): the same cascade, with its own break
frequencies (started at `highpass_out_hz`; null: from the data, as the input's), on the output
after the nonlinearity. Why: an amp cuts the
bass after its tubes too (output transformer, the next stage's coupling), where the harmonics the
nonlinearity made of a low note pass and its fundamental does not. Measured on the guitarix amp
(dev settings, `gx_amp#GUITARIX` PreGain 6, model 3; `python -m bench.tones --row dev_gx_amp`): a
30 Hz tone comes out 52 dB below a 110 Hz one at −40 dBFS, but at −6 dBFS only 0.4 % of its output
is its fundamental (the rest its harmonics); at 110 Hz the output is 99 % fundamental at every level. An input high-pass cannot give
that (it cuts the fundamental before the harmonics are made), a 512-tap output FIR cannot cut
below the 94 Hz it resolves.
On the dev pairs (bench/results/dev.csv, 120 s each) four output sections started from the data
take that amp from 0.051 to 0.032 and cost the pedals that pass bass (guitarix DS-1 0.0032 → 0.047,
SoX overdrive 0.016 → 0.11): a prior for amps: `auto`'s `wiener_hammerstein_amp` family, which the
validation split decides for or against when it is named a candidate (fxcore.families).

Streaming state: the last `context` input samples, the envelopes' last values and, with an output
high-pass, its input's last HP_TAPS − 1 samples.
"""

from __future__ import annotations

from typing import Any, Sequence

import numba
import numpy as np
import torch
from scipy import signal
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


def fir_bank(x: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """u_c[t] = Σ_k a_c[k]·x[t + k] (conv1d's valid correlation) by FFT: x (B, M), a (C, L) → (B, C, M − L + 1).

    One rfft of x, C spectra, C inverse FFTs: 8 × 64 taps on 8 × 4 671 samples (the family's net, whose
    input high-passes need x's gradient too) took 8.4 ms in conv1d's forward and backward on the
    2-core CPU, 3.3 ms this way.
    """
    m, taps = x.shape[-1], a.shape[-1]
    n = fast_len(m)  # circular wrap lands only on the first taps − 1 outputs, which are dropped
    spec = torch.fft.rfft(x, n=n)[:, None] * torch.fft.rfft(a.flip(-1), n=n)[None]
    return torch.fft.irfft(spec, n=n)[..., taps - 1:m]


HP_MIN_HZ = 20.0
HP_TAPS = 8192


HP_SPREAD = 0.15  # the sections start spread over 10^0.15 (half an octave) so their gradients differ


def highpass_start(hz: float, sections: int) -> torch.Tensor:
    """log_hz of `sections` break frequencies from `hz` up over HP_SPREAD decades."""
    return torch.log(hz / HP_MIN_HZ * torch.logspace(0.0, HP_SPREAD, sections))


def highpass_coefficients(log_hz: torch.Tensor, sample_rate: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(g_k, p_k) of the bilinear sections g(1 − z⁻¹)/(1 − p z⁻¹) at f_k = HP_MIN_HZ·exp(max(log_hz_k, 0))."""
    k = torch.tan(torch.pi * HP_MIN_HZ * torch.exp(log_hz.clamp(min=0.0)) / sample_rate)
    return 1 / (1 + k), (1 - k) / (1 + k)


def highpass_response(log_hz: torch.Tensor, sample_rate: int, n: int) -> torch.Tensor:
    """H(e^{jω}) = Π_k g_k(1 − e^{−jω})/(1 − p_k e^{−jω}) at the n//2 + 1 bins ω = 2πi/n of an n-point rfft."""
    g, p = highpass_coefficients(log_hz, sample_rate)
    z1 = torch.exp(-2j * torch.pi * torch.arange(n // 2 + 1, dtype=torch.float64) / n)
    return torch.prod(g.double()[:, None] * (1 - z1) / (1 - p.double()[:, None] * z1), dim=0)


def highpass_ir(log_hz: torch.Tensor, sample_rate: int, taps: int = HP_TAPS) -> torch.Tensor:
    """Impulse response (taps,) of the first-order high-pass cascade at f_k = HP_MIN_HZ·exp(log_hz_k)."""
    return torch.fft.irfft(highpass_response(log_hz, sample_rate, 2 * taps), n=2 * taps)[:taps].to(log_hz.dtype)


def highpass_cascade(log_hz: torch.Tensor, x: torch.Tensor, sample_rate: int, cold: bool) -> torch.Tensor:
    """x (B, N) through the cascade at log_hz: its last N − (HP_TAPS − 1) samples, or all N when `cold`.

    Cold, x starts after silence, and the recursion's own response multiplies x's spectrum on an FFT
    of N + HP_TAPS points: the circular wrap brings back only the response past HP_TAPS (the part the
    streaming FIR truncates), and no impulse response is built (the family's training step: 7.4 ms
    → 4.7 ms, fore and back, on 8 × 4 671 samples with 4 sections on the 2-core CPU).
    """
    if cold:
        n = fast_len(x.shape[1] + HP_TAPS)
        spec = torch.fft.rfft(x, n=n) * highpass_response(log_hz, sample_rate, n).to(torch.complex64)
        return torch.fft.irfft(spec, n=n)[:, :x.shape[1]]
    return _fft_fir(x[:, None], highpass_ir(log_hz, sample_rate)[None], x.shape[1] - (HP_TAPS - 1))


def coverage_edge_hz(x: np.ndarray, sample_rate: int, below_peak_db: float = 40.0) -> float:
    """Lowest frequency where x's third-octave-smoothed spectrum is within below_peak_db of its peak."""
    f, p = signal.welch(x, sample_rate, nperseg=min(len(x), 16384))
    db = 10 * np.log10(p + 1e-30)
    smooth = np.array([db[(f >= fc * 2 ** (-1 / 6)) & (f <= fc * 2 ** (1 / 6))].max() for fc in f[1:]])
    return float(f[1:][np.argmax(smooth >= db.max() - below_peak_db)])


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
    (training audio used by the least-squares initialisation), highpass (N first-order input
    high-passes, 0 = none), highpass_hz (their initial break frequency, ≥ HP_MIN_HZ; null: from the
    training audio's lowest excited frequency, see the module doc), highpass_out (N first-order output
    high-passes), highpass_out_hz (their start, as highpass_hz).
    """

    render_chunk = 1 << 14  # activations of a 16k-sample chunk stay in cache: faster than longer chunks

    def __init__(self, sample_rate: int, branches: int = 8, hidden: int = 16, taps_in: int = 16,
                 taps_out: int = 128, linear_taps: int = 256, tap_scale: float = 0.05, dynamics: bool = False,
                 attack_ms: Sequence[float] = (0.1, 1.0, 5.0), release_ms: Sequence[float] = (10.0, 50.0, 200.0),
                 fit_seconds: float = 60.0, highpass: int = 0, highpass_hz: float | None = HP_MIN_HZ,
                 highpass_out: int = 0, highpass_out_hz: float | None = HP_MIN_HZ):
        super().__init__(sample_rate)
        if min(branches, hidden, taps_in, taps_out, linear_taps) < 1 or tap_scale <= 0:
            raise FxcoreError("wiener_hammerstein needs branches, hidden, taps_in, taps_out, linear_taps ≥ 1 and "
                              f"tap_scale > 0; got {branches}, {hidden}, {taps_in}, {taps_out}, {linear_taps}, "
                              f"{tap_scale}", None, "fix model.params")
        self.highpass_from_data = highpass_hz is None
        self.highpass_out_from_data = highpass_out_hz is None
        highpass_hz = HP_MIN_HZ if highpass_hz is None else highpass_hz
        highpass_out_hz = HP_MIN_HZ if highpass_out_hz is None else highpass_out_hz
        if min(highpass, highpass_out) < 0 or not HP_MIN_HZ <= min(highpass_hz, highpass_out_hz) \
                or max(highpass_hz, highpass_out_hz) >= sample_rate / 2:
            raise FxcoreError(f"wiener_hammerstein needs highpass, highpass_out ≥ 0 and {HP_MIN_HZ:g} Hz ≤ highpass_hz, "
                              f"highpass_out_hz < {sample_rate / 2:g} Hz; got {highpass}, {highpass_out}, {highpass_hz}, "
                              f"{highpass_out_hz}", None, "fix model.params")
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
        self.hp_log_hz = nn.Parameter(highpass_start(highpass_hz, int(highpass))) if highpass else None
        self.hp_out_log_hz = nn.Parameter(highpass_start(highpass_out_hz, int(highpass_out))) if highpass_out else None
        self._context = max(self.taps_in + self.taps_out - 2, int(linear_taps) - 1)
        self._hp_context = HP_TAPS - 1 if highpass else 0

    @property
    def receptive_field(self) -> int:
        """1 + the longest FIR path; the envelopes' and the high-pass's memory are not counted (as `ir`'s).

        Counting the high-pass's HP_TAPS would forbid the family's 4 096-sample windows; its tail past
        the FIRs' context is a low-passed echo of the window's start at ≤ p^context of its level.
        """
        return self._context + 1

    @property
    def memory_samples(self) -> int:
        """The input history an output sample depends on: FIRs plus the high-passes' truncated responses."""
        return self._context + self._hp_context + (HP_TAPS - 1 if self.hp_out_log_hz is not None else 0) + 1

    def highpassed(self, x: torch.Tensor, cold: bool = False) -> torch.Tensor:
        """x (B, N) through the input high-pass (highpass_cascade), or x itself without one."""
        return highpass_cascade(self.hp_log_hz, x, self.sample_rate, cold) if self._hp_context else x

    def highpassed_out(self, y: torch.Tensor, past: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """y (B, T) through the output high-pass after its last HP_TAPS − 1 inputs (None: silence); → (y, next past)."""
        if self.hp_out_log_hz is None:
            return y, None
        yy, next_past = with_context(y, past, HP_TAPS - 1)
        if past is None:  # from silence: the leading zeros are skipped, not convolved
            return highpass_cascade(self.hp_out_log_hz, y, self.sample_rate, cold=True), next_past
        return highpass_cascade(self.hp_out_log_hz, yy, self.sample_rate, cold=False), next_past

    def forward(self, x: torch.Tensor, state: Any = None, start: torch.Tensor | None = None):
        """x (B, T) → y (B, T); state = (last `context` inputs, envelope values (B, K) or None, the output
        high-pass's last inputs or None)."""
        t = x.shape[1]
        past, env, y_past = (None, None, None) if state is None else state
        cold = past is None
        xx, past = with_context(x, past, self._context + self._hp_context)
        # From silence (training windows) the high-pass's leading zeros are skipped, not convolved.
        xx = self.highpassed(xx[:, self._hp_context:] if cold else xx, cold)
        n_out = t + self.taps_out - 1
        u = fir_bank(xx[:, -(n_out + self.taps_in - 1):], self.a * self.tap_scale)
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
        y, y_past = self.highpassed_out(y, y_past)
        return y, (past, new_env, y_past)

    def initialise(self, clean: np.ndarray, target: np.ndarray) -> None:
        """Least-squares fit of the linear path l (the nonlinear branches start silent)."""
        n = min(len(clean), int(self.fit_seconds * self.sample_rate))
        with torch.no_grad():
            cascades = [c for c, data in ((self.hp_log_hz, self.highpass_from_data),
                                          (self.hp_out_log_hz, self.highpass_out_from_data)) if c is not None and data]
            if cascades:
                edge = coverage_edge_hz(clean[:n], self.sample_rate)
                for log_hz in cascades:
                    log_hz.copy_(highpass_start(max(HP_MIN_HZ, edge / 2), log_hz.shape[0]))
            if self._hp_context:  # the linear path sees the high-passed input
                clean = self.highpassed(torch.from_numpy(np.asarray(clean[:n], np.float32))[None], cold=True)[0].numpy()
            # The branches start as Σ_c b_c·a_c = mean input gain × identity: remove it from the LS target.
            ident = float((self.a[:, -1] * self.b[:, 0]).sum() * self.tap_scale ** 2)
            h = ls_fir(clean[:n], np.asarray(target[:n], dtype=np.float64) - ident * clean[:n], self.lin.shape[0])
            self.lin.copy_(torch.from_numpy(h / self.lin_scale).to(self.lin.dtype))
