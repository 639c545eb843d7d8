"""The contract every effect host follows, and the name → backend registry.

A backend turns a clean mono signal into the processed one. Hosts plug in by subclassing
`EffectBackend` and decorating with `@register_backend("name")`; the rules never change.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Callable, ClassVar

import numpy as np

from ..errors import FxcoreError, config_source, naming_config

_REGISTRY: dict[str, type["EffectBackend"]] = {}
# Rendered audio louder than this (+120 dBFS) is an overflowing chain, not an effect worth modelling.
MAX_PEAK = 1e6


def register_backend(name: str) -> Callable[[type["EffectBackend"]], type["EffectBackend"]]:
    """Class decorator: make a backend selectable with `backend: name` in the config file."""

    def wrap(cls: type[EffectBackend]) -> type[EffectBackend]:
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return wrap


def backend_names() -> list[str]:
    """Names of all registered backends."""
    return sorted(_REGISTRY)


def make_backend(name: str, chain: list[dict[str, Any]], options: dict[str, Any] | None = None,
                 effect: str = "?", source: str | None = None) -> "EffectBackend":
    """Build (and validate) the backend `name` for one effect's chain; errors name `source` (the config file)."""
    if source is not None:
        with naming_config(source):
            return make_backend(name, chain, options, effect)
    if name not in _REGISTRY:
        raise FxcoreError(f"effect {effect!r}: unknown backend {name!r}", config_source(),
                          f"use one of {', '.join(backend_names())}")
    return _REGISTRY[name](chain, options or {}, effect)


class EffectBackend(ABC):
    """Renders one effect chain. Constructing it validates the chain (fail before any job runs)."""

    name: ClassVar[str] = ""

    def __init__(self, chain: list[dict[str, Any]], options: dict[str, Any], effect: str):
        self.chain = chain
        self.options = options
        self.effect = effect
        self.source = config_source()  # the config file its errors name, fixed when it is built

    def check_available(self) -> None:
        """Raise FxcoreError if the host program/plugin is missing on this machine."""

    @abstractmethod
    def process(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        """Process mono float32 (T,) audio; return mono float32 (T,) of the same length."""

    @property
    def reported_latency(self) -> int:
        """Latency in samples the host reports (0 if unknown); alignment also measures it."""
        return 0

    def _check_plugin_options(self, allowed: set[str], empty_chain_fix: str) -> str:
        """Shared checks of plugin hosts: a non-empty chain, known option keys; returns the downmix mode."""
        if not self.chain:
            raise self._fail("the chain is empty", empty_chain_fix)
        unknown = set(self.options) - allowed
        if unknown:
            raise self._fail(f"unknown option(s) {', '.join(sorted(unknown))}", f"use only {', '.join(sorted(allowed))}")
        downmix = self.options.get("downmix", "mean")
        if downmix not in ("mean", "left"):
            raise self._fail(f"downmix must be mean or left, not {downmix!r}", "set options.downmix: mean")
        return downmix

    def _fail(self, message: str, fix: str) -> FxcoreError:
        return FxcoreError(f"effect {self.effect!r} ({self.name}): {message}", self.source, fix)


def fit_length(audio: np.ndarray, length: int) -> np.ndarray:
    """Trim or zero-pad a rendered (T,) signal to `length` samples."""
    if len(audio) >= length:
        return audio[:length]
    return np.concatenate([audio, np.zeros(length - len(audio), dtype=audio.dtype)])
