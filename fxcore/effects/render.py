"""Run an effect chain over clean files: the "effect rendering" stage."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
from tqdm import tqdm

from ..audio import read_audio, write_audio
from ..config import EffectConfig
from ..errors import FxcoreError, config_source
from .base import MAX_PEAK, make_backend


def render_files(cfg: EffectConfig, sample_rate: int, inputs: Sequence[str | Path],
                 outputs: Sequence[str | Path], progress: bool = True) -> None:
    """Process each clean file through the effect's backend; 32-bit float WAV out (gain may exceed 0 dBFS)."""
    if len(inputs) != len(outputs):
        raise ValueError("inputs and outputs differ in length")
    backend = make_backend(cfg.backend, cfg.chain, cfg.options, cfg.name)
    backend.check_available()
    for src, dst in tqdm(list(zip(inputs, outputs)), desc=f"render {cfg.name}", disable=not progress, unit="file"):
        x, _ = read_audio(src, sample_rate)
        y = backend.process(x, sample_rate)
        if len(y) != len(x):
            raise FxcoreError(f"backend returned {len(y)} samples for {len(x)}", src, "report this backend bug")
        _check_overflow(cfg, y, src)
        _check_changed(cfg, x, y, src)
        write_audio(dst, y, sample_rate, subtype="FLOAT")


def _check_overflow(cfg: EffectConfig, y: np.ndarray, src: str | Path) -> None:
    """NaN/inf or absurd levels mean the chain overflowed (e.g. a huge gain): say so before writing."""
    finite = np.isfinite(y)
    peak = float(np.max(np.abs(y[finite]))) if finite.any() else np.inf
    if not finite.all() or peak > MAX_PEAK:
        what = "NaN/inf samples" if not finite.all() else f"a peak of {20 * np.log10(peak):+.0f} dBFS"
        raise FxcoreError(f"effect {cfg.name!r} ({cfg.backend}) output has {what} for this input: the chain "
                          "overflowed", src, f"lower the gain in effect {cfg.name!r}'s chain in {config_source()}")


def _check_changed(cfg: EffectConfig, x: np.ndarray, y: np.ndarray, src: str | Path) -> None:
    """An output equal to the input (a plugin left bypassed) would be "modelled" perfectly by doing nothing."""
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak > 0 and float(np.max(np.abs(y - x))) <= 1e-6 * peak:
        raise FxcoreError(f"effect {cfg.name!r} ({cfg.backend}) returned its input unchanged: the plugin is "
                          "bypassed or its controls leave the audio as it is", src,
                          f"check the controls of effect {cfg.name!r} in {config_source()} (e.g. a BYPASS or enable switch)")
