"""`ir`: a linear time-invariant effect as one long learned impulse response (reverb, EQ, delay).

    y[t] = Σ_{k=0}^{L−1} h[k]·x[t−k],        L = round(seconds·sample_rate)

applied by FFT convolution (causal). `initialise` solves the least-squares problem
argmin_h ‖y − h∗x‖² + λ‖h‖² in closed form on the training data (preconditioned conjugate
gradients on the Toeplitz normal equations, see `greybox_dsp.ls_fir`), so training starts at the
optimum of the plain ESR and gradient descent only refines it (e.g. towards the pre-emphasised
loss). Freeverb (pedalboard.Reverb) is LTI with a tail of ≈1 s to −60 dB, so a 1.5 s IR
reproduces it to the limit of the fit.

Parametrisation: h = tap_scale·taps. Adam moves every parameter by about `lr` per step; a reverb
tail has taps of 1e-3 and below, so unscaled taps would be swamped by the first steps. With
tap_scale = 1e-3 a step of lr = 1e-3 moves a tap by 1e-6.

Receptive field: reported as 1, deliberately. The true memory is L samples (`memory_samples`),
often longer than a training window; the trainer's warm-up is max(warmup_samples,
receptive_field − 1) and must be shorter than `segment_samples`, so reporting L would forbid
ordinary windows. Instead, configure the training so the window sees the tail's history:
`train.warmup_samples` ≈ the IR's audible length (e.g. 0.5–1 s) and `segment_samples` a few times
that. Validation renders with ≥ 1 s of pre-roll, which covers a Freeverb tail to −60 dB.

`trim: true` (the `auto` family) lets the data choose a shorter response: a 2 s least-squares
fit of a 400 Hz high-pass (pedalboard, 84 s of training audio) predicts the validation split to
ESR 5e-6, its 256-tap fit to 2e-9 — every tap past the true response adds estimation noise. So
`initialise` fits the full length on the first 80 % of the audio, scores its truncations to
L = 64, 128, … samples on the last 20 %, and refits on all of it at the shortest L within
TRIM_TOLERANCE of the best; taps past L stay zero (no gradient reaches them) and are left out of
the convolution and of the exported plugin.

Streaming: the state is the last L−1 input samples; chunked `render` equals one whole-signal
convolution.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.signal as sfft
import torch
from torch import nn

from .base import EffectModel, register_model
from .greybox_dsp import (envelope_db, fft_convolve, history, ls_fir, magnitude_response_db, outlier_mask,
                          tail)

TRIM_TOLERANCE, TRIM_SHORTEST, TRIM_HELD_OUT = 1.2, 64, 0.2


def _convolved_from(x: np.ndarray, h: np.ndarray, start: int) -> np.ndarray:
    """(h∗x)[start:len(x)], from the input samples it depends on only (x[start − len(h) + 1:])."""
    first = max(0, start - len(h) + 1)
    return sfft.fftconvolve(x[first:], h)[start - first:len(x) - first]


@register_model("ir")
class ImpulseResponse(EffectModel):
    """Learned FIR of `seconds` length, LS-initialised; see the module docstring.

    params: seconds (IR length, s), ridge (λ relative to Σx²), cg_iters (LS solver iterations),
    fit_seconds (at most this much training audio is used by `initialise`), tap_scale, trim (let
    `initialise` shorten the response, see the module docstring).
    """

    def __init__(self, sample_rate: int, seconds: float = 1.5, ridge: float = 1e-6, cg_iters: int = 60,
                 fit_seconds: float = 60.0, tap_scale: float = 1e-3, trim: bool = False):
        super().__init__(sample_rate)
        self.length = max(1, int(round(seconds * self.sample_rate)))
        self.ridge, self.cg_iters, self.fit_seconds = float(ridge), int(cg_iters), float(fit_seconds)
        self.tap_scale = float(tap_scale)
        taps = torch.zeros(self.length)
        taps[0] = 1.0 / self.tap_scale  # identity until initialised
        self.taps = nn.Parameter(taps)
        self.trim = bool(trim)
        self.register_buffer("used", torch.tensor(self.length))  # taps in use (the rest are zero)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # model files written before `used` existed load as they behaved then
        state_dict.setdefault(prefix + "used", torch.tensor(self.length))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    @property
    def h(self) -> torch.Tensor:
        """The impulse response's taps in use (≤ L)."""
        return self.taps[:int(self.used)] * self.tap_scale

    @property
    def memory_samples(self) -> int:
        """How far back the output depends on the input (the IR length)."""
        return self.length

    def forward(self, x: torch.Tensor, state: Any = None, start: torch.Tensor | None = None):
        xx = history(state, x, self.length - 1)
        y = fft_convolve(xx, self.h)[..., self.length - 1:]
        return y, tail(xx, self.length - 1)

    @torch.no_grad()
    def set_ir(self, h: np.ndarray) -> None:
        """Load an impulse response (truncated or zero-padded to L)."""
        h = np.asarray(h, dtype=np.float64)[:self.length]
        taps = np.zeros(self.length)
        taps[:len(h)] = h / self.tap_scale
        self.taps.copy_(torch.from_numpy(taps).to(self.taps))

    def fit(self, clean: np.ndarray, target: np.ndarray, iters: int | None = None,
            weight: np.ndarray | None = None, length: int | None = None) -> np.ndarray:
        """The LS impulse response (`length` taps, default L) for a pair (at most `fit_seconds` of it)."""
        n = min(len(clean), int(self.fit_seconds * self.sample_rate))
        return ls_fir(clean[:n], target[:n], length or self.length, ridge=self.ridge,
                      iters=self.cg_iters if iters is None else iters,
                      weight=None if weight is None else weight[:n])

    def trimmed_length(self, clean: np.ndarray, target: np.ndarray) -> int:
        """The shortest L = 64·2^j (or the full length) whose truncated fit predicts held-out audio within tolerance."""
        n = min(len(clean), int(self.fit_seconds * self.sample_rate))
        cut = int(n * (1 - TRIM_HELD_OUT))
        if n - cut < self.sample_rate // 10:
            return self.length
        h = self.fit(clean[:cut], target[:cut])
        x, y = np.asarray(clean[:n], np.float64), np.asarray(target[cut:n], np.float64)
        lengths = [L for L in (TRIM_SHORTEST * 2 ** j for j in range(24)) if L < self.length] + [self.length]
        errors = [float(np.sum((_convolved_from(x, h[:L], cut) - y) ** 2)) for L in lengths]
        best = min(errors)
        return next(L for L, e in zip(lengths, errors) if e <= TRIM_TOLERANCE * best)

    @torch.no_grad()
    def initialise(self, clean: np.ndarray, target: np.ndarray) -> None:
        self.used.fill_(self.trimmed_length(clean, target) if self.trim else self.length)
        self.set_ir(self.fit(clean, target, length=int(self.used)))

    def diagnostics(self, clean: np.ndarray, target: np.ndarray) -> list[dict[str, Any]]:
        """Energy decay and magnitude response: learned IR vs the LS IR measured from this pair
        (blocks where the learned model misses badly — joins between the tracks of a concatenated
        split, whose tails belong to audio not in `clean` — left out of the measurement)."""
        learned = np.zeros(self.length)
        learned[:int(self.used)] = self.h.detach().cpu().double().numpy()
        y = np.asarray(target, dtype=np.float64)
        res = y - self.render(np.asarray(clean, np.float32)).astype(np.float64)
        measured = self.fit(clean, target, weight=outlier_mask(res, y, max(self.sample_rate // 10, 64)))
        t = np.arange(self.length) / self.sample_rate
        f, lm = magnitude_response_db(learned, self.sample_rate)
        _, mm = magnitude_response_db(measured, self.sample_rate)
        return [
            {"title": "Impulse response envelope (10 ms RMS); the measured curve's floor is its noise",
             "xlabel": "time (s)", "ylabel": "level (dB re peak)", "x": t,
             "learned": envelope_db(learned, self.sample_rate), "measured": envelope_db(measured, self.sample_rate)},
            {"title": "Magnitude response (1/6-octave smoothed)", "xlabel": "frequency (Hz)",
             "ylabel": "gain (dB)", "x": f, "learned": lm, "measured": mm},
        ]
