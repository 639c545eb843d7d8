"""Typed configuration: `config.yaml` is validated against a JSON schema here, once, at the edge.

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

from .errors import FxcoreError, naming_config


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
    """Training recipe for one effect."""

    device: str = "auto"
    sampler: str = "random_windows"
    segment_samples: int = 8192
    warmup_samples: int = 0
    sequence_chunks: int = 8
    batch_size: int = 16
    lr: float = 4e-3
    lr_decay: float = 0.5
    lr_schedule: str = "steps"  # decay over max_steps, or "budget": over whichever of steps/seconds ends first
    max_steps: int = 2000
    max_seconds: float = 300.0
    val_every: int = 100
    checkpoint_every: int = 100
    patience: int = 8
    threads: int = 0
    loss: LossConfig = field(default_factory=LossConfig)


@dataclass(frozen=True)
class EffectConfig:
    """One effect: how to render it (backend + chain) and how to model it."""

    name: str
    backend: str
    chain: list[dict[str, Any]]
    options: dict[str, Any]
    model: ModelConfig
    train: TrainConfig

    def to_json(self) -> str:
        """Canonical JSON (sorted keys) — also what Snakemake compares to decide on reruns."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "EffectConfig":
        """Inverse of `to_json`."""
        d = json.loads(text)
        train = dict(d["train"])
        train["loss"] = LossConfig(**train["loss"])
        return cls(name=d["name"], backend=d["backend"], chain=d["chain"], options=d["options"],
                   model=ModelConfig(**d["model"]), train=TrainConfig(**train))


@dataclass(frozen=True)
class Config:
    """The whole workflow configuration."""

    sample_rate: int
    seed: int
    synth: SynthConfig
    split: SplitConfig
    effects: dict[str, EffectConfig]
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


def parse_config(raw: dict[str, Any], source: str = "config.yaml", check_backends: bool = True) -> Config:
    """Validate a raw config mapping against the schema and build the typed `Config`."""
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
                 split=split, effects=effects, source=str(source))
    if check_backends:
        with naming_config(source):  # backends built while checking name this file in their errors
            _check_effects(cfg, source)
        _check_training_audio(cfg)
    return cfg


def _check_effects(cfg: Config, source: str) -> None:
    from .effects import make_backend
    from .models import model_class

    for e in cfg.effects.values():
        make_backend(e.backend, e.chain, e.options, e.name)  # validates the chain's structure
        try:
            model_class(e.model.name)
        except FxcoreError as exc:
            raise FxcoreError(f"effect {e.name!r}: {exc}", source) from None


def check_hosts(cfg: Config, effects: list[str] | None = None) -> None:
    """Check that the host programs/plugins of `effects` (default: all) exist on this machine.

    Separate from `parse_config` so that a missing LV2/SoX/REAPER host only stops the runs that
    need it: `snakemake results/fuzz/report.pdf` works on a machine with pedalboard alone.
    """
    from .effects import make_backend

    for name in effects if effects is not None else list(cfg.effects):
        e = cfg.effect(name)
        make_backend(e.backend, e.chain, e.options, e.name, source=cfg.source).check_available()


def _check_training_audio(cfg: Config) -> None:
    """An explicitly set synth.training_audio folder must exist (a typo would drop the user's audio)."""
    from .synth import training_audio_files

    training_audio_files(cfg.synth.training_audio, cfg.source)


def load_config(path: str | Path, check_backends: bool = True) -> Config:
    """Read a YAML file and `parse_config` it."""
    path = Path(path)
    raw = read_yaml(path)
    cfg = parse_config(raw, str(path), check_backends)
    if check_backends:
        check_hosts(cfg)
    return cfg


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
