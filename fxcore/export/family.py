"""What a family's C emitter returns, and the registry of emitters (model name → emitter)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..errors import FxcoreError
from ..models import EffectModel


@dataclass
class CModel:
    """A model as C: `code` defines Model, model_init/reset/process/free (see c/plugin.c).

    latency: samples the plugin reports on its latency port (the model's look-ahead);
    method: one line on how it is computed (goes into the plugin's description).
    """

    code: str
    latency: int
    method: str


Emitter = Callable[[EffectModel], CModel]
_EMITTERS: dict[str, Emitter] = {}


def register_emitter(*names: str) -> Callable[[Emitter], Emitter]:
    """Decorator: `fn` writes the C code of the models registered under `names`."""

    def wrap(fn: Emitter) -> Emitter:
        for n in names:
            _EMITTERS[n] = fn
        return fn

    return wrap


def emitter(name: str) -> Emitter:
    """The emitter for a model family, or a one-line error naming the families that export."""
    if name not in _EMITTERS:
        raise FxcoreError(f"model family {name!r} cannot be exported as a plugin yet", None,
                          f"families that export: {', '.join(sorted(_EMITTERS))}")
    return _EMITTERS[name]
