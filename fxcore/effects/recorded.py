"""A user's own capture of a real pedal/amp (the NAM / GuitarML use case): no rendering, a check.

    backend: recorded
    options:
      clean: captures/di.wav            # what went into the device
      processed: captures/amp.wav       # what came out, recorded at the same sample rate
      latency: null                     # samples; null = detect by cross-correlation
      repeat: {first_start_s: 0.0, second_start_s: 180.0, seconds: 30.0}   # optional
      max_latency_s: 0.5                # detection search range
      repeat_max_esr: 0.01              # repeatability warning threshold

`prepare_recorded_pair(clean_path, processed_path, sample_rate, latency=None, repeat=None)` reads
both files (rate, NaN, emptiness checked), finds and removes the capture latency, checks lengths,
silence, clipping and the noise floor and — with `repeat` — how well the device repeats itself,
and returns (clean, processed_aligned, report). Problems that do not make the pair unusable are
warnings: in `report["warnings"]` and logged on the "fxcore.recorded" logger.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from ..audio import read_audio
from ..errors import FxcoreError
from .base import EffectBackend, register_backend

log = logging.getLogger("fxcore.recorded")
# fxcore.dataset (scipy.signal) is imported inside the functions: importing fxcore.effects, which every
# config check does, stays fast.

CLIP_LEVEL = 10 ** (-0.1 / 20)   # "near full scale": within 0.1 dB of 0 dBFS
CLIP_WARN_FRACTION = 1e-4        # more than 0.01 % of samples near full scale → warning
NOISE_WARN_DBFS = -60.0          # quietest 1 % of frames above this → warning
NOISE_FRAME = 2048
ALIGN_SECONDS = 30.0             # cross-correlate at most this much audio (the loudest stretch)
REPEAT_KEYS = {"first_start_s", "second_start_s", "seconds"}
_OPTION_KEYS = {"clean", "processed", "latency", "repeat", "max_latency_s", "repeat_max_esr"}


def clipped_fraction(x: np.ndarray, level: float = CLIP_LEVEL) -> float:
    """Fraction of samples within 0.1 dB of full scale."""
    return float(np.mean(np.abs(x) >= level)) if len(x) else 0.0


def rms_dbfs(x: np.ndarray) -> float:
    """Root-mean-square level in dBFS (floor −200)."""
    return float(10 * np.log10(np.mean(np.square(x, dtype=np.float64)) + 1e-20))


def noise_floor_dbfs(x: np.ndarray, frame: int = NOISE_FRAME) -> float:
    """RMS (dBFS) of the quietest 1 % of non-overlapping frames (at least one frame)."""
    n = len(x) // frame
    if n == 0:
        return rms_dbfs(x)
    power = np.mean(np.square(x[: n * frame].reshape(n, frame), dtype=np.float64), axis=1)
    k = max(1, int(np.ceil(0.01 * n)))
    return float(10 * np.log10(np.mean(np.sort(power)[:k]) + 1e-20))


def esr(reference: np.ndarray, other: np.ndarray) -> float:
    """Error-to-signal ratio Σ(other − reference)² / Σ reference²."""
    ref = reference.astype(np.float64)
    return float(np.sum((other.astype(np.float64) - ref) ** 2) / (np.sum(ref ** 2) + 1e-20))


def _loudest_window(x: np.ndarray, length: int) -> int:
    """Start of the `length`-sample stretch of x with the most energy (1 s resolution)."""
    if len(x) <= length:
        return 0
    step = max(1, length // 30)
    c = np.concatenate([[0.0], np.cumsum(np.square(x, dtype=np.float64))])
    starts = np.arange(0, len(x) - length + 1, step)
    return int(starts[np.argmax(c[starts + length] - c[starts])])


def detect_latency(clean: np.ndarray, processed: np.ndarray, sample_rate: int, max_latency_s: float = 0.5
                   ) -> tuple[int, float]:
    """Capture latency in samples (cross-correlation on the loudest ≤30 s) and the peak's normalised strength."""
    from ..dataset.align import correlation_peak_lag

    max_lag = int(max_latency_s * sample_rate)
    length = min(len(clean), int(ALIGN_SECONDS * sample_rate))
    s = _loudest_window(clean, length)
    c = clean[s: s + length]
    p = processed[s: s + length + max_lag]
    pad = np.zeros(max(0, len(c) + max_lag - len(p)), np.float32)
    p = np.concatenate([p, pad])
    lag = correlation_peak_lag(np.concatenate([c, np.zeros(max_lag, np.float32)]), p, max_lag)
    seg = p[lag: lag + len(c)]
    strength = float(abs(np.dot(c.astype(np.float64), seg)) /
                     (np.linalg.norm(c) * np.linalg.norm(seg) + 1e-20))
    return lag, strength


def _warn(report: dict, message: str) -> None:
    report["warnings"].append(message)
    log.warning("%s: %s", report["processed_path"], message)


