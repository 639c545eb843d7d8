"""The 2018 report's CNN: a window of past input samples → the current output sample.

The report fed a window through 6 conv layers, a max-pool and 3 linear layers to predict one
sample, one window at a time. Here the same mapping runs as a causal conv stack over the whole
signal: the first convolution spans the window (its kernel *is* a dense layer over the window),
and 1×1 convolutions play the fully connected head — one output per input sample, in one pass.
There is no max-pool across time: it would discard the per-sample alignment we need.
"""

from __future__ import annotations

import torch
from torch import nn

from .base import EffectModel, State, register_model, with_context


@register_model("cnn")
class CNN(EffectModel):
    """y[t] = head(relu(W ⋆ x[t−window+1 … t])) with `layers` 1×1 layers of width `hidden`."""

    def __init__(self, sample_rate: int, window: int = 64, channels: int = 16, layers: int = 3, hidden: int = 32):
        super().__init__(sample_rate)
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
        return self.window

    def forward(self, x: torch.Tensor, state: State = None, start: torch.Tensor | None = None):
        padded, state = with_context(x, state, self.window - 1)
        return self.net(padded[:, None, :])[:, 0, :], state
