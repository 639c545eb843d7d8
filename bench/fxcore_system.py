"""fxcore as a benchmark system: the effect's model and recipe from config.yaml, under a time budget."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from fxcore.config import EffectConfig, ModelConfig
from fxcore.dataset import Dataset
from fxcore.model_io import load_model
from fxcore.auto import fit_effect

from .scoring import Result, score
from .streaming import render_speed


def train_fxcore(effect: EffectConfig, pair: str, dataset_dir: Path, out_dir: Path, budget_s: float, seed: int,
                 system: str = "fxcore", stream_blocks: tuple[int, ...] = ()) -> Result:
    """Train `effect`'s model for `budget_s` wall seconds; score it on the held-out split.

    The step budget and early stopping are lifted so the wall-clock budget binds, as it does for
    NAM; the learning-rate schedule then decays over the time budget (see fxcore.train), and the
    weights kept are the best on the validation split. The budget counts the model's closed-form fit
    (and `auto`'s selection): a fit that outlasts it leaves the fit alone. `stream_blocks`: block sizes to time the
    model streaming at (bench/streaming.py).
    """
    train = replace(effect.train, max_seconds=float(budget_s), max_steps=10**7, lr_schedule="budget",
                    checkpoint_every=10**9, patience=10**9)
    cfg = replace(effect, train=train)
    facts = fit_effect(dataset_dir, cfg, out_dir, seed, progress=False)
    data = Dataset(dataset_dir)
    m = load_model(Path(out_dir) / "model.safetensors")
    metrics, rtf = score(lambda x, start: m.render(x, start=start), data)
    train_samples = sum(r.length for r in data.split("train"))
    epochs = facts["steps"] * cfg.train.batch_size * cfg.train.segment_samples / max(train_samples, 1)
    return Result(pair, effect.name, system, _describe(cfg.model), facts["parameters"], facts["seconds"],
                  epochs, metrics, rtf, steps=int(facts["steps"]),
                  stream={b: render_speed(lambda x, blk: m.render(x, chunk=blk), b, data.sample_rate)
                          for b in stream_blocks})


def _describe(model: ModelConfig) -> str:
    """The model's name, with its switches (e.g. dynamics) — the full params are in its train.json."""
    flags = [k for k, v in model.params.items() if v is True]
    return "+".join([model.name, *flags])
