"""The `recorded` effect: a user's own capture of a real device, named by its options and checked to exist.

It renders nothing (`process` raises): the capture is a dataset source, read, aligned and checked by
fxcore.dataset.capture, which also documents the options.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from ..dataset.capture import CHANNEL_NAMES, OPTION_KEYS, REPEAT_KEYS, is_positive_number, prepare_recorded_pair
from .base import EffectBackend, register_backend


@register_backend("recorded")
class RecordedBackend(EffectBackend):
    """Options `clean:` and `processed:` name a pair the user recorded through the real device."""

    def __init__(self, chain: list[dict[str, Any]], options: dict[str, Any], effect: str):
        super().__init__(chain, options, effect)
        if chain:
            raise self._fail("a recorded effect has no chain", "remove `chain:` and set options.clean / options.processed")
        unknown = set(options) - OPTION_KEYS
        if unknown:
            raise self._fail(f"unknown option(s) {', '.join(sorted(unknown))}", f"use only {', '.join(sorted(OPTION_KEYS))}")
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
        self.max_latency_s = self._positive("max_latency_s", 0.5)
        self.repeat_max_esr = self._positive("repeat_max_esr", 0.01)
        self.channel = options.get("channel")
        if self.channel is not None and self.channel not in CHANNEL_NAMES and (
                not isinstance(self.channel, int) or isinstance(self.channel, bool) or self.channel < 0):
            raise self._fail(f"options.channel must be left, right, mean or a channel index ≥ 0, not {self.channel!r}",
                             "set options.channel: left|right|mean|N")
        self.check_available()

    def _positive(self, key: str, default: float) -> float:
        value = self.options.get(key, default)
        if not is_positive_number(value):
            raise self._fail(f"options.{key} must be a positive number, not {value!r}",
                             f"set options.{key}: {default} (or remove it)")
        return float(value)

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
                                     max_latency_s=self.max_latency_s, repeat_max_esr=self.repeat_max_esr,
                                     channel=self.channel)

    def process(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        raise self._fail("a recorded effect cannot render new audio: its processed audio comes from "
                         f"{self.processed_path}", "use prepare_recorded_pair / RecordedBackend.prepare for this effect")
