"""Audio file I/O: mono float32 in; WAV/FLAC/AIFF/Ogg out by extension, with one-line errors for bad files."""

from __future__ import annotations

import errno
import io
import os
from pathlib import Path

import numpy as np
import soundfile as sf

from .atomic import atomic_path
from .errors import FxcoreError

# Extension → (libsndfile container, subtype used when the requested one does not fit the container).
# FLAC and Ogg Vorbis cannot store floats, so an unbounded (FLOAT) signal is written 24-bit / Vorbis there.
OUTPUT_FORMATS: dict[str, tuple[str, str]] = {
    ".wav": ("WAV", "PCM_24"),
    ".flac": ("FLAC", "PCM_24"),
    ".aiff": ("AIFF", "PCM_24"),
    ".aif": ("AIFF", "PCM_24"),
    ".ogg": ("OGG", "VORBIS"),
}
_FLOAT_SUBTYPES = ("FLOAT", "DOUBLE")


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
                          f"resample it to {sample_rate} Hz or set sample_rate: {sr} in the config file")
    if not np.isfinite(data).all():
        raise FxcoreError("audio contains NaN or infinite samples", path, "re-render or re-record the file")
    if mono:
        data = data.mean(axis=1)
    return np.ascontiguousarray(data, dtype=np.float32), sr


def output_format(path: str | Path, subtype: str = "PCM_24") -> tuple[str, str]:
    """(container, subtype) that writing `path` uses: the container from the extension, `subtype` if it fits."""
    ext = Path(path).suffix.lower()
    if ext not in OUTPUT_FORMATS:
        raise FxcoreError(f"cannot write audio with extension {ext or '(none)'!r}", path,
                          f"name the output with one of {', '.join(OUTPUT_FORMATS)}")
    container, fallback = OUTPUT_FORMATS[ext]
    return (container, subtype) if sf.check_format(container, subtype) else (container, fallback)


def check_output_path(path: str | Path, source: str | Path | None = None) -> None:
    """Fail early (before any work) if `path` cannot be written, or is the `source` file itself."""
    path = Path(path)
    if path.is_dir():
        raise FxcoreError("the output path is a folder", path, "give an output file name such as out.wav")
    output_format(path)
    if source is not None and _same_file(path, Path(source)):
        raise FxcoreError(f"the output is the input file {source} (same path or link)", path,
                          "write to a new file; the input is left untouched")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent  # missing folders are created: the first existing one must take them
    if not parent.is_dir():
        raise FxcoreError(f"{parent} is a file, not a folder", path, "choose an output in a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise FxcoreError(f"folder {parent} is not writable", path, "choose a writable folder or fix its permissions")


def write_audio(path: str | Path, audio: np.ndarray, sample_rate: int, subtype: str = "PCM_24") -> None:
    """Write mono (T,) or (T, C) audio atomically in the extension's format; FLOAT for unbounded signals.

    Missing parent folders are created (and removed again if the write fails); a failed write
    leaves neither a partial nor a temp file.
    """
    path = Path(path)
    container, actual = output_format(path, subtype)
    audio = np.asarray(audio, dtype=np.float32)
    if audio.size == 0:
        raise FxcoreError("refusing to write empty audio", path, "check the stage that produced it")
    if not np.isfinite(audio).all():
        raise FxcoreError("refusing to write audio with NaN/inf samples", path,
                          "the stage that produced it overflowed; check its settings and input")
    peak = float(np.max(np.abs(audio)))
    if subtype in _FLOAT_SUBTYPES and actual not in _FLOAT_SUBTYPES and peak > 1.0:
        # An integer/lossy container would clip silently; the caller said the signal may exceed 0 dBFS.
        raise FxcoreError(f"peak is {20 * np.log10(peak):+.1f} dBFS but {path.suffix} stores {actual}, "
                          "which clips above 0 dBFS", path, "write a .wav or .aiff (32-bit float) instead")
    buf = io.BytesIO()  # encode in memory: then disk errors arrive as OSError with an errno
    try:
        sf.write(buf, audio, sample_rate, subtype=actual, format=container)
    except (sf.LibsndfileError, RuntimeError, ValueError, TypeError) as exc:
        raise FxcoreError(f"cannot encode {container}/{actual} at {sample_rate} Hz ({str(exc).splitlines()[0]})",
                          path, "write a .wav instead") from None
    created = _missing_parents(path)
    try:
        with atomic_path(path) as tmp:
            tmp.write_bytes(buf.getbuffer())
    except OSError as exc:
        for folder in created:
            _rmdir_quietly(folder)
        raise _write_error(path, exc, len(buf.getbuffer())) from None


def _same_file(a: Path, b: Path) -> bool:
    """Same path after resolving links, or the same inode (hard link)."""
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _missing_parents(path: Path) -> list[Path]:
    """The folders above `path` that do not exist yet, deepest first."""
    missing = []
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        missing.append(parent)
        parent = parent.parent
    return missing


def _rmdir_quietly(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass  # not empty or already gone: not ours to clean


def _write_error(path: Path, exc: OSError, size: int) -> FxcoreError:
    """One line for the OS error of a failed write."""
    if exc.errno == errno.ENOSPC or exc.errno == errno.EDQUOT:
        return FxcoreError(f"disk full: no space for {size} bytes", path, "free space on that disk or write elsewhere")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return FxcoreError(f"folder {path.parent} is not writable ({exc.strerror})", path,
                           "choose a writable folder or fix its permissions")
    if exc.errno == errno.EISDIR:
        return FxcoreError("the output path is a folder", path, "give an output file name such as out.wav")
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return FxcoreError(f"a part of {path.parent} is a file, not a folder", path, "choose an output in a folder")
    return FxcoreError(f"cannot write ({exc.strerror or exc})", path, "check the path and the disk")
