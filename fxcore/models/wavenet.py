"""Regression WaveNet (gated dilated causal convolutions), as in Neural Amp Modeler.

The original WaveNet predicts a 256-way softmax over μ-law codes, F(x) = sgn(x)·ln(1+μ|x|)/ln(1+μ),
one-hot encoded. The 2018 report found that impractical for music: decoding is slow and 8-bit
resolution is far too coarse. This one regresses the sample value directly:

    z_k = tanh(W_f,k ⋆_d x_k) ⊙ σ(W_g,k ⋆_d x_k),   x_{k+1} = x_k + R_k z_k,   skip += S_k z_k
    y   = head(skip) + FIR(x)   (the optional linear FIR path helps filters and cabinets)
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .base import EffectModel, State, register_model, with_context


class _GatedLayer(nn.Module):
    def __init__(self, channels: int, kernel_size: int, dilation: int):
        super().__init__()
        self.conv = nn.Conv1d(channels, 2 * channels, kernel_size, dilation=dilation)
        self.res = nn.Conv1d(channels, channels, 1)
        self.skip = nn.Conv1d(channels, channels, 1)
        self.trim = (kernel_size - 1) * dilation

    def forward(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f, g = self.conv(h).chunk(2, dim=1)
        z = torch.tanh(f) * torch.sigmoid(g)
        return h[:, :, self.trim:] + self.res(z), self.skip(z)


@register_model("wavenet")
class WaveNet(EffectModel):
    """Stacks of gated dilated convs (channels, kernel_size, dilations × stacks) + 1×1 head (+ FIR)."""

    def __init__(self, sample_rate: int, channels: int = 16, kernel_size: int = 3,
                 dilations: Sequence[int] = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512), stacks: int = 1,
                 head_channels: int = 16, linear_taps: int = 0):
        super().__init__(sample_rate)
        dil = [int(d) for d in dilations] * int(stacks)
        self.inp = nn.Conv1d(1, channels, 1)
        self.layers = nn.ModuleList(_GatedLayer(channels, kernel_size, d) for d in dil)
        self.head = nn.Sequential(nn.Tanh(), nn.Conv1d(channels, head_channels, 1), nn.Tanh(),
                                  nn.Conv1d(head_channels, 1, 1))
        self._rf = 1 + sum((kernel_size - 1) * d for d in dil)
        self.linear = nn.Conv1d(1, 1, linear_taps, bias=False) if linear_taps > 0 else None
        if self.linear is not None:
            nn.init.zeros_(self.linear.weight)
        self._context = max(self._rf, linear_taps) - 1

    @property
    def receptive_field(self) -> int:
        return self._context + 1

    def forward(self, x: torch.Tensor, state: State = None, start: torch.Tensor | None = None):
        T = x.shape[1]
        padded, state = with_context(x, state, self._context)
        xin = padded[:, None, :]
        h = self.inp(xin[:, :, -(T + self._rf - 1):])
        skip = None
        for layer in self.layers:
            h, s = layer(h)
            skip = s[:, :, -T:] if skip is None else skip + s[:, :, -T:]
        y = self.head(skip)[:, 0, :]
        if self.linear is not None:
            y = y + self.linear(xin[:, :, -(T + self.linear.kernel_size[0] - 1):])[:, 0, :]
        return y, state
