"""The benchmark's clean/processed pairs, made with fxcore's own synthesiser, renderer and aligner.

Each pair is one synthetic track (`seconds` long, `seed`) rendered through one effect of
config.yaml, aligned by the click train like the workflow does, and split in time order:
train, validation, then the last `held_out` fraction as the test set no system trains on.
`make_material_pair` makes the generalisation benchmark's pairs from instrument pieces instead
(fxcore.material: train, validation and test are different instruments and notes).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fxcore import material
from fxcore.atomic import write_text
from fxcore.audio import write_audio
from fxcore.config import Config, EffectConfig, SplitConfig
from fxcore.dataset import build_dataset
from fxcore.effects.render import render_files
from fxcore.errors import FxcoreError
from fxcore.synth import click_train, sweep_excitation, synthesize_track


@dataclass(frozen=True)
class Pair:
    """A benchmark pair: its key, a label and the config.yaml effect that renders it."""

    key: str
    label: str
    effect: str
    metric: str = "esr"  # the headline metric: esr, or mel_distance for pitch shift


PAIRS: dict[str, Pair] = {p.key: p for p in (
    Pair("a", "Distortion(25 dB) + Gain(-10)", "distortion"),
    Pair("b", "Gain(20) + Clipping(-12) + LPF(3500) (fuzz)", "fuzz"),
    Pair("c", "Compressor (1 ms attack) + make-up gain", "compression"),
    Pair("d", "default amp_cab chain", "amp_cab"),
    Pair("e", "HighpassFilter(400)", "highpass"),
    Pair("chorus", "Chorus(1 Hz, depth .25, 7 ms, mix .5)", "chorus"),
    Pair("delay", "Delay(250 ms, feedback .4, mix .35)", "delay"),
    Pair("reverb", "Reverb(room .5, wet .33)", "reverb"),
    Pair("octave", "PitchShift(-12)", "octave", metric="mel_distance"),
)}


def parse_keys(text: str, valid: Iterable[str], what: str) -> list[str]:
    """'a,b,delay' → ['a', 'b', 'delay'], with a one-line error naming the valid keys of `what` (pair, row, ...)."""
    valid = list(valid)
    keys = [k.strip() for k in text.split(",") if k.strip()]
    bad = [k for k in keys if k not in valid]
    if bad or not keys:
        raise FxcoreError(f"unknown benchmark {what}(s) {bad or text!r}", None, f"use keys from {', '.join(valid)}")
    return keys


def parse_pairs(text: str) -> list[Pair]:
    """'a,b,delay' → the pairs, with a one-line error naming the valid keys."""
    return [PAIRS[k] for k in parse_keys(text, PAIRS, "pair")]


RENDERED = "render.json"  # the effect (host, chain, options) a work folder's dataset was rendered with


def _rendered_with(work: Path, effect: EffectConfig) -> bool:
    """True if `work` holds a dataset rendered with exactly this effect; else clears any stale one."""
    stamp = work / RENDERED
    done = (work / "dataset" / "manifest.json").exists() and stamp.exists()
    if done and stamp.read_text() == effect.render.to_json():
        return True
    shutil.rmtree(work / "dataset", ignore_errors=True)  # a changed chain or control must re-render
    return False


def make_pair(cfg: Config, effect: EffectConfig, work: Path, seconds: float, seed: int,
              held_out: float = 0.2, val: float = 0.1) -> Path:
    """Synthesise, render, align and split one pair into `work/dataset` (reused if already there)."""
    dataset = work / "dataset"
    if _rendered_with(work, effect):
        return dataset
    sr = cfg.sample_rate
    segment = 10.0 if seconds >= 10 else seconds
    clean = synthesize_track(seed, max(1, int(round(seconds / segment))), segment, sr)
    files = {k: work / f"{k}.wav" for k in ("clean", "processed", "clicks", "clicks_processed")}
    write_audio(files["clean"], clean, sr, subtype="FLOAT")
    write_audio(files["clicks"], click_train(sr), sr, subtype="FLOAT")
    render_files(effect, sr, [files["clean"], files["clicks"]], [files["processed"], files["clicks_processed"]],
                 progress=False)
    split = SplitConfig(train=1.0 - held_out - val, val=val, test=held_out)
    build_dataset(dataset, {"bench": (files["clean"], files["processed"])},
                  (files["clicks"], files["clicks_processed"]), split, sr)
    write_text(work / RENDERED, effect.render.to_json())
    return dataset


SPLITS = ("train", "val", "test")


def material_dir(work: Path, key: str, piece_s: float, seed: int, sweep_s: float = 0.0) -> Path:
    """Where one material pair of `key` is rendered: its name holds everything its clean take depends on."""
    return work / (f"{key}-{piece_s:g}s-seed{seed}" + (f"-sweep{sweep_s:g}s" if sweep_s > 0 else ""))


def make_material_pair(cfg, effect, work: Path, piece_s: float, synth_s: float, seed: int,
                       test_set: str = "test", sweep_s: float = 0.0) -> Path:
    """Join train/val/test pieces into one take, render it through `effect`, split at piece boundaries.

    `test_set`: the fxcore.material set held out as the test split ('dev' for bench/dev.py's pairs).
    `sweep_s`: seconds of full-range sine sweeps (fxcore.synth.sweep_excitation) opening the train split.
    """
    dataset = work / "dataset"
    if _rendered_with(work, effect):
        return dataset
    sr = cfg.sample_rate
    cache = work.parent / "material-cache"
    sets = {"train": "train", "val": "val", "test": test_set}
    parts = {s: [material.render_piece(p, sr, cache) for p in material.pieces(sets[s], piece_s)] for s in SPLITS}
    parts["train"].insert(0, synthesize_track(seed, 1, synth_s, sr))
    if sweep_s > 0:
        parts["train"].insert(0, sweep_excitation(sweep_s, sr))
    lengths = {s: sum(len(a) for a in v) for s, v in parts.items()}
    clean = np.concatenate([a for s in SPLITS for a in parts[s]]).astype(np.float32)
    work.mkdir(parents=True, exist_ok=True)
    files = {k: work / f"{k}.wav" for k in ("clean", "processed", "clicks", "clicks_processed")}
    write_audio(files["clean"], clean, sr, subtype="FLOAT")
    write_audio(files["clicks"], click_train(sr), sr, subtype="FLOAT")
    render_files(effect, sr, [files["clean"], files["clicks"]], [files["processed"], files["clicks_processed"]],
                 progress=False)
    n = len(clean)
    split = SplitConfig(train=lengths["train"] / n, val=lengths["val"] / n, test=lengths["test"] / n)
    build_dataset(dataset, {"take": (files["clean"], files["processed"])},
                  (files["clicks"], files["clicks_processed"]), split, sr)
    write_text(work / RENDERED, effect.render.to_json())
    return dataset
