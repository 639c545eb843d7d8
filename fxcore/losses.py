"""Training losses (auraloss style: one concept per class, the math in the docstring)."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn


def esr(y_hat: torch.Tensor, y: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Error-to-signal ratio Σ(y − ŷ)² / (Σy² + ε): fxcore.metrics.esr for autograd (ε = 1e-8 here, 1e-10 there)."""
    return torch.sum((y - y_hat) ** 2) / (torch.sum(y ** 2) + eps)


class PreEmphasis(nn.Module):
    """First-order high-pass H(z) = 1 − a·z⁻¹ along time of (B, T): y[n] = x[n] − a·x[n−1]."""

    def __init__(self, coef: float = 0.95):
        super().__init__()
        self.coef = float(coef)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (..., T) → x[n] − a·x[n−1], with x[−1] = 0 (same length)."""
        return torch.cat([x[..., :1], x[..., 1:] - self.coef * x[..., :-1]], dim=-1)


class ESRLoss(nn.Module):
    """ESR after optional pre-emphasis P: Σ(Py − Pŷ)² / (Σ(Py)² + ε) — weights the highs that ears hear.

    pre_emphasis: the coefficient a of P(z) = 1 − a·z⁻¹; None or 0 = plain ESR.
    """

    def __init__(self, pre_emphasis: float | None = 0.95):
        super().__init__()
        self.pre = PreEmphasis(pre_emphasis) if pre_emphasis else nn.Identity()

    def forward(self, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Scalar ESR over all elements."""
        return esr(self.pre(y_hat), self.pre(y))


class DCLoss(nn.Module):
    """DC error: (mean(y) − mean(ŷ))² / (mean(y²) + ε)."""

    def __init__(self, eps: float = 1e-8):
        super().__init__()
        self.eps = float(eps)

    def forward(self, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Scalar DC loss over all elements."""
        return (y.mean() - y_hat.mean()) ** 2 / ((y ** 2).mean() + self.eps)


class MultiResolutionSTFTLoss(nn.Module):
    """Mean over FFT sizes of spectral convergence ‖|Y|−|Ŷ|‖_F/‖|Y|‖_F + mean |log|Y| − log|Ŷ||.

    Resolutions longer than the signal are skipped; at least one must fit. The training-time, autograd
    twin of fxcore.metrics.mrstft (the number in metrics.json), which differs on purpose in three
    details: frames are not centred (a training window's zero-padded edges would be scored against a
    warm-up the model never saw), magnitudes are not rescaled to full scale, and the log floor is a
    clamp at ε rather than +ε. Unifying them would move either trained models or published metrics.
    """

    def __init__(self, fft_sizes: Sequence[int] = (256, 1024, 2048), eps: float = 1e-7):
        super().__init__()
        self.fft_sizes = tuple(int(n) for n in fft_sizes)
        self.eps = eps
        for n in self.fft_sizes:
            self.register_buffer(f"window_{n}", torch.hann_window(n), persistent=False)

    def _mag(self, x: torch.Tensor, n: int) -> torch.Tensor:
        """|STFT| (Hann window of n, hop n/4, no centre padding), floored at eps; x (..., T)."""
        spec = torch.stft(x.reshape(-1, x.shape[-1]), n, hop_length=n // 4, window=getattr(self, f"window_{n}"),
                          center=False, return_complex=True)
        return spec.abs().clamp_min(self.eps)

    def forward(self, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Scalar loss over the resolutions that fit in y's length (ValueError if none does)."""
        sizes = [n for n in self.fft_sizes if n <= y.shape[-1]]
        if not sizes:
            raise ValueError(f"signal of {y.shape[-1]} samples is shorter than every FFT size {self.fft_sizes}")
        total = y.new_zeros(())
        for n in sizes:
            s_hat, s = self._mag(y_hat, n), self._mag(y, n)
            sc = torch.linalg.norm(s - s_hat) / torch.linalg.norm(s)
            total = total + sc + torch.mean(torch.abs(torch.log(s) - torch.log(s_hat)))
        return total / len(sizes)


class CombinedLoss(nn.Module):
    """w_esr·ESR(pre-emphasised) + w_dc·DC + w_stft·MRSTFT; terms with weight 0 are not computed."""

    def __init__(self, pre_emphasis: float | None = 0.95, esr_weight: float = 1.0, dc_weight: float = 0.0,
                 mrstft_weight: float = 0.0):
        super().__init__()
        self.weights = {"esr": esr_weight, "dc": dc_weight, "mrstft": mrstft_weight}
        self.terms = nn.ModuleDict({"esr": ESRLoss(pre_emphasis), "dc": DCLoss(), "mrstft": MultiResolutionSTFTLoss()})
        if not any(self.weights.values()):
            raise ValueError("every loss weight is 0")

    def forward(self, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Scalar weighted sum of the enabled terms."""
        total = y.new_zeros(())
        for name, w in self.weights.items():
            if w:
                total = total + w * self.terms[name](y_hat, y)
        return total


def build_loss(pre_emphasis: float | None, mrstft_weight: float, dc_weight: float = 0.0,
               esr_weight: float = 1.0) -> CombinedLoss:
    """The training loss from config (`train.loss`)."""
    return CombinedLoss(pre_emphasis, esr_weight, dc_weight, mrstft_weight)
