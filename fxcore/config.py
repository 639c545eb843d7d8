"""Typed configuration: `config.yaml` is validated against a JSON schema here, once, at the edge.

The checks that need the effect hosts, the model registry or the audio files live in fxcore.validate,
which imports this module (never the other way round).

Everything past this module receives dataclasses, never raw dicts. Per-effect `model` and `train`
settings override `defaults` key by key.
"""

from __future__ import annotations

import copy
import json
from dataclasses import asdict, dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .errors import FxcoreError


@dataclass(frozen=True)
class SynthConfig:
    """How much synthetic clean audio to make."""

    tracks: int
    segments: int
    segment_seconds: float = 10.0
    training_audio: str | None = None  # None (not set): the folder training_audio/ if it exists


@dataclass(frozen=True)
class SplitConfig:
    """Fractions of each track's duration, in time order: train, then val, then test."""

    train: float
    val: float
    test: float


@dataclass(frozen=True)
class ModelConfig:
    """A registered model name and its constructor parameters."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LossConfig:
    """ESR (with optional pre-emphasis) + optional DC and multi-resolution STFT terms."""

    pre_emphasis: float | None = 0.95
    esr_weight: float = 1.0
    mrstft_weight: float = 0.0
    dc_weight: float = 0.0


@dataclass(frozen=True)
class TrainConfig:
    """Training recipe for one effect; these defaults are the project's (config.yaml restates them)."""

    device: str = "auto"  # cuda if visible, else cpu
    sampler: str = "random_windows"  # or random_sequential (truncated BPTT, for recurrent models)
    segment_samples: int = 4096
    warmup_samples: int = 0
    sequence_chunks: int = 8
    batch_size: int = 8
    lr: float = 4e-3
    lr_decay: float = 0.01  # lr decays exponentially to lr × lr_decay over the schedule
    lr_schedule: str = "steps"  # decay over max_steps, or "budget": over whichever of steps/seconds ends first
    max_steps: int = 9000  # the stop: ≈ 120 s for the default model on a 2-core CPU
    max_seconds: float = 1800.0  # a safety cap only: a run it ends depends on the machine's load
    val_every: int = 200
    checkpoint_every: int = 1000
    patience: int = 40  # validations without improvement before early stopping
    threads: int = 0
    loss: LossConfig = field(default_factory=LossConfig)

    def warmup(self, receptive_field: int) -> int:
        """Samples at the start of a fresh window left out of the loss: warmup_samples, at least the model's reach."""
        return max(self.warmup_samples, receptive_field - 1)


class _CanonicalJson:
    """Mixin for config dataclasses: canonical JSON, what a rule's params hold and Snakemake compares."""

    def to_json(self) -> str:
        """This dataclass as JSON with sorted keys."""
        return json.dumps(asdict(self), sort_keys=True)  # type: ignore[call-overload]


@dataclass(frozen=True)
class RenderConfig(_CanonicalJson):
    """What the effect-rendering stage depends on: the host, its chain and options."""

    name: str
    backend: str
    chain: list[dict[str, Any]]
    options: dict[str, Any]

    @classmethod
    def from_json(cls, text: str) -> "RenderConfig":
        """Inverse of `to_json`."""
        return cls(**json.loads(text))


@dataclass(frozen=True)
class Recipe(_CanonicalJson):
    """What a trained model depends on besides its dataset: the effect's name (its seed), model, recipe."""

    name: str
    model: ModelConfig
    train: TrainConfig

    @classmethod
    def from_json(cls, text: str) -> "Recipe":
        """Inverse of `to_json`."""
        d = json.loads(text)
        return cls(name=d["name"], model=ModelConfig(**d["model"]), train=_train_config(d["train"]))


@dataclass(frozen=True)
class EffectConfig(_CanonicalJson):
    """One effect: how to render it (backend + chain) and how to model it."""

    name: str
    backend: str
    chain: list[dict[str, Any]]
    options: dict[str, Any]
    model: ModelConfig
    train: TrainConfig

    @property
    def render(self) -> RenderConfig:
        """The part of this config that the rendering stage reads."""
        return RenderConfig(self.name, self.backend, self.chain, self.options)

    @property
    def recipe(self) -> Recipe:
        """The part of this config that the training stage reads."""
        return Recipe(self.name, self.model, self.train)

    @classmethod
    def from_json(cls, text: str) -> "EffectConfig":
        """Inverse of `to_json`."""
        d = json.loads(text)
        return cls(name=d["name"], backend=d["backend"], chain=d["chain"], options=d["options"],
                   model=ModelConfig(**d["model"]), train=_train_config(d["train"]))


@dataclass(frozen=True)
class ReportConfig:
    """Report options: a line of the user's own on every report's title page (gear, session, take)."""

    notes: str = ""


@dataclass(frozen=True)
class ListenConfig:
    """Listening page options: ABX trials per run and the length of each loudness-matched excerpt."""

    trials: int = 12
    excerpt_seconds: float = 5.0