def _check_repeat(repeat: dict[str, Any], clean: np.ndarray, processed: np.ndarray, sample_rate: int,
                  report: dict, max_esr: float, where: str) -> None:
    if not isinstance(repeat, dict) or set(repeat) != REPEAT_KEYS or not all(
            isinstance(repeat[k], (int, float)) and not isinstance(repeat[k], bool) and repeat[k] >= 0 for k in REPEAT_KEYS):
        raise FxcoreError("repeat must be {first_start_s: S1, second_start_s: S2, seconds: L} (non-negative numbers)",
                          where, "fix options.repeat of the recorded effect")
    a, b = int(round(repeat["first_start_s"] * sample_rate)), int(round(repeat["second_start_s"] * sample_rate))
    n = int(round(repeat["seconds"] * sample_rate))
    if n <= 0 or max(a, b) + n > len(clean) or abs(a - b) < n:
        raise FxcoreError(f"repeat sections [{a}, {a + n}) and [{b}, {b + n}) (samples) must not overlap, be non-empty "
                          f"and lie inside the clean file ({len(clean)} samples)", where, "fix options.repeat")
    clean_esr = esr(clean[a:a + n], clean[b:b + n])
    if clean_esr > 1e-3:
        raise FxcoreError(f"the clean file does not repeat at {repeat['first_start_s']} s and "
                          f"{repeat['second_start_s']} s (ESR between the copies {clean_esr:.3g})", where,
                          "set options.repeat to the start times of the repeated section")
    p1, p2 = processed[a:a + n], processed[b:b + n]
    e = esr(p1, p2)
    # Drift check: the best lag between the two processed copies within ±64 samples.
    w = min(n, 10 * sample_rate)
    q1, q2 = p1[:w].astype(np.float64), p2[:w].astype(np.float64)
    xc = [np.dot(q1[max(0, -k): w - max(0, k)], q2[max(0, k): w - max(0, -k)]) for k in range(-64, 65)]
    report["repeat"] = {
        "first_start_s": repeat["first_start_s"], "second_start_s": repeat["second_start_s"],
        "seconds": repeat["seconds"], "esr": e, "esr_db": round(float(10 * np.log10(e + 1e-20)), 2),
        "max_esr": max_esr, "lag_samples": int(np.argmax(np.abs(xc)) - 64),
        "level_difference_db": round(rms_dbfs(p2) - rms_dbfs(p1), 3), "repeatable": bool(e <= max_esr),
    }
    if e > max_esr:
        r = report["repeat"]
        _warn(report, f"the device's two outputs for the repeated section differ (ESR {e:.3g} > {max_esr:g}, "
                      f"level difference {r['level_difference_db']:+.2f} dB, lag {r['lag_samples']} samples): "
                      "noise, a time-based effect (delay/reverb/modulation), or a knob moved between the takes")


def prepare_recorded_pair(clean_path: str | Path, processed_path: str | Path, sample_rate: int,
                          latency: int | None = None, repeat: dict | None = None, *,
                          max_latency_s: float = 0.5, repeat_max_esr: float = 0.01
                          ) -> tuple[np.ndarray, np.ndarray, dict]:
    """Check a recorded clean/processed pair and return (clean, processed_aligned, report).

    - sample rates: both must be `sample_rate` (else FxcoreError naming the file);
    - latency: detected by cross-correlation (or `latency` samples, the manual override) and removed;
    - lengths: the aligned processed audio must cover the clean file (±1 %); it is trimmed/zero-padded
      to the clean length;
    - silence/NaN (FxcoreError), clipping (fraction of samples within 0.1 dB of full scale) and
      noise floor (quietest 1 % of 2048-sample frames, dBFS) → report, warnings;
    - `repeat` = {first_start_s, second_start_s, seconds}: the clean file plays the same section
      twice; the ESR between the two processed copies measures how repeatable the device is.
    """
    from ..dataset.checks import check_pair

    where = str(processed_path)
    clean, _ = read_audio(clean_path, sample_rate)
    processed, _ = read_audio(processed_path, sample_rate)
    report: dict[str, Any] = {"clean_path": str(clean_path), "processed_path": where, "sample_rate": sample_rate,
                              "warnings": []}
    detected, strength = detect_latency(clean, processed, sample_rate, max_latency_s)
    report["detected_latency"] = detected
    report["alignment_strength"] = round(strength, 4)
    if latency is None:
        lag = detected
        if strength < 0.1:
            _warn(report, f"weak cross-correlation ({strength:.3f}) between clean and processed: the detected "
                          f"latency ({detected} samples) may be wrong; check the files belong together or set options.latency")
    else:
        if not isinstance(latency, int) or isinstance(latency, bool) or latency < 0:
            raise FxcoreError(f"latency must be a non-negative integer (samples), not {latency!r}", where,
                              "set options.latency: null to detect it")
        lag = latency
        if abs(detected - latency) > 2:
            _warn(report, f"manual latency {latency} samples differs from the detected {detected} samples")
    report["latency"] = lag
    report["latency_source"] = "detected" if latency is None else "manual"
    aligned = processed[lag:]
    n_c, n_p = len(clean), len(aligned)
    report["clean_samples"], report["processed_samples"] = n_c, len(processed)
    if n_p < n_c and n_c - n_p > max(1, 0.01 * n_c):
        raise FxcoreError(f"after removing {lag} samples of latency the processed file has {n_p} samples, "
                          f"{n_c - n_p} fewer than the clean file's {n_c}", where,
                          "record the whole clean file through the device (keep recording until it has ended)")
    if n_p > n_c + max(1, 0.01 * n_c) + sample_rate:
        _warn(report, f"the processed file is {(n_p - n_c) / sample_rate:.2f} s longer than the clean file; "
                      "the extra audio is ignored")
    aligned = np.concatenate([aligned, np.zeros(max(0, n_c - n_p), np.float32)])[:n_c]
    clean, aligned, facts = check_pair(clean, aligned, clean_path, processed_path)
    report.update(facts)
    for name, x in (("clean", clean), ("processed", aligned)):
        frac = clipped_fraction(x)
        report[f"{name}_clipped_fraction"] = frac
        if frac > CLIP_WARN_FRACTION:
            _warn(report, f"{name} audio is clipped: {100 * frac:.3f} % of samples within 0.1 dB of full scale; "
                          "record again with less gain")
        report[f"{name}_noise_floor_dbfs"] = round(noise_floor_dbfs(x), 2)
    if report["processed_noise_floor_dbfs"] > NOISE_WARN_DBFS:
        _warn(report, f"processed noise floor is {report['processed_noise_floor_dbfs']:.1f} dBFS (quietest 1 % of frames), "
                      f"above {NOISE_WARN_DBFS:.0f} dBFS: hum/hiss will be learned as part of the effect")
    if repeat:
        _check_repeat(repeat, clean, aligned, sample_rate, report, repeat_max_esr, where)
    return clean, aligned, report


