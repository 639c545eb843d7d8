"""Every registered model: causal, streamable, trainable; the black-box ones learn a distortion."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fxcore.errors import FxcoreError
from fxcore.losses import esr
from fxcore.models import build_model, model_names

SR = 8000
BLACK_BOX = ["cnn", "lstm", "gru", "wavenet"]  # grey-box models: tests/test_greybox.py
SMALL = {"cnn": {"window": 16, "channels": 8, "hidden": 8}, "lstm": {"hidden_size": 8},
         "gru": {"hidden_size": 8}, "wavenet": {"channels": 6, "dilations": [1, 2, 4, 8], "linear_taps": 8}}


def make(name: str):
    torch.manual_seed(0)
    return build_model(name, SMALL.get(name, {}), SR)


@pytest.mark.parametrize("name", BLACK_BOX)
def test_shape_causality_and_streaming(name):
    model = make(name).eval()
    x = 0.5 * torch.randn(2, 3000)
    start = torch.zeros(2, dtype=torch.long)
    with torch.no_grad():
        y, _ = model(x, None, start)
        assert y.shape == x.shape and torch.isfinite(y).all()
        x2 = x.clone()
        x2[:, 2000:] += 0.3 * torch.randn(2, 1000)
        y2, _ = model(x2, None, start)
        torch.testing.assert_close(y2[:, :2000], y[:, :2000], atol=1e-5, rtol=0)  # the future is unseen
        # consecutive chunks with state == one pass (chunks shorter than the receptive field too)
        parts, state = [], None
        for i in range(0, 3000, 700):
            yi, state = model(x[:, i:i + 700], state, start + i)
            parts.append(yi)
        torch.testing.assert_close(torch.cat(parts, 1), y, atol=1e-4, rtol=1e-4)
    rendered = model.render(x[0].numpy(), chunk=512)
    np.testing.assert_allclose(rendered, y[0].numpy(), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("name", BLACK_BOX)
def test_gradients_reach_every_parameter(name):
    model = make(name)
    y, _ = model(0.5 * torch.randn(2, 2048), None, torch.zeros(2, dtype=torch.long))
    y.pow(2).mean().backward()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and (p.grad is None or not p.grad.abs().sum())]
    assert not missing, missing


@pytest.mark.parametrize("name", ["cnn", "lstm", "wavenet"])
def test_learns_a_static_distortion(name):
    torch.manual_seed(1)
    t = torch.arange(SR * 2) / SR
    x = (0.8 * torch.sin(2 * np.pi * 110 * t) * torch.sin(2 * np.pi * 0.5 * t) + 0.05 * torch.randn_like(t))[None]
    y = 0.5 * torch.tanh(4 * x)
    model = make(name)
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    start = esr(model(x)[0], y).item()
    for _ in range(300):
        loss = esr(model(x)[0], y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.05 < start


def test_registry_errors():
    with pytest.raises(FxcoreError, match="unknown model 'transformer'"):
        build_model("transformer", {}, SR)
    with pytest.raises(FxcoreError, match="bad parameters for model 'wavenet'"):
        build_model("wavenet", {"chanels": 3}, SR)


def test_wavenet_receptive_field():
    m = build_model("wavenet", {"dilations": [1, 2, 4], "kernel_size": 3}, SR)
    assert m.receptive_field == 1 + 2 * (1 + 2 + 4)
    x = torch.zeros(1, 100)
    x[0, 50] = 1.0
    with torch.no_grad():
        base = m(torch.zeros(1, 100))[0]
        y = m(x)[0] - base
    nz = torch.nonzero(y[0].abs() > 1e-7).flatten()
    assert nz.min() == 50 and nz.max() <= 50 + m.receptive_field - 1


def test_every_model_is_tested():
    assert set(BLACK_BOX) <= set(model_names())
