"""wiener_hammerstein: exact linear start, the peak-envelope features, and it learns block-structured effects."""

from __future__ import annotations

import numpy as np
import scipy.signal as ss
import torch

from fxcore.losses import esr
from fxcore.models import build_model
from fxcore.models.activations import fast_tanh
from fxcore.models.wiener_hammerstein import HP_MIN_HZ, HP_TAPS, _one_pole, _peak_envelopes, highpass_ir

SR = 16000
SMALL = {"branches": 4, "hidden": 8, "taps_in": 8, "taps_out": 32, "linear_taps": 64}


def _music(seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    env = np.abs(np.sin(2 * np.pi * 0.7 * t + rng.uniform(0, 6))) ** 2
    x = env * (0.6 * np.sin(2 * np.pi * 196 * t) + 0.3 * np.sin(2 * np.pi * 523 * t)) + 0.05 * rng.standard_normal(n)
    return (0.9 * x / np.max(np.abs(x))).astype(np.float32)


def test_fast_tanh_is_tanh_and_so_is_its_gradient():
    x = torch.linspace(-30, 30, 10001, requires_grad=True)
    y = fast_tanh(x)
    torch.testing.assert_close(y, torch.tanh(x), atol=2e-7, rtol=0)
    (grad,) = torch.autograd.grad(y.sum(), x)
    (want,) = torch.autograd.grad(torch.tanh(x).sum(), x)
    torch.testing.assert_close(grad, want, atol=4e-7, rtol=0)  # measured 3.6e-7: 1 − y² of a y within 2e-7
    assert fast_tanh(x.detach()).requires_grad is False  # no graph for an input that needs no gradient


def test_least_squares_start_reproduces_a_linear_filter():
    # A 2nd-order high-pass decays well within 64 taps: the LS start alone models it (step 0).
    x = _music(4.0, 1)
    b, a = ss.butter(2, 300, "highpass", fs=SR)
    y = ss.lfilter(b, a, x).astype(np.float32)
    model = build_model("wiener_hammerstein", SMALL, SR)
    before = esr(model(torch.from_numpy(x)[None])[0], torch.from_numpy(y)[None]).item()
    model.initialise(x, y)
    with torch.no_grad():
        after = esr(model(torch.from_numpy(x)[None])[0], torch.from_numpy(y)[None]).item()
    assert before > 0.1 and after < 1e-5


def test_peak_envelopes_follow_attack_and_release():
    # A 0.5 burst: the envelope rises with the attack time constant and falls with the release one.
    x = np.zeros((1, 4000))
    x[0, 1000:2000] = 0.5
    att, rel = _one_pole(1.0, SR), _one_pole(20.0, SR)  # 16 and 320 samples
    e = _peak_envelopes(x, np.array([att]), np.array([rel]), np.zeros((1, 1)))[0, :, 0]
    assert abs(e[1000 + 16 - 1] - 0.5 * (1 - np.exp(-1))) < 1e-3  # one attack time constant in
    assert abs(e[2000 + 320 - 1] - e[1999] * np.exp(-1)) < 1e-3    # one release time constant after
    assert e[999] == 0.0
    # streaming: two halves with the carried state equal one pass
    first = _peak_envelopes(x[:, :1500], np.array([att]), np.array([rel]), np.zeros((1, 1)))
    second = _peak_envelopes(x[:, 1500:], np.array([att]), np.array([rel]), first[:, -1, :].astype(np.float64))
    np.testing.assert_allclose(np.concatenate([first, second], 1)[0, :, 0], e, atol=1e-7)


def _fit(model, x: np.ndarray, y: np.ndarray, steps: int, lr: float = 5e-3) -> float:
    model.initialise(x, y)
    xt, yt = torch.from_numpy(x).reshape(8, -1), torch.from_numpy(y).reshape(8, -1)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        loss = esr(model(xt)[0], yt)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        return esr(model(xt)[0], yt).item()


def test_learns_a_fuzz_hammerstein_chain():
    # gain → hard clip → low-pass: a static nonlinearity between filters, the structure the model has.
    torch.manual_seed(0)
    x = _music(2.0, 2)
    b, a = ss.butter(1, 3000, fs=SR)
    y = ss.lfilter(b, a, np.clip(8 * x, -0.3, 0.3)).astype(np.float32)
    model = build_model("wiener_hammerstein", SMALL, SR)
    linear_only = _fit(model, x, y, 0)
    assert _fit(model, x, y, 300) < 0.1 * linear_only < 0.1


def test_dynamics_learn_a_compressor():
    # A feed-forward peak compressor (threshold −20 dB, 4:1, 1 ms / 50 ms): the gain branch learns it.
    torch.manual_seed(0)
    x = _music(2.0, 3)
    env = _peak_envelopes(x[None].astype(np.float64), np.array([_one_pole(1.0, SR)]), np.array([_one_pole(50.0, SR)]),
                          np.zeros((1, 1)))[0, :, 0]
    thr = 10 ** (-20 / 20)
    gain = np.where(env > thr, (np.maximum(env, 1e-9) / thr) ** (1 / 4 - 1), 1.0)
    y = (2.0 * x * gain).astype(np.float32)
    params = {**SMALL, "dynamics": True, "attack_ms": [1.0], "release_ms": [10.0, 50.0]}
    static = _fit(build_model("wiener_hammerstein", SMALL, SR), x, y, 300)  # plateaus near 0.04
    dynamic = _fit(build_model("wiener_hammerstein", params, SR), x, y, 300)
    assert dynamic < 0.015 and dynamic < 0.5 * static


def test_input_highpass_is_the_first_order_recursion():
    # The model applies the cascade's impulse response; scipy's lfilter runs the bilinear recursion.
    f = torch.tensor([35.0, 90.0])
    h = highpass_ir(torch.log(f / HP_MIN_HZ), SR).double().numpy()
    impulse = np.zeros(HP_TAPS)
    impulse[0] = 1.0
    ref = impulse
    for fk in f.tolist():
        k = np.tan(np.pi * fk / SR)
        ref = ss.lfilter([1 / (1 + k), -1 / (1 + k)], [1, (k - 1) / (1 + k)], ref)
    np.testing.assert_allclose(h, ref, atol=1e-6)


def test_input_highpass_extrapolates_below_the_training_band():
    # Trained on notes ≥ 150 Hz through a 4th-order 100 Hz high-pass and a tanh (coupling capacitors
    # before a tube stage), a 40 Hz tone the data never had must come out near the device's level
    # (−32 dB at 40 Hz): the high-pass starts from the data's lowest excited frequency and learns.
    # Without it the FIRs pass the tone at their mid-band gain (measured +25 dB too loud; with: +6 dB).
    rng = np.random.default_rng(4)
    t = np.arange(4 * SR) / SR
    notes = sum(np.sin(2 * np.pi * f0 * t + rng.uniform(0, 6)) * np.abs(np.sin(2 * np.pi * r * t)) ** 2
                for f0, r in ((150, 0.7), (196, 0.45), (262, 1.1), (440, 0.3)))
    noise = ss.lfilter(*ss.butter(4, 150, "highpass", fs=SR), rng.standard_normal(len(t)))
    x = (0.2 * notes + 0.02 * noise).astype(np.float32)
    device = ss.butter(4, 100, "highpass", fs=SR)
    y = (0.5 * np.tanh(3 * ss.lfilter(*device, x))).astype(np.float32)
    probe = (0.4 * np.sin(2 * np.pi * 40 * t[:SR])).astype(np.float32)
    truth = 0.5 * np.tanh(3 * ss.lfilter(*device, probe))
    fits, too_loud_db = {}, {}
    for hp in (0, 4):
        torch.manual_seed(0)
        model = build_model("wiener_hammerstein", {**SMALL, "highpass": hp, "highpass_hz": None}, SR)
        fits[hp] = _fit(model, x, y, 300, lr=1e-2)
        out = model.render(probe)[SR // 2:]
        too_loud_db[hp] = 20 * np.log10(np.std(out) / np.std(truth[SR // 2:]))
    assert fits[4] < 0.01 and fits[0] < 0.02, fits  # both fit the training band
    assert abs(too_loud_db[4]) < 10 and too_loud_db[0] > too_loud_db[4] + 12, too_loud_db


def test_output_highpass_passes_the_harmonics_of_a_note_whose_fundamental_it_cuts():
    # An amp's bass cut after its tube (tanh, then a 2nd-order 120 Hz high-pass): a loud 47 Hz note
    # comes out as its harmonics. Cut before the nonlinearity (input high-passes only) the note makes
    # none; with output high-passes the model follows the device on a held-out note (measured: held-out
    # ESR 0.37 with input high-passes, 0.025 with output ones).
    rng = np.random.default_rng(5)
    t = np.arange(4 * SR) / SR
    notes = sum(np.sin(2 * np.pi * f0 * t + rng.uniform(0, 6)) * np.abs(np.sin(2 * np.pi * r * t)) ** 2
                for f0, r in ((41, 0.35), (55, 0.7), (98, 0.45), (196, 1.1), (330, 0.3)))
    x = (0.25 * notes + 0.01 * rng.standard_normal(len(t))).astype(np.float32)
    device = ss.butter(2, 120, "highpass", fs=SR)
    y = ss.lfilter(*device, 0.5 * np.tanh(4 * x)).astype(np.float32)
    probe = (0.5 * np.sin(2 * np.pi * 47 * t[:SR]) * np.linspace(0.2, 1.0, SR)).astype(np.float32)
    truth = ss.lfilter(*device, 0.5 * np.tanh(4 * probe))[SR // 4:]
    held_out = {}
    for where in ("highpass", "highpass_out"):
        torch.manual_seed(0)
        model = build_model("wiener_hammerstein", {**SMALL, where: 4, "highpass_hz": None, "highpass_out_hz": None}, SR)
        _fit(model, x, y, 300, lr=1e-2)
        held_out[where] = esr(torch.from_numpy(model.render(probe)[SR // 4:]), torch.from_numpy(truth)).item()
    assert held_out["highpass_out"] < 0.06 and held_out["highpass_out"] < 0.2 * held_out["highpass"], held_out


def test_both_highpasses_stream_in_any_chunks():
    # The output high-pass carries its own input history: chunks of any size give the one-pass output.
    torch.manual_seed(0)
    model = build_model("wiener_hammerstein", {**SMALL, "highpass": 2, "highpass_out": 3, "highpass_out_hz": 45.0,
                                               "dynamics": True}, SR)
    with torch.no_grad():
        for p in model.mlp.parameters():
            p.normal_(0.0, 0.3)  # a nonlinearity (it starts silent), so the output's DC and harmonics reach the high-pass
    x = _music(2.5, 6)
    one = model.render(x, chunk=len(x))
    np.testing.assert_allclose(model.render(x, chunk=777), one, atol=1e-5 * np.abs(one).max())
    np.testing.assert_allclose(model.render(x, chunk=HP_TAPS + 5), one, atol=1e-5 * np.abs(one).max())