@register_backend("recorded")
class RecordedBackend(EffectBackend):
    """Options `clean:` and `processed:` name a pair the user recorded through the real device."""

    def __init__(self, chain: list[dict[str, Any]], options: dict[str, Any], effect: str):
        super().__init__(chain, options, effect)
        if chain:
            raise self._fail("a recorded effect has no chain", "remove `chain:` and set options.clean / options.processed")
        unknown = set(options) - _OPTION_KEYS
        if unknown:
            raise self._fail(f"unknown option(s) {', '.join(sorted(unknown))}", f"use only {', '.join(sorted(_OPTION_KEYS))}")
        for key in ("clean", "processed"):
            if not isinstance(options.get(key), str) or not options[key]:
                raise self._fail(f"options.{key} must be the path of your {key} recording",
                                 f"set options.{key}: path/to/{key}.wav")
        self.clean_path, self.processed_path = Path(options["clean"]), Path(options["processed"])
        self.latency = options.get("latency")
        if self.latency is not None and (not isinstance(self.latency, int) or isinstance(self.latency, bool)
                                         or self.latency < 0):
            raise self._fail(f"options.latency must be a non-negative integer (samples) or null, not {self.latency!r}",
                             "set options.latency: null to detect it")
        self.repeat = options.get("repeat")
        if self.repeat is not None and (not isinstance(self.repeat, dict) or set(self.repeat) != REPEAT_KEYS):
            raise self._fail("options.repeat must be {first_start_s: S1, second_start_s: S2, seconds: L}",
                             "or remove options.repeat")
        self.max_latency_s = float(options.get("max_latency_s", 0.5))
        self.repeat_max_esr = float(options.get("repeat_max_esr", 0.01))
        self.check_available()

    def check_available(self) -> None:
        """Both files exist and have a readable audio header."""
        for key, path in (("clean", self.clean_path), ("processed", self.processed_path)):
            if not path.is_file():
                raise self._fail(f"options.{key}: recording {path} not found", f"check the path (relative to {Path.cwd()})")
            try:
                sf.info(str(path))
            except Exception as exc:  # soundfile raises several types for unreadable files
                raise self._fail(f"options.{key}: cannot read {path} ({' '.join(str(exc).split())[:200]})",
                                 "export it as WAV or FLAC") from None

    def prepare(self, sample_rate: int) -> tuple[np.ndarray, np.ndarray, dict]:
        """`prepare_recorded_pair` with this effect's options."""
        return prepare_recorded_pair(self.clean_path, self.processed_path, sample_rate, self.latency, self.repeat,
                                     max_latency_s=self.max_latency_s, repeat_max_esr=self.repeat_max_esr)

    def process(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        raise self._fail("a recorded effect cannot render new audio: its processed audio comes from "
                         f"{self.processed_path}", "use prepare_recorded_pair / RecordedBackend.prepare for this effect")
