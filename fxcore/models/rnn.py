"""Recurrent models in the NAM / GuitarML style: a small LSTM or GRU plus a residual skip.

y[t] = skip·x[t] + W·h[t],  h[t] = RNN(x[t], h[t−1]). The skip lets the network learn only the
difference from the input, which is what makes 16–40 units enough for amps and pedals.

Streaming state: PyTorch's hidden state, (num_layers, B, hidden_size) — a tuple (h, c) for the
LSTM, one tensor for the GRU; None = zeros (silence before the chunk).
"""

from __future__ import annotations

import torch
from torch import nn

from .base import EffectModel, State, register_model


class _Recurrent(EffectModel):
    """Shared body of LSTMModel and GRUModel: RNN(1 → hidden_size, num_layers) → Linear → (+ x)."""

    cell: type[nn.RNNBase] = nn.LSTM

    def __init__(self, sample_rate: int, hidden_size: int = 24, num_layers: int = 1, skip: bool = True):
        super().__init__(sample_rate)
        self.rnn = self.cell(1, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)
        self.skip = bool(skip)

    @property
    def recurrent(self) -> bool:
        """True: the hidden state needs a warm-up before the loss counts."""
        return True

    def forward(self, x: torch.Tensor, state: State = None, start: torch.Tensor | None = None):
        """x (B, T) → y (B, T), the RNN's final hidden state."""
        h, state = self.rnn(x[:, :, None], state)
        y = self.head(h)[:, :, 0]
        return (y + x if self.skip else y), state


@register_model("lstm")
class LSTMModel(_Recurrent):
    """LSTM(hidden_size) → Linear → + x."""

    cell = nn.LSTM


@register_model("gru")
class GRUModel(_Recurrent):
    """GRU(hidden_size) → Linear → + x."""

    cell = nn.GRU