@dataclass(frozen=True)
class Config:
    """The whole workflow configuration."""

    sample_rate: int
    seed: int
    synth: SynthConfig
    split: SplitConfig
    effects: dict[str, EffectConfig]
    report: ReportConfig = field(default_factory=ReportConfig)
    listen: ListenConfig = field(default_factory=ListenConfig)
    source: str = "config.yaml"  # the file it was read from, named by errors

    def effect(self, name: str) -> EffectConfig:
        """One effect's config, with a one-line error for unknown names."""
        if name not in self.effects:
            raise FxcoreError(f"unknown effect {name!r}", self.source,
                              f"use one of {', '.join(self.effects)} or add it under `effects:`")
        return self.effects[name]


def _schema() -> dict[str, Any]:
    return json.loads(resources.files("fxcore").joinpath("schemas/config.schema.json").read_text())


def _merge(base: dict[str, Any], override: dict[str, Any] | None) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in (override or {}).items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


def _effect_model(default: dict[str, Any], override: dict[str, Any] | None) -> dict[str, Any]:
    """Same model name (or none given): params merge over the defaults; another name: its own params."""
    if not override:
        return default
    if override.get("name", default["name"]) == default["name"]:
        return _merge(default, override)
    return override


def _train_config(d: dict[str, Any]) -> TrainConfig:
    d = dict(d)
    d["loss"] = LossConfig(**d.get("loss", {}))
    return TrainConfig(**d)


def build_config(raw: dict[str, Any], source: str = "config.yaml") -> Config:
    """Validate a raw config mapping against the schema and build the typed `Config` (fxcore.validate checks the rest)."""
    if not isinstance(raw, dict):
        raise FxcoreError("config is not a mapping", source, "start from the shipped config.yaml")
    try:
        jsonschema.validate(raw, _schema())
    except jsonschema.ValidationError as exc:
        where = ".".join(str(p) for p in exc.absolute_path) or "(top level)"
        raise FxcoreError(f"invalid config at {where}: {exc.message}", source,
                          "see the config format in README.md") from None
    split = SplitConfig(**raw["split"])
    if abs(split.train + split.val + split.test - 1.0) > 1e-6:
        raise FxcoreError(f"split fractions sum to {split.train + split.val + split.test:g}, not 1", source,
                          "make split.train + split.val + split.test = 1")
    defaults_train = {f.name: getattr(TrainConfig(), f.name) for f in fields(TrainConfig) if f.name != "loss"}
    defaults_train["loss"] = asdict(LossConfig())
    defaults_train = _merge(defaults_train, raw["defaults"]["train"])
    effects = {}
    for name, e in raw["effects"].items():
        model = _effect_model(raw["defaults"]["model"], e.get("model"))
        effects[name] = EffectConfig(
            name=name, backend=e["backend"], chain=list(e.get("chain", [])), options=dict(e.get("options", {})),
            model=ModelConfig(name=model["name"], params=dict(model.get("params", {}))),
            train=_train_config(_merge(defaults_train, e.get("train"))),
        )
    cfg = Config(sample_rate=raw["sample_rate"], seed=raw["seed"], synth=SynthConfig(**raw["synth"]),
                 split=split, effects=effects, report=ReportConfig(**raw.get("report", {})),
                 listen=ListenConfig(**raw.get("listen", {})), source=str(source))
    return cfg


def check_segment(effect: str, tc: TrainConfig, receptive_field: int, source: str | Path = "config.yaml") -> None:
    """Training windows must be longer than the warm-up (the model's receptive field or warmup_samples)."""
    warmup = tc.warmup(receptive_field)
    if warmup >= tc.segment_samples:
        raise FxcoreError(f"effect {effect!r}: train.segment_samples ({tc.segment_samples}) must exceed the "
                          f"warm-up ({warmup}: the model's receptive field or train.warmup_samples)",
                          source, f"set train.segment_samples above {warmup}")


def read_config(path: str | Path) -> Config:
    """Read a YAML file and `build_config` it (no host, model or audio checks: see fxcore.validate)."""
    return build_config(read_yaml(path), str(path))


def read_yaml(path: str | Path) -> Any:
    """Parse a YAML file; a syntax error names the line and column."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise FxcoreError("config file not found", path, "pass --configfile with an existing file") from None
    except IsADirectoryError:
        raise FxcoreError("the config path is a folder", path, "pass the YAML file, e.g. config.yaml") from None
    except UnicodeDecodeError:
        raise FxcoreError("config file is not text (not UTF-8)", path, "pass the YAML file, e.g. config.yaml") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        ctx = exc.context_mark
        context = f" ({exc.context} at line {ctx.line + 1})" if exc.context and ctx and mark is not ctx else ""
        raise FxcoreError(f"not valid YAML{where}: {exc.problem or exc.context}{context}", path,
                          "fix the YAML syntax there (indent with spaces, close brackets and quotes)") from None
    except yaml.YAMLError as exc:
        raise FxcoreError(f"not valid YAML ({str(exc).splitlines()[0]})", path, "fix the YAML syntax") from None
    return raw
