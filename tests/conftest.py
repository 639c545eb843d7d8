"""Shared fixtures: tiny real audio pairs rendered with real pedalboard."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from fxcore.audio import write_audio

# One torch thread per test process: CI runs one pytest-xdist worker per core (README's test command),
# and torch's threads of two workers on the same cores would spin against each other.
torch.set_num_threads(1)

REPO = Path(__file__).resolve().parents[1]
SR = 16000


def noise_tone(seconds: float, seed: int, sr: int = SR) -> np.ndarray:
    """A tone-plus-noise test signal with level changes (enough to excite an effect)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    env = 0.2 + 0.7 * (0.5 + 0.5 * np.sin(2 * np.pi * 0.7 * t))
    x = env * (0.6 * np.sin(2 * np.pi * 220 * t) + 0.2 * rng.standard_normal(len(t)))
    return (0.8 * x / np.max(np.abs(x))).astype(np.float32)


@pytest.fixture
def pair_files(tmp_path: Path):
    """Two clean tracks + clicks rendered through a real fuzz chain, with a known 37-sample latency."""
    from fxcore.effects import make_backend
    from fxcore.synth import click_train

    board = make_backend("pedalboard", [{"Gain": {"gain_db": 12}}, {"Clipping": {"threshold_db": -10}}])
    lat = 37
    pairs = {}
    for i in range(2):
        x = noise_tone(2.0, i)
        y = np.concatenate([np.zeros(lat, np.float32), board.process(x, SR)[:-lat]])
        write_audio(tmp_path / f"c{i}.wav", x, SR)
        write_audio(tmp_path / f"p{i}.wav", y, SR, subtype="FLOAT")
        pairs[f"t{i}"] = (tmp_path / f"c{i}.wav", tmp_path / f"p{i}.wav")
    clicks = click_train(SR)
    y = np.concatenate([np.zeros(lat, np.float32), board.process(clicks, SR)[:-lat]])
    write_audio(tmp_path / "clicks.wav", clicks, SR)
    write_audio(tmp_path / "clicks_p.wav", y, SR, subtype="FLOAT")
    return pairs, (tmp_path / "clicks.wav", tmp_path / "clicks_p.wav"), lat
