"""The contract every effect model follows, and the name → class registry."""

from __future__ import annotations

from typing import Any, Callable, ClassVar

import numpy as np
import torch
from torch import nn

from ..errors import FxcoreError
from .params import check_params

State = Any

_REGISTRY: dict[str, type["EffectModel"]] = {}


def register_model(name: str) -> Callable[[type["EffectModel"]], type["EffectModel"]]:
    """Class decorator: make a model buildable from config by `name`."""

    def wrap(cls: type[EffectModel]) -> type[EffectModel]:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise RuntimeError(f"model name {name!r} registered twice")
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return wrap


def model_names() -> list[str]:
    """Names of all registered models."""
    return sorted(_REGISTRY)


def model_class(name: str) -> type["EffectModel"]:
    """Look up a registered model class, with a one-line error for unknown names."""
    if name not in _REGISTRY:
        raise FxcoreError(f"unknown model {name!r}", None, f"use one of {', '.join(model_names())}")
    return _REGISTRY[name]


def build_model(name: str, params: dict[str, Any], sample_rate: int) -> "EffectModel":
    """Config → model in one place: `name` from the registry, `params` checked against its signature."""
    cls = model_class(name)
    check_params(name, cls, params)
    try:
        return cls(sample_rate=sample_rate, **params)
    except TypeError as exc:
        raise FxcoreError(f"bad parameters for model {name!r}: {exc}", None,
                          f"see the docstring of {cls.__module__}.{cls.__name__}") from None


class EffectModel(nn.Module):
    """A causal mono audio model: y[t] = f(x[≤t]) — time-variant models also see absolute time.

    forward(x, state, start) maps x (B, T) → y (B, T) and returns the state needed to continue on
    the next consecutive chunk (None = start from silence). `start` (B,) is the index of x[:, 0]
    within its track, for models whose behaviour depends on absolute time (an LFO's phase).
    """

    name: ClassVar[str] = ""
    selects: ClassVar[bool] = False  # True for `auto`: a selection step registered for config checks, not a model
    replaced_params: ClassVar[dict[str, str]] = {}  # a parameter that was removed → the fix its error names
    render_chunk: ClassVar[int] = 1 << 16  # samples per forward call in `render`

    def __init__(self, sample_rate: int):
        super().__init__()
        self.sample_rate = int(sample_rate)

    def forward(self, x: torch.Tensor, state: State = None,
                start: torch.Tensor | None = None) -> tuple[torch.Tensor, State]:  # pragma: no cover
        raise NotImplementedError

    @property
    def receptive_field(self) -> int:
        """Samples of past input that one output sample depends on (1 for memoryless/recurrent)."""
        return 1

    @property
    def lookahead(self) -> int:
        """Samples of future input one output sample depends on (0: causal; a plugin reports it as latency)."""
        return 0

    @property
    def recurrent(self) -> bool:
        """True if the model carries hidden state that needs a warm-up (TBPTT-style training)."""
        return False

    def initialise(self, clean: np.ndarray, target: np.ndarray) -> None:
        """Optional data-driven initialisation before training (closed-form fits); default: none."""

    def diagnostics(self, clean: np.ndarray, target: np.ndarray) -> list[dict[str, Any]]:
        """Curves that show *why* a structured model works, learned vs measured from the data.

        Each dict: title, xlabel, ylabel, x, learned, measured (1-D arrays; measured may be None).
        Black-box models have none.
        """
        return []

    def detach_state(self, state: State) -> State:
        """Cut the autograd graph of a state between truncated-BPTT chunks."""
        return _detach(state)

    @torch.no_grad()
    def render(self, x: np.ndarray, chunk: int | None = None, start: int = 0) -> np.ndarray:
        """Process a whole (T,) signal in consecutive chunks, carrying state; returns float32 (T,)."""
        was_training = self.training
        self.eval()
        device = next(self.parameters()).device
        out = np.empty(len(x), dtype=np.float32)
        chunk = chunk or self.render_chunk
        state: State = None
        for i in range(0, len(x), chunk):
            xb = torch.from_numpy(np.array(x[i:i + chunk], dtype=np.float32))[None].to(device)
            st = torch.tensor([start + i], device=device)
            yb, state = self(xb, state, st)
            out[i:i + chunk] = yb[0].float().cpu().numpy()
        self.train(was_training)
        return out

    def num_parameters(self) -> int:
        """Trainable parameter count."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)


def _detach(state: State) -> State:
    if state is None:
        return None
    if isinstance(state, torch.Tensor):
        return state.detach()
    if isinstance(state, (tuple, list)):
        return type(state)(_detach(s) for s in state)
    if isinstance(state, dict):
        return {k: _detach(v) for k, v in state.items()}
    return state


def with_context(x: torch.Tensor, state: torch.Tensor | None, context: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Prepend `context` past input samples (the state, or silence) to x (B, T); return (padded, next state).

    Convolutional models keep the last receptive_field−1 input samples as their streaming state.
    """
    if context <= 0:
        return x, None
    past = x.new_zeros(x.shape[0], context) if state is None else state
    padded = torch.cat([past, x], dim=1)
    return padded, padded[:, -context:]
