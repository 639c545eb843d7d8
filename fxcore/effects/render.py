"""Run an effect chain over clean files: the "effect rendering" stage."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from tqdm import tqdm

from ..audio import read_audio, write_audio
from ..config import EffectConfig
from ..errors import FxcoreError
from .base import make_backend


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
        write_audio(dst, y, sample_rate, subtype="FLOAT")
