"""Sanity checks on a clean/processed pair, each failing with one line naming the file and the fix."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import FxcoreError
from ..metrics import rms_dbfs

SILENCE_DBFS = -90.0


def check_pair(clean: np.ndarray, processed: np.ndarray, clean_path: str | Path, processed_path: str | Path,
               length_tolerance: float = 0.01) -> tuple[np.ndarray, np.ndarray, dict]:
    """Check a pair and return it trimmed to a common length, with a dict of what was checked.

    Sample rate and NaN are checked on read (fxcore.audio.read_audio); here: lengths agree within
    `length_tolerance` (fraction), neither signal is silent, the target is finite.
    """
    n_c, n_p = len(clean), len(processed)
    if abs(n_c - n_p) > max(1, length_tolerance * n_c):
        raise FxcoreError(f"length {n_p} samples does not match the clean file's {n_c} ({clean_path})",
                          processed_path, "re-render the processed file from this clean file, or trim both to the same take")
    for x, path, what in ((clean, clean_path, "clean"), (processed, processed_path, "processed")):
        if not np.isfinite(x).all():
            raise FxcoreError(f"{what} audio contains NaN or infinite samples", path, "re-render the file")
        if rms_dbfs(x) < SILENCE_DBFS:
            raise FxcoreError(f"{what} audio is silent (below {SILENCE_DBFS:.0f} dBFS)", path,
                              "check the effect chain's gain / mix, or the recording level")
    n = min(n_c, n_p)
    facts = {
        "clean_samples": n_c, "processed_samples": n_p,
        "clean_rms_dbfs": round(rms_dbfs(clean), 2), "processed_rms_dbfs": round(rms_dbfs(processed), 2),
        "processed_peak": round(float(np.max(np.abs(processed))), 4),
        "processed_clipped_fraction": float(np.mean(np.abs(processed) >= 0.999)),
    }
    return clean[:n], processed[:n], facts
