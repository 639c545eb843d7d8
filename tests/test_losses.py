"""Loss functions: the documented identities hold."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.signal import lfilter

from fxcore.losses import CombinedLoss, DCLoss, ESRLoss, MultiResolutionSTFTLoss, PreEmphasis, build_loss, esr

torch.set_num_threads(1)


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
    np.testing.assert_allclose(PreEmphasis(0.9)(y[:, None]).numpy()[:, 0], ref, atol=1e-5)  # (B, C, T) too
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
    want = (0.5 ** 2) / (y ** 2).mean().item()  # (mean(y) − mean(y + ½))² / mean(y²)
    assert DCLoss()(y + 0.5, y).item() == pytest.approx(want, rel=1e-5)
    assert DCLoss()(y, y).item() == 0.0
    with_dc = build_loss(None, 0.0, dc_weight=3.0)
    assert with_dc(y + 0.5, y).item() == pytest.approx(esr(y + 0.5, y).item() + 3 * want, rel=1e-5)
    # a zero-weight term is not computed: MRSTFT would raise on a 100-sample signal
    assert build_loss(0.95, 0.0)(y[:, :100], y[:, :100]).item() == 0.0
    with pytest.raises(ValueError):
        build_loss(0.95, 1.0)(y[:, :100], y[:, :100])
    only_esr = build_loss(None, 0.0)
    assert only_esr(0.5 * y, y).item() == pytest.approx(0.25, abs=1e-4)
    both = build_loss(None, 2.0)
    stft = MultiResolutionSTFTLoss()(0.5 * y, y).item()
    assert both(0.5 * y, y).item() == pytest.approx(0.25 + 2 * stft, rel=1e-4)
    with pytest.raises(ValueError):
        CombinedLoss(None, 0.0, 0.0, 0.0)
