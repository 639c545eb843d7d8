"""Regression WaveNet (gated dilated causal convolutions), as in Neural Amp Modeler.

The original WaveNet predicts a 256-way softmax over μ-law codes, F(x) = sgn(x)·ln(1+μ|x|)/ln(1+μ),
one-hot encoded. The 2018 report found that impractical for music: decoding is slow and 8-bit
resolution is far too coarse. This one regresses the sample value directly:

    z_k = tanh(W_f,k ⋆_d h_k) ⊙ σ(W_g,k ⋆_d h_k),   h_{k+1} = h_k + R_k z_k,   s += S_k z_k
    y   = head(s) + FIR(x)   (the optional linear FIR path helps filters and cabinets)

Layout: activations are channels-last (B, T, C); each dilated convolution is one GEMM
(`nn.Linear`) over the k shifted views stacked along channels — the same maths as a dilated
`nn.Conv1d`, with no Python loop over time. Streaming state: the last receptive_field − 1 input
samples (B, receptive_field − 1); forward left-pads x with them (or silence) and runs valid
convolutions, so chunked processing equals one pass.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ..errors import FxcoreError
from .activations import FastTanh, fast_tanh
from .base import EffectModel, State, register_model, with_context


class _GatedLayer(nn.Module):
    """One gated residual layer; input (B, T_in, C) → (B, T_in − (k−1)·d, C) residual and skip."""

    def __init__(self, channels: int, kernel_size: int, dilation: int):
        super().__init__()
        self.k, self.d = kernel_size, dilation
        self.conv = nn.Linear(kernel_size * channels, 2 * channels)
        self.out = nn.Linear(channels, 2 * channels)  # residual and skip 1×1 convolutions, fused
        self.trim = (kernel_size - 1) * dilation

    def forward(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """h (B, T_in, C) → (h + R·z trimmed to T_in − (k−1)·d, S·z)."""
        n = h.shape[1] - self.trim
        taps = torch.cat([h[:, i * self.d: i * self.d + n] for i in range(self.k)], dim=2)
        f, g = self.conv(taps).chunk(2, dim=2)
        res, skip = self.out(fast_tanh(f) * torch.sigmoid(g)).chunk(2, dim=2)
        return h[:, self.trim:] + res, skip


@register_model("wavenet")
class WaveNet(EffectModel):
    """Stacks of gated dilated convs (channels, kernel_size, dilations × stacks) + a small head (+ FIR).

    head: tanh → 1×1 (head_channels) → tanh → 1×1 → 1 on the summed skips; linear_taps > 0 adds a
    zero-initialised causal FIR of that many taps on the input.
    """

    def __init__(self, sample_rate: int, channels: int = 16, kernel_size: int = 3,
                 dilations: Sequence[int] = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512), stacks: int = 1,
                 head_channels: int = 16, linear_taps: int = 0):
        super().__init__(sample_rate)
        dil = [int(d) for d in dilations] * int(stacks)
        if not dil or min(dil) < 1 or kernel_size < 1 or channels < 1 or linear_taps < 0:
            raise FxcoreError("wavenet needs ≥ 1 dilation (all ≥ 1), kernel_size ≥ 1, channels ≥ 1, "
                              "linear_taps ≥ 0; "
                              f"got dilations={list(dilations)}, stacks={stacks}, kernel_size={kernel_size}, "
                              f"channels={channels}, linear_taps={linear_taps}", None, "fix model.params")
        self.inp = nn.Linear(1, channels)
        self.layers = nn.ModuleList(_GatedLayer(channels, kernel_size, d) for d in dil)
        self.head = nn.Sequential(FastTanh(), nn.Linear(channels, head_channels), FastTanh(),
                                  nn.Linear(head_channels, 1))
        self._rf = 1 + sum((kernel_size - 1) * d for d in dil)
        self.linear = nn.Conv1d(1, 1, linear_taps, bias=False) if linear_taps > 0 else None
        if self.linear is not None:
            nn.init.zeros_(self.linear.weight)
        self._context = max(self._rf, linear_taps) - 1

    @property
    def receptive_field(self) -> int:
        """max(1 + Σ (kernel_size − 1)·d, linear_taps)."""
        return self._context + 1

    def forward(self, x: torch.Tensor, state: State = None, start: torch.Tensor | None = None):
        """x (B, T) → y (B, T), state = the last receptive_field − 1 input samples."""
        T = x.shape[1]
        padded, state = with_context(x, state, self._context)
        h = self.inp(padded[:, -(T + self._rf - 1):, None])
        skip = None
        for layer in self.layers:
            h, s = layer(h)
            skip = s[:, -T:] if skip is None else skip + s[:, -T:]
        y = self.head(skip)[:, :, 0]
        if self.linear is not None:
            y = y + self.linear(padded[:, None, -(T + self.linear.kernel_size[0] - 1):])[:, 0, :]
        return y, state
