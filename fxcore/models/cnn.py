"""The 2018 report's CNN: a window of past input samples → the current output sample.

The report fed a window through 6 conv layers, a max-pool and 3 linear layers to predict one
sample, one window at a time. Here the same mapping runs as a causal conv stack over the whole
signal: the first convolution spans the window (its kernel *is* a dense layer over the window),
and 1×1 convolutions play the fully connected head — one output per input sample, in one pass.
There is no max-pool across time: it would discard the per-sample alignment we need.

    y[t] = W_L·relu(… relu(W_2·relu(W_1 ⋆ x[t−window+1 … t] + b_1) + b_2) …) + b_L

Streaming state: the last window − 1 input samples (B, window − 1); None = silence.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import FxcoreError
from .base import EffectModel, State, register_model, with_context


@register_model("cnn")
class CNN(EffectModel):
    """Windowed conv (window → channels), layers − 1 hidden 1×1 convs (hidden), 1×1 → 1; ReLU between."""

    def __init__(self, sample_rate: int, window: int = 64, channels: int = 16, layers: int = 3, hidden: int = 32):
        super().__init__(sample_rate)
        if window < 1 or channels < 1 or layers < 1 or hidden < 1:
            raise FxcoreError(f"cnn needs window, channels, layers and hidden ≥ 1; got window={window}, "
                              f"channels={channels}, layers={layers}, hidden={hidden}", None, "fix model.params")
        self.window = int(window)
        blocks: list[nn.Module] = [nn.Conv1d(1, channels, self.window), nn.ReLU()]
        width = channels
        for _ in range(layers - 1):
            blocks += [nn.Conv1d(width, hidden, 1), nn.ReLU()]
            width = hidden
        blocks.append(nn.Conv1d(width, 1, 1))
        self.net = nn.Sequential(*blocks)

    @property
    def receptive_field(self) -> int:
        """The window length."""
        return self.window

    def forward(self, x: torch.Tensor, state: State = None, start: torch.Tensor | None = None):
        """x (B, T) → y (B, T), state = the last window − 1 input samples."""
        padded, state = with_context(x, state, self.window - 1)
        return self.net(padded[:, None, :])[:, 0, :], state
