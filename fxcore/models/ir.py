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

Streaming: the state is the last L−1 input samples; chunked `render` equals one whole-signal
convolution.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from .base import EffectModel, register_model
from .greybox_dsp import (envelope_db, fft_convolve, history, ls_fir, magnitude_response_db, outlier_mask,
                          tail)


@register_model("ir")
class ImpulseResponse(EffectModel):
    """Learned FIR of `seconds` length, LS-initialised; see the module docstring.

    params: seconds (IR length, s), ridge (λ relative to Σx²), cg_iters (LS solver iterations),
    fit_seconds (at most this much training audio is used by `initialise`), tap_scale.
    """

    def __init__(self, sample_rate: int, seconds: float = 1.5, ridge: float = 1e-6, cg_iters: int = 60,
                 fit_seconds: float = 60.0, tap_scale: float = 1e-3):
        super().__init__(sample_rate)
        self.length = max(1, int(round(seconds * self.sample_rate)))
        self.ridge, self.cg_iters, self.fit_seconds = float(ridge), int(cg_iters), float(fit_seconds)
        self.tap_scale = float(tap_scale)
        taps = torch.zeros(self.length)
        taps[0] = 1.0 / self.tap_scale  # identity until initialised
        self.taps = nn.Parameter(taps)

    @property
    def h(self) -> torch.Tensor:
        """The impulse response (L,)."""
        return self.taps * self.tap_scale

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
            weight: np.ndarray | None = None) -> np.ndarray:
        """The LS impulse response for a pair (at most `fit_seconds` of it)."""
        n = min(len(clean), int(self.fit_seconds * self.sample_rate))
        return ls_fir(clean[:n], target[:n], self.length, ridge=self.ridge,
                      iters=self.cg_iters if iters is None else iters,
                      weight=None if weight is None else weight[:n])

    def initialise(self, clean: np.ndarray, target: np.ndarray) -> None:
        self.set_ir(self.fit(clean, target))

    def diagnostics(self, clean: np.ndarray, target: np.ndarray) -> list[dict[str, Any]]:
        """Energy decay and magnitude response: learned IR vs the LS IR measured from this pair
        (blocks where the learned model misses badly — joins between the tracks of a concatenated
        split, whose tails belong to audio not in `clean` — left out of the measurement)."""
        learned = self.h.detach().cpu().double().numpy()
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
