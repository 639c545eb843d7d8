"""Whole-config checks that need the effect hosts, the model registry and the audio files.

fxcore.config only parses (schema, types); this module builds each effect's backend and model once
to check them, so it sits above config, effects and models in the import graph.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import soundfile as sf

from .config import Config, build_config, check_segment, read_yaml
from .effects import make_backend
from .errors import FxcoreError, naming_config
from .models import build_model
from .synth import training_audio_files


def parse_config(raw: dict[str, Any], source: str = "config.yaml", check_backends: bool = True) -> Config:
    """`build_config`, then (check_backends) every effect's chain, model parameters, windows and training audio."""
    cfg = build_config(raw, source)
    if check_backends:
        check_config(cfg)
    return cfg


def load_config(path: str | Path, check_backends: bool = True) -> Config:
    """Read a YAML file and `parse_config` it."""
    cfg = parse_config(read_yaml(path), str(path), check_backends)
    if check_backends:
        check_hosts(cfg)
    return cfg


def check_config(cfg: Config) -> None:
    """Every effect's chain structure, model parameters and window length, and the training audio."""
    with naming_config(cfg.source):  # backends built while checking name this file in their errors
        _check_effects(cfg, cfg.source)
    _check_training_audio(cfg)


def _check_effects(cfg: Config, source: str) -> None:
    for e in cfg.effects.values():
        make_backend(e.backend, e.chain, e.options, e.name)  # validates the chain's structure
        try:
            model = build_model(e.model.name, e.model.params, cfg.sample_rate)  # checks params by name and type
        except FxcoreError as exc:
            raise FxcoreError(f"effect {e.name!r}: {exc}", source) from None
        check_segment(e.name, e.train, model.receptive_field, source)


def check_training_lengths(cfg: Config, extra_track_seconds: list[float], effects: list[str] | None = None) -> None:
    """Some training region must hold one training sequence: segment_samples (× sequence_chunks when sequential).

    Regions are split by time within each track, so the longest one is the longest track × split.train:
    a synthetic track (segments × segment_seconds), a training-audio file, or a recorded capture.
    """
    synthetic = max([cfg.synth.segments * cfg.synth.segment_seconds, *extra_track_seconds])
    for name in effects if effects is not None else list(cfg.effects):
        e = cfg.effect(name)
        seconds = synthetic
        if e.backend == "recorded":
            try:
                info = sf.info(str(e.options["clean"]))
                seconds = info.frames / cfg.sample_rate
            except Exception:  # unreadable or missing capture: the backend check names it
                continue
        longest = int(round(seconds * cfg.sample_rate * cfg.split.train))
        need = e.train.segment_samples * (e.train.sequence_chunks if e.train.sampler == "random_sequential" else 1)
        if need > longest:
            what = "train.segment_samples × sequence_chunks" if e.train.sampler == "random_sequential" else \
                "train.segment_samples"
            raise FxcoreError(f"effect {e.name!r}: {what} = {need} samples, but the longest training region is "
                              f"{longest} samples ({seconds:g} s × split.train {cfg.split.train:g})", cfg.source,
                              f"set train.segment_samples to at most {longest // max(1, need // e.train.segment_samples)}"
                              " or give it more audio")


def check_hosts(cfg: Config, effects: list[str] | None = None) -> None:
    """Check that the host programs/plugins of `effects` (default: all) exist on this machine.

    Separate from `parse_config` so that a missing LV2/SoX/REAPER host only stops the runs that
    need it: `snakemake results/fuzz/report.pdf` works on a machine with pedalboard alone.
    """
    for name in effects if effects is not None else list(cfg.effects):
        e = cfg.effect(name)
        make_backend(e.backend, e.chain, e.options, e.name, source=cfg.source).check_available()


def _check_training_audio(cfg: Config) -> None:
    """An explicitly set synth.training_audio folder must exist (a typo would drop the user's audio), its
    files must be readable, and some training region must hold a training window."""
    seconds = []
    for p in training_audio_files(cfg.synth.training_audio, cfg.source):
        try:
            seconds.append(sf.info(str(p)).duration)
        except Exception as exc:  # soundfile raises several types for unreadable files
            raise FxcoreError(f"cannot read training audio ({' '.join(str(exc).split())[:120]})", p,
                              "re-export it as WAV/FLAC or remove it from the training audio folder") from None
    check_training_lengths(cfg, seconds)
