"""An automated stand-in for the listener: the share of 1-s windows whose difference is below a JND.

It is a proxy, not a perceptual model: mel distance and integrated loudness ignore masking,
temporal smearing and phase, and the thresholds are textbook round numbers, not measured on
these sounds. It says where an ABX test is worth running, not what its result will be.
"""

from __future__ import annotations

import numpy as np

from .. import metrics as M

WINDOW_SECONDS = 1.0
# Loudness: the just-noticeable level difference of broadband sounds is about 1 dB (Zwicker &
# Fastl, Psychoacoustics, 3rd ed. 2007, ch. 7); 1 LU = 1 dB of BS.1770 integrated loudness.
LOUDNESS_JND_LU = 1.0
# Spectrum: ~1 dB mean log-spectral (here mel-band) difference is the usual "transparent" bound
# in spectral-distortion work (Paliwal & Atal, IEEE Trans. Speech Audio Proc. 1(1), 1993:
# 1 dB average spectral distortion as the threshold of transparent quantisation).
MEL_JND_DB = 1.0


def window_differences(reference: np.ndarray, other: np.ndarray, sr: int,
                       seconds: float = WINDOW_SECONDS) -> list[dict[str, float]]:
    """Per window (the split cut into round(T/seconds) equal parts, at least one): start s, mel distance dB, |ΔLUFS|."""
    count = max(int(round(len(reference) / (seconds * sr))), 1)
    edges = np.linspace(0, len(reference), count + 1).round().astype(int)
    out = []
    for a, b in zip(edges[:-1], edges[1:]):
        r, o = reference[a:b], other[a:b]
        out.append({"start_s": a / sr, "seconds": (b - a) / sr, "mel_db": M.mel_distance(o, r, sr),
                    "loudness_lu": abs(M.lufs(o, sr) - M.lufs(r, sr))})
    return out


def below_jnd(windows: list[dict[str, float]]) -> float:
    """Fraction of windows with mel distance < MEL_JND_DB and |ΔLUFS| < LOUDNESS_JND_LU."""
    ok = [w["mel_db"] < MEL_JND_DB and w["loudness_lu"] < LOUDNESS_JND_LU for w in windows]
    return float(np.mean(ok)) if ok else 0.0


def jnd_proxy(clean: np.ndarray, target: np.ndarray, pred: np.ndarray, sr: int) -> dict:
    """The proxy for the model and for the do-nothing baseline (clean input), each against the effect."""
    model = window_differences(target, pred, sr)
    baseline = window_differences(target, clean, sr)
    return {
        "window_seconds": WINDOW_SECONDS, "mel_jnd_db": MEL_JND_DB, "loudness_jnd_lu": LOUDNESS_JND_LU,
        "windows": len(model),
        "below_jnd": below_jnd(model), "below_jnd_clean": below_jnd(baseline),
        "model_windows": model, "clean_windows": baseline,
    }
