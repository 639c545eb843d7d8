"""A user's own capture of a real pedal/amp (the NAM / GuitarML use case) as a dataset source: read, align, check.

The effect config that names one (fxcore.effects.recorded.RecordedBackend validates it):

    backend: recorded
    options:
      clean: captures/di.wav            # what went into the device
      processed: captures/amp.wav       # what came out, recorded at the same sample rate
      channel: null                     # left | right | mean | N: which channel of a multi-channel file
      latency: null                     # samples; null = detect (onset of the estimated impulse response)
      repeat: {first_start_s: 0.0, second_start_s: 180.0, seconds: 30.0}   # optional
      max_latency_s: 0.5                # detection search range (positive number)
      repeat_max_esr: 0.01              # repeatability warning threshold (positive number)

`prepare_recorded_pair(clean_path, processed_path, sample_rate, latency=None, repeat=None, *,
max_latency_s=0.5, repeat_max_esr=0.01, channel=None)` reads both files (rate, NaN, emptiness,
channels checked), finds and removes the capture latency, checks lengths, silence, clipping and the
noise floor and — with `repeat` — how well the device repeats itself, and returns (clean,
processed_aligned, report). Problems that do not make the pair unusable are warnings: in
`report["warnings"]` and logged on the "fxcore.recorded" logger.

Channels: `channel` applies to both files (a mono file is used as it is). Without it a multi-channel
file must have near-identical channels (RMS within 1 dB, correlation ≥ 0.99), which are averaged;
otherwise it is an error — an interface recording the device on the left and silence on the right
would be averaged 6 dB too quiet.

Latency: the impulse response between clean and processed is estimated (Welch H1, the best linear
approximation, also for nonlinear devices) and the latency is its *onset* (fxcore.dataset.response),
never the correlation peak: a cabinet's response peaks ~15 samples after it starts, and removing the
peak lag makes the target non-causal. Alignment strength = fraction of the processed energy that
the linear fit explains: ≥ 0.69 measured for real distortion, amp+cab (caps via SoX), chorus, delay
and reverb renders of music-like audio, 1.0 for filters, ≤ 0.073 for unrelated files or a take
starting 2 s late (30 s at 48 kHz). Below MIN_ALIGN_STRENGTH = 0.3, or with an onset at the end of the
max_latency_s search range, detection is an error (with a manual `latency`, a warning).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from ..audio import read_audio
from ..errors import FxcoreError
from ..metrics import esr, rms_dbfs
from .checks import check_pair
from .response import capture_response

log = logging.getLogger("fxcore.recorded")

CLIP_LEVEL = 10 ** (-0.1 / 20)   # "near full scale": within 0.1 dB of 0 dBFS
CLIP_WARN_FRACTION = 1e-4        # more than 0.01 % of samples near full scale → warning
NOISE_WARN_DBFS = -60.0          # quietest 1 % of frames above this → warning
NOISE_FRAME = 2048
ALIGN_SECONDS = 30.0             # estimate the response on at most this much audio (the loudest stretch)
MIN_ALIGN_STRENGTH = 0.3         # explained-energy fraction below which clean and processed do not belong together
CHANNEL_MAX_DB = 1.0             # channels of a file without options.channel: RMS within 1 dB ...
CHANNEL_MIN_CORRELATION = 0.99   # ... and normalised correlation at least this
CHANNEL_NAMES = ("left", "right", "mean")
RESPONSE_BEFORE, RESPONSE_AFTER = 32, 256   # lags of the response kept for the report around the latency
REPEAT_KEYS = {"first_start_s", "second_start_s", "seconds"}
OPTION_KEYS = {"clean", "processed", "latency", "repeat", "max_latency_s", "repeat_max_esr", "channel"}


def clipped_fraction(x: np.ndarray, level: float = CLIP_LEVEL) -> float:
    """Fraction of samples within 0.1 dB of full scale."""
    return float(np.mean(np.abs(x) >= level)) if len(x) else 0.0


def noise_floor_dbfs(x: np.ndarray, frame: int = NOISE_FRAME) -> float:
    """RMS (dBFS) of the quietest 1 % of non-overlapping frames (at least one frame)."""
    n = len(x) // frame
    if n == 0:
        return rms_dbfs(x)
    power = np.mean(np.square(x[: n * frame].reshape(n, frame), dtype=np.float64), axis=1)
    k = max(1, int(np.ceil(0.01 * n)))
    return float(10 * np.log10(np.mean(np.sort(power)[:k]) + 1e-20))


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
    """Capture latency = onset of the estimated impulse response (loudest ≤30 s), and the alignment strength."""
    found = measure_capture(clean, processed, sample_rate, max_latency_s)
    return found["latency"], found["strength"]


def measure_capture(clean: np.ndarray, processed: np.ndarray, sample_rate: int, max_latency_s: float = 0.5) -> dict:
    """`capture_response` on the loudest ≤30 s of clean (processed from the same start, + max_lag).

    Returns latency (response onset), peak_lag, strength (fraction of the processed energy explained by
    the best linear fit), h (the response, lags 0…) and max_lag.
    """
    max_lag = max(1, int(max_latency_s * sample_rate))
    length = min(len(clean), int(ALIGN_SECONDS * sample_rate))
    s = _loudest_window(clean, length)
    c = clean[s: s + length]
    p = processed[s: s + length + max_lag]
    found = capture_response(c, p, max_lag)
    found["max_lag"] = max_lag
    return found


def response_excerpt(h: np.ndarray, lag: int, before: int = RESPONSE_BEFORE, after: int = RESPONSE_AFTER) -> dict:
    """h over lags max(0, lag−32)…lag+256, normalised to max|h| = 1 (for the report's figure)."""
    start = max(0, lag - before)
    seg = np.asarray(h[start: lag + after + 1], np.float64)
    seg = seg / (np.max(np.abs(seg)) + 1e-30)
    return {"start_lag": int(start), "latency": int(lag), "values": [round(float(v), 4) for v in seg]}


def select_channel(data: np.ndarray, channel: str | int | None, path: str | Path) -> np.ndarray:
    """One signal from (T, C) audio: `left` = column 0, `right` = 1, `mean` = Σ/C, N = column N.

    Without `channel`, a multi-channel file must have (near-)identical channels: RMS within 1 dB and
    normalised correlation ≥ 0.99 (then they are averaged) — a device on one side and silence on the
    other would otherwise be averaged 6 dB too quiet. A mono file is used as it is whatever `channel` says.
    """
    n = data.shape[1]
    if n == 1:
        return np.ascontiguousarray(data[:, 0])
    if channel is None:
        levels = [rms_dbfs(data[:, i]) for i in range(n)]
        ref = data[:, 0].astype(np.float64)
        corr = min(float(np.dot(ref, data[:, i]) / (np.linalg.norm(ref) * np.linalg.norm(data[:, i]) + 1e-20))
                   for i in range(1, n))
        if max(levels) - min(levels) > CHANNEL_MAX_DB or corr < CHANNEL_MIN_CORRELATION:
            raise FxcoreError(f"its {n} channels differ (RMS {', '.join(f'{v:.1f}' for v in levels)} dBFS, "
                              f"correlation {corr:.3f})", path, "set options.channel: left|right|mean|N")
        channel = "mean"
    if channel == "mean":
        return np.ascontiguousarray(data.mean(axis=1))
    index = {"left": 0, "right": 1}.get(channel, channel) if isinstance(channel, str) else channel
    if not isinstance(index, int) or not 0 <= index < n:
        raise FxcoreError(f"channel {channel!r} does not exist (the file has {n} channels)", path,
                          f"set options.channel: left|right|mean or 0…{n - 1}")
    return np.ascontiguousarray(data[:, index])


def read_capture(path: str | Path, sample_rate: int, channel: str | int | None = None) -> np.ndarray:
    """read_audio (all channels) then `select_channel`."""
    data, _ = read_audio(path, sample_rate, mono=False)
    return select_channel(data, channel, path)


def is_positive_number(value: Any) -> bool:
    """True for a finite int/float > 0 (not a bool, not a string)."""
    return not isinstance(value, bool) and isinstance(value, (int, float)) and bool(np.isfinite(value)) and value > 0


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
    clean_esr = esr(clean[b:b + n], clean[a:a + n])
    if clean_esr > 1e-3:
        raise FxcoreError(f"the clean file does not repeat at {repeat['first_start_s']} s and "
                          f"{repeat['second_start_s']} s (ESR between the copies {clean_esr:.3g})", where,
                          "set options.repeat to the start times of the repeated section")
    p1, p2 = processed[a:a + n], processed[b:b + n]
    e = esr(p2, p1)
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
                          max_latency_s: float = 0.5, repeat_max_esr: float = 0.01,
                          channel: str | int | None = None) -> tuple[np.ndarray, np.ndarray, dict]:
    """Check a recorded clean/processed pair and return (clean, processed_aligned, report).

    - sample rates: both must be `sample_rate` (else FxcoreError naming the file);
    - channels: `channel` (left, right, mean or an index) picks one signal of each multi-channel file;
      without it, a file whose channels differ (> 1 dB RMS or correlation < 0.99) is an error;
    - latency: the onset of the impulse response estimated between clean and processed (see
      fxcore.dataset.response), or `latency` samples (the manual override), removed from processed;
      an alignment strength (explained-energy fraction) below 0.3 or an onset at/after max_latency_s
      is an error unless `latency` is set (then a warning);
    - lengths: the aligned processed audio must cover the clean file (±1 %); it is trimmed/zero-padded
      to the clean length;
    - silence/NaN (FxcoreError), clipping (fraction of samples within 0.1 dB of full scale) and
      noise floor (quietest 1 % of 2048-sample frames, dBFS) → report, warnings;
    - `repeat` = {first_start_s, second_start_s, seconds}: the clean file plays the same section
      twice; the ESR between the two processed copies measures how repeatable the device is.
    """
    where = str(processed_path)
    clean = read_capture(clean_path, sample_rate, channel)
    processed = read_capture(processed_path, sample_rate, channel)
    report: dict[str, Any] = {"clean_path": str(clean_path), "processed_path": where, "sample_rate": sample_rate,
                              "channel": channel, "warnings": []}
    for key, value in (("max_latency_s", max_latency_s), ("repeat_max_esr", repeat_max_esr)):
        if not is_positive_number(value):
            raise FxcoreError(f"{key} must be a positive number, not {value!r}", where, f"set options.{key} (or remove it)")
    if latency is not None and (not isinstance(latency, int) or isinstance(latency, bool) or latency < 0):
        raise FxcoreError(f"latency must be a non-negative integer (samples), not {latency!r}", where,
                          "set options.latency: null to detect it")
    found = measure_capture(clean, processed, sample_rate, max_latency_s)
    detected, strength = found["latency"], found["strength"]
    report["detected_latency"] = detected
    report["response_peak_lag"] = found["peak_lag"]
    report["alignment_strength"] = round(strength, 4)
    problem = None
    if strength < MIN_ALIGN_STRENGTH:
        problem = (f"weak alignment: the best linear fit explains {100 * strength:.1f} % of the processed energy "
                   f"(< {100 * MIN_ALIGN_STRENGTH:.0f} %) at any lag up to {max_latency_s:g} s",
                   "check the files belong together (same clean take, recording started in time) or set options.latency")
    elif max(detected, found["peak_lag"]) >= found["max_lag"] - 1 or found["global_peak_lag"] > found["max_lag"]:
        # the response's largest value lies beyond the search range (seen by the longer analysis frame)
        problem = (f"the detected latency ({detected} samples) is at the end of the search range "
                   f"(max_latency_s {max_latency_s:g} s): the true latency is likely longer",
                   "raise options.max_latency_s or set options.latency")
    if latency is None:
        if problem:
            raise FxcoreError(problem[0], where, problem[1])
        lag = detected
    else:
        lag = latency
        if problem:  # the user set the latency: their responsibility, but say what was seen
            _warn(report, problem[0])
        if abs(detected - latency) > 2:
            _warn(report, f"manual latency {latency} samples differs from the detected {detected} samples")
    report["response"] = response_excerpt(found["h"], lag)
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
