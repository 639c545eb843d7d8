"""Loss functions: the documented identities hold."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.signal import lfilter

from fxcore.losses import CombinedLoss, DCLoss, ESRLoss, MultiResolutionSTFTLoss, PreEmphasis, build_loss, esr


@pytest.fixture
def y():
    torch.manual_seed(0)
    return torch.randn(2, 4096)


def test_esr_identities(y):
    assert esr(y, y).item() == 0.0
    assert esr(0.5 * y, y).item() == pytest.approx(0.25, abs=1e-4)  # a −6 dB copy
    assert esr(torch.zeros_like(y), y).item() == pytest.approx(1.0, abs=1e-6)


def test_pre_emphasis_matches_scipy(y):
    ours = PreEmphasis(0.9)(y).numpy()
    ref = lfilter([1, -0.9], [1], y.numpy(), axis=1)
    np.testing.assert_allclose(ours, ref, atol=1e-5)
    # pre-emphasis weights highs: a low-frequency error counts less than the same error at high frequency
    t = torch.arange(4096) / 48000
    low, high = torch.sin(2 * np.pi * 100 * t)[None], torch.sin(2 * np.pi * 8000 * t)[None]
    loss = ESRLoss(0.95)
    assert loss(y[:1] + 0.1 * low, y[:1]) < loss(y[:1] + 0.1 * high, y[:1])


def test_mrstft(y):
    m = MultiResolutionSTFTLoss()
    assert m(y, y).item() == pytest.approx(0.0, abs=1e-5)
    assert m(y + 0.3 * torch.randn_like(y), y).item() > 0.1
    assert m(y[:, :300], y[:, :300]).item() == pytest.approx(0.0, abs=1e-5)  # only the 256 resolution fits
    with pytest.raises(ValueError, match="shorter than every FFT size"):
        m(y[:, :100], y[:, :100])


def test_dc_and_combined_weights(y):
    assert DCLoss()(y + 0.5, y).item() > 0.2
    only_esr = build_loss(None, 0.0)
    assert only_esr(0.5 * y, y).item() == pytest.approx(0.25, abs=1e-4)
    both = build_loss(None, 2.0)
    stft = MultiResolutionSTFTLoss()(0.5 * y, y).item()
    assert both(0.5 * y, y).item() == pytest.approx(0.25 + 2 * stft, rel=1e-4)
    with pytest.raises(ValueError):
        CombinedLoss(None, 0.0, 0.0, 0.0)
