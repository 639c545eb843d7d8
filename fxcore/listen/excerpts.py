"""Which seconds of the test split a listener hears: the worst, a typical and a fixed excerpt, loudness-matched."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import metrics as M

LISTEN_LUFS = -23.0  # EBU R128 programme level: every excerpt is played at this integrated loudness
PEAK_CEILING = 10 ** (-1.0 / 20)  # −1 dBFS: if a gain would clip, the three signals drop together
# Windows quieter than the split's mean square − 30 dB are not candidates: their ESR is an error
# over near-silence (a faint hiss scores like a wrong note) and says little about what is heard.
QUIET_DB = 30.0
HOPS_PER_EXCERPT = 4  # candidate starts every quarter excerpt


@dataclass(frozen=True)
class Excerpt:
    """One excerpt: its name, why it was chosen, where it starts (samples) and its length (samples)."""

    name: str
    why: str
    start: int
    length: int


def windowed_esr(target: np.ndarray, pred: np.ndarray, length: int, hop: int) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ESR) of windows [s, s+length): Σ(t−p)²/(Σt²+1e-10) from cumulative sums, starts every `hop`."""
    t = np.asarray(target, dtype=np.float64)
    p = np.asarray(pred, dtype=np.float64)
    err = np.concatenate([[0.0], np.cumsum((t - p) ** 2)])
    sig = np.concatenate([[0.0], np.cumsum(t ** 2)])
    starts = np.arange(0, len(t) - length + 1, max(hop, 1))
    if starts[-1] != len(t) - length:  # the last full window is always a candidate
        starts = np.append(starts, len(t) - length)
    e = err[starts + length] - err[starts]
    s = sig[starts + length] - sig[starts]
    return starts, e / (s + M.EPS), s


def choose_excerpts(target: np.ndarray, pred: np.ndarray, sr: int, seconds: float) -> list[Excerpt]:
    """The start of the split, the window of largest ESR and the window whose ESR is nearest the median."""
    n = len(target)
    length = int(min(max(round(seconds * sr), 1), n))
    starts, esr, energy = windowed_esr(target, pred, length, length // HOPS_PER_EXCERPT)
    floor = np.mean(np.asarray(target, dtype=np.float64) ** 2) * length * 10 ** (-QUIET_DB / 10)
    loud = energy > floor
    cand, cand_esr = (starts[loud], esr[loud]) if loud.any() else (starts, esr)
    worst = int(cand[np.argmax(cand_esr)])
    typical = int(cand[np.argmin(np.abs(cand_esr - np.median(cand_esr)))])
    return [
        Excerpt("start", "the first seconds of the test split (fixed)", 0, length),
        Excerpt("worst", "the window where the model's ESR is largest", worst, length),
        Excerpt("typical", "the window whose ESR is nearest the median", typical, length),
    ]


def loudness_match(signals: dict[str, np.ndarray], sr: int, level: float = LISTEN_LUFS) -> tuple[dict[str, np.ndarray], float]:
    """Gain each signal to `level` LUFS (BS.1770); if any would peak above −1 dBFS, lower all by one gain.

    Returns the scaled signals and the common level they now have (LUFS). A signal too short or
    silent to measure (fxcore.metrics.lufs at its −70 floor) keeps unit gain.
    """
    gains = {}
    for name, x in signals.items():
        loudness = M.lufs(x, sr)
        gains[name] = 1.0 if loudness <= M.LUFS_FLOOR else 10 ** ((level - loudness) / 20)
    peak = max(float(np.max(np.abs(x))) * gains[k] for k, x in signals.items())
    trim = min(1.0, PEAK_CEILING / peak) if peak > 0 else 1.0
    out = {k: (np.asarray(x, dtype=np.float64) * gains[k] * trim).astype(np.float32) for k, x in signals.items()}
    return out, level + 20 * np.log10(trim)
