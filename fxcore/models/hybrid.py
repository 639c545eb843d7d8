"""`hybrid`: a grey-box block followed by a small causal neural correction with a residual path.

    b = block(x)                                   (ir, feedback_delay or chorus: the structure)
    y = b + net([b, x])                            (the correction; net's last layer starts at 0)

The net is a tiny dilated causal convolution stack on two channels (the block's output and the
clean input): a 1×1 input layer to `channels`, then per dilation d a residual layer
h ← h + W₂·tanh(W₁ ∗_d h) (kernel `kernel`), then a 1×1 output layer initialised to zero — so
the hybrid starts exactly as the initialised block (identity correction) and gradient descent
only adds what the structure misses: the colour or mild saturation of an analogue-style delay
or reverb, a chorus's tone filter. It is self-contained (no dependency on the black-box model
modules). `initialise` initialises the block; the net needs no analysis.

Streaming: the state is (block state, the last receptive_field − 1 frames of the net's input).
The receptive field is the block's plus the net's (1 + Σ (kernel−1)·d) − 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from ..errors import FxcoreError
from .base import EffectModel, build_model, register_model

BLOCKS = ("ir", "feedback_delay", "chorus")


class CausalCorrection(nn.Module):
    """Dilated causal conv stack, 'valid' convolutions (the caller supplies the history)."""

    def __init__(self, in_channels: int, channels: int, kernel: int, dilations: list[int]):
        super().__init__()
        self.kernel, self.dilations = int(kernel), [int(d) for d in dilations]
        self.inp = nn.Conv1d(in_channels, channels, 1)
        self.dil = nn.ModuleList(nn.Conv1d(channels, channels, self.kernel, dilation=d) for d in self.dilations)
        self.mix = nn.ModuleList(nn.Conv1d(channels, channels, 1) for _ in self.dilations)
        self.out = nn.Conv1d(channels, 1, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    @property
    def receptive_field(self) -> int:
        return 1 + sum((self.kernel - 1) * d for d in self.dilations)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        """feats (B, C, T + rf − 1) → (B, T)."""
        h = self.inp(feats)
        for conv, mix in zip(self.dil, self.mix):
            z = mix(torch.tanh(conv(h)))
            h = h[..., h.shape[-1] - z.shape[-1]:] + z
        return self.out(h)[:, 0]


@register_model("hybrid")
class Hybrid(EffectModel):
    """Grey-box block + residual causal conv correction; see the module docstring.

    params: block ("ir" | "feedback_delay" | "chorus"), block_params (that model's params),
    channels, kernel, dilations.
    """

    def __init__(self, sample_rate: int, block: str = "ir", block_params: dict[str, Any] | None = None,
                 channels: int = 8, kernel: int = 3, dilations: list[int] | tuple[int, ...] = (1, 2, 4, 8, 16)):
        super().__init__(sample_rate)
        if block not in BLOCKS:
            raise FxcoreError(f"hybrid block must be one of {', '.join(BLOCKS)}, not {block!r}", None,
                              "set model.params.block to ir, feedback_delay or chorus")
        self.block = build_model(block, dict(block_params or {}), sample_rate)
        self.net = CausalCorrection(2, int(channels), int(kernel), list(dilations))

    @property
    def receptive_field(self) -> int:
        return self.block.receptive_field + self.net.receptive_field - 1

    def forward(self, x: torch.Tensor, state: Any = None, start: torch.Tensor | None = None):
        bstate, hist = state if state is not None else (None, None)
        yb, bstate = self.block(x, bstate, start)
        feats = torch.stack([yb, x], dim=1)
        n = self.net.receptive_field - 1
        if n > 0:
            if hist is None:
                hist = feats.new_zeros(feats.shape[0], feats.shape[1], n)
            feats = torch.cat([hist.to(feats.dtype), feats], dim=-1)
        y = yb + self.net(feats)
        return y, (bstate, feats[..., feats.shape[-1] - n:] if n > 0 else None)

    def initialise(self, clean: np.ndarray, target: np.ndarray) -> None:
        self.block.initialise(clean, target)

    def diagnostics(self, clean: np.ndarray, target: np.ndarray) -> list[dict[str, Any]]:
        return self.block.diagnostics(clean, target)
