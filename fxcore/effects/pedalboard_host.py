"""The embedded default host: Spotify pedalboard's built-in processors, by class name."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pedalboard

from .base import MAX_PEAK, EffectBackend, fit_length, register_backend

_PROBE_RATE = 48000


def _builtin_processors() -> dict[str, type]:
    return {n: c for n, c in vars(pedalboard).items()
            if inspect.isclass(c) and issubclass(c, pedalboard.Plugin)
            and c not in (pedalboard.Plugin, pedalboard.Pedalboard)
            and not issubclass(c, pedalboard.PluginContainer) and not n.startswith("_")
            and n not in ("ExternalPlugin", "VST3Plugin", "AudioUnitPlugin")}


@register_backend("pedalboard")
class PedalboardBackend(EffectBackend):
    """Chain of pedalboard built-ins: `[{Gain: {gain_db: 20}}, {Clipping: {threshold_db: -12}}]`."""

    def __init__(self, chain: list[dict[str, Any]], options: dict[str, Any], effect: str):
        super().__init__(chain, options, effect)
        self.board = self._build()
        self._check_finite()

    def _check_finite(self) -> None:
        """Refuse a chain that overflows on a full-scale sine (e.g. `Gain: {gain_db: 1000}`) before any job runs.

        pedalboard exposes no parameter ranges, so the chain is measured instead; the render stage
        checks every real file too.
        """
        probe = (np.sin(2 * np.pi * 440 / _PROBE_RATE * np.arange(_PROBE_RATE // 10))).astype(np.float32)
        peak = float(np.max(np.abs(self.process(probe, _PROBE_RATE))))
        if not np.isfinite(peak) or peak > MAX_PEAK:
            shown = "NaN/inf" if not np.isfinite(peak) else f"{20 * np.log10(peak):+.0f} dBFS"
            raise self._fail(f"the chain overflows: a full-scale sine comes out at {shown}",
                             "lower the chain's gain (e.g. a Gain step's gain_db)")

    def _build(self) -> pedalboard.Pedalboard:
        known = _builtin_processors()
        plugins = []
        for i, step in enumerate(self.chain):
            if not isinstance(step, dict) or len(step) != 1:
                raise self._fail(f"chain step {i} must be a one-key mapping like {{Gain: {{gain_db: 6}}}}",
                                 "write each step as `- ProcessorName: {param: value}`")
            (proc, params), = step.items()
            if proc not in known:
                raise self._fail(f"unknown pedalboard processor {proc!r}",
                                 f"use one of {', '.join(sorted(known))}")
            try:
                plugins.append(known[proc](**(params or {})))
            except (TypeError, ValueError) as exc:
                raise self._fail(f"bad parameters for {proc}: {exc}",
                                 f"see help(pedalboard.{proc}) for its parameters") from None
        return pedalboard.Pedalboard(plugins)

    def process(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        self.board.reset()
        out = self.board(audio[None, :].astype(np.float32), sample_rate, reset=True)
        return fit_length(np.asarray(out, dtype=np.float32).mean(axis=0), len(audio))
