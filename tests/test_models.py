"""Every registered model: causal, streamable, trainable; the black-box ones learn a distortion."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fxcore.errors import FxcoreError
from fxcore.losses import esr
from fxcore.models import build_model, model_names

torch.set_num_threads(1)

SR = 8000
BLACK_BOX = ["cnn", "lstm", "gru", "wavenet", "wiener_hammerstein"]  # grey-box models' own behaviour: tests/test_greybox.py
NON_CAUSAL = {"octave"}  # documented in fxcore/models/pitch.py: looks n_fft/2 ahead, stateless forward
SMALL = {"cnn": {"window": 16, "channels": 8, "hidden": 8}, "lstm": {"hidden_size": 8},
         "gru": {"hidden_size": 8}, "wavenet": {"channels": 6, "dilations": [1, 2, 4, 8], "linear_taps": 8},
         "wiener_hammerstein": {"branches": 3, "hidden": 8, "taps_in": 4, "taps_out": 16, "linear_taps": 48,
                                "dynamics": True, "attack_ms": [1.0], "release_ms": [5.0, 50.0]}}
CHUNKS = [5, 1, 37, 700, 900, 1357]  # sums to 3000; the first three are shorter than every receptive field > 43


def make(name: str, small: bool = True):
    torch.manual_seed(0)
    return build_model(name, SMALL.get(name, {}) if small else {}, SR)


def configs():
    """Every registered model with its defaults, plus the black-box ones at test size."""
    # `auto` is registered only so `model: auto` is checked at config time: train_effect replaces it by
    # the family it selects (tests/test_generalise.py), it has no forward of its own.
    return [(n, False) for n in model_names() if n != "auto"] + [(n, True) for n in BLACK_BOX]


def _id(v):
    return v if isinstance(v, str) else ("small" if v else "default")


@pytest.mark.parametrize("name,small", configs(), ids=_id)
def test_shape_causality_streaming_and_render(name, small):
    model = make(name, small).eval()
    x = 0.5 * torch.randn(2, sum(CHUNKS))
    start = torch.zeros(2, dtype=torch.long)
    with torch.no_grad():
        y, _ = model(x, None, start)
        assert y.shape == x.shape and y.dtype == torch.float32 and torch.isfinite(y).all()
        if name not in NON_CAUSAL:
            x2 = x.clone()
            x2[:, 2000:] += 0.3 * torch.randn(2, 1000)
            y2, _ = model(x2, None, start)
            torch.testing.assert_close(y2[:, :2000], y[:, :2000], atol=1e-5, rtol=0)  # the future is unseen
            # consecutive chunks with state == one pass, chunks shorter than the receptive field included
            parts, state, i = [], None, 0
            for n in CHUNKS:
                yi, state = model(x[:, i:i + n], state, start + i)
                parts.append(yi)
                i += n
            torch.testing.assert_close(torch.cat(parts, 1), y, atol=1e-5, rtol=1e-5)
    rendered = model.render(x[0].numpy(), chunk=512)
    np.testing.assert_allclose(rendered, y[0].numpy(), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name,small", configs(), ids=_id)
def test_gradients_reach_every_parameter(name, small):
    # two steps: a zero-initialised output layer (hybrid's correction) blocks the gradient only at step 0
    model = make(name, small)
    opt = torch.optim.SGD(model.parameters(), lr=1e-2)
    x = 0.5 * torch.randn(2, 2048)
    reached: set[str] = set()
    for _ in range(2):
        opt.zero_grad()
        y, _ = model(x, None, torch.zeros(2, dtype=torch.long))
        (y - 0.5 * torch.tanh(3 * x)).pow(2).mean().backward()
        reached |= {n for n, p in model.named_parameters() if p.grad is not None and p.grad.abs().sum() > 0}
        opt.step()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and n not in reached]
    assert not missing, missing


def _signal(seconds: float, seed: int, f0: float) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(int(SR * seconds)) / SR
    x = 0.8 * torch.sin(2 * np.pi * f0 * t) * torch.sin(2 * np.pi * t / seconds)
    x = x + 0.05 * torch.randn(len(t), generator=g)
    return x.reshape(8, -1)  # 8 segments in parallel: the LSTM's time loop is 8× shorter


@pytest.mark.parametrize("name", ["cnn", "lstm", "wavenet", "wiener_hammerstein"])
def test_learns_a_static_distortion(name):
    x, x_test = _signal(1.0, 1, 110.0), _signal(1.0, 2, 173.0)
    target = lambda v: 0.5 * torch.tanh(4 * v)  # noqa: E731
    model = make(name)
    model.initialise(x.flatten().numpy(), target(x).flatten().numpy())  # as the trainer does (LS starts)
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    first = None
    for _ in range(500):  # cnn needs ≈ 50 steps, wavenet ≈ 40, lstm ≈ 240
        loss = esr(model(x)[0], target(x))
        first = loss.item() if first is None else first
        if loss.item() < 0.05:
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.05 < first
    with torch.no_grad():  # a static curve generalises to another signal
        assert esr(model(x_test)[0], target(x_test)).item() < 0.1


@pytest.mark.parametrize("name", BLACK_BOX)
def test_params_from_a_json_dict(name):
    import json

    params = json.loads(json.dumps(SMALL[name]))
    model = build_model(name, params, SR)
    assert model.name == name and model.sample_rate == SR and model.num_parameters() > 0
    assert model.recurrent == (name in ("lstm", "gru"))


def test_registry_errors():
    with pytest.raises(FxcoreError, match="unknown model 'transformer'"):
        build_model("transformer", {}, SR)
    with pytest.raises(FxcoreError, match="model 'wavenet' has no parameter 'chanels'.*did you mean 'channels'"):
        build_model("wavenet", {"chanels": 3}, SR)
    with pytest.raises(FxcoreError, match="dilation"):
        build_model("wavenet", {"dilations": []}, SR)
    with pytest.raises(FxcoreError, match="window"):
        build_model("cnn", {"window": 0}, SR)


def test_receptive_fields_are_exact():
    m = build_model("wavenet", {"dilations": [1, 2, 4], "kernel_size": 3, "stacks": 2}, SR)
    assert m.receptive_field == 1 + 2 * 2 * (1 + 2 + 4)
    assert build_model("wavenet", {"dilations": [1, 2], "linear_taps": 40}, SR).receptive_field == 40
    assert build_model("cnn", {"window": 20}, SR).receptive_field == 20
    for model in (m, build_model("cnn", {"window": 20}, SR)):
        x = torch.zeros(1, 100)
        x[0, 50] = 1.0
        with torch.no_grad():
            y = model(x)[0] - model(torch.zeros(1, 100))[0]
        nz = torch.nonzero(y[0]).flatten()  # exactly 0 outside the receptive field
        assert nz.min() == 50 and nz.max() == 50 + model.receptive_field - 1


def test_wavenet_linear_path_is_a_causal_fir():
    m = build_model("wavenet", {"channels": 4, "dilations": [1], "linear_taps": 4}, SR)
    x = torch.zeros(1, 10)
    x[0, 2] = 1.0
    with torch.no_grad():
        without = m(x)[0]  # the FIR starts at zero
        m.linear.weight.copy_(torch.tensor([[[0.1, 0.2, 0.3, 0.4]]]))
        fir = m(x)[0] - without
    # the impulse response, taps newest-last (Conv1d is a cross-correlation), nothing before the impulse
    torch.testing.assert_close(fir[0], torch.tensor([0, 0, 0.4, 0.3, 0.2, 0.1, 0, 0, 0, 0]), atol=1e-6, rtol=0)


def test_every_black_box_model_is_registered():
    assert set(BLACK_BOX) <= set(model_names())
