"""Audio file I/O: mono float32 in, 24-bit WAV out, with one-line errors for bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from .atomic import atomic_path
from .errors import FxcoreError


def read_audio(path: str | Path, sample_rate: int | None = None, mono: bool = True) -> tuple[np.ndarray, int]:
    """Read an audio file as float32 (T,) mono (or (T, C)); check rate, emptiness and NaN."""
    path = Path(path)
    if not path.exists():
        raise FxcoreError("audio file not found", path, "check the path or rebuild the file")
    try:
        data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as exc:  # soundfile raises several types for corrupt files
        raise FxcoreError(f"cannot decode audio ({exc.__class__.__name__}: {str(exc).splitlines()[0]})",
                          path, "re-export it as WAV/FLAC or delete it") from None
    if data.shape[0] == 0:
        raise FxcoreError("audio file is empty (0 samples)", path, "re-record or remove the file")
    if sample_rate is not None and sr != sample_rate:
        raise FxcoreError(f"sample rate is {sr} Hz but {sample_rate} Hz is expected", path,
                          f"resample it to {sample_rate} Hz or set sample_rate: {sr} in config.yaml")
    if not np.isfinite(data).all():
        raise FxcoreError("audio contains NaN or infinite samples", path, "re-render or re-record the file")
    if mono:
        data = data.mean(axis=1)
    return np.ascontiguousarray(data, dtype=np.float32), sr


def write_audio(path: str | Path, audio: np.ndarray, sample_rate: int, subtype: str = "PCM_24") -> None:
    """Write mono (T,) or (T, C) audio atomically; 24-bit PCM by default, FLOAT for unbounded signals."""
    audio = np.asarray(audio, dtype=np.float32)
    if audio.size == 0:
        raise FxcoreError("refusing to write empty audio", path, "check the stage that produced it")
    if not np.isfinite(audio).all():
        raise FxcoreError("refusing to write audio with NaN/inf samples", path,
                          "the effect or model diverged; lower the gain or retrain")
    with atomic_path(path) as tmp:
        sf.write(str(tmp), audio, sample_rate, subtype=subtype, format="WAV")
