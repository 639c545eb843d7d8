"""Neural Amp Modeler as a benchmark system: NAM's own recipes, trained by NAM's own Lightning module.

NAM is optional (`pip install -e ".[bench]"`). The recipes are the ones NAM ships, verbatim, in
bench/nam_recipes/ (each file's `_source` says where it comes from):

- `packed`: NAM 0.13's only recipe (its GUI/Colab trainer): a PackedWaveNet training a 3- and an
  8-channel WaveNet at once, MSE + MR-STFT (weight 5e-4), Adam lr 4e-3, weight decay 3.17e-7,
  ExponentialLR gamma 0.994 per epoch. The submodel with the lower validation ESR is scored (NAM
  exports both; a plugin picks one); its parameters are the ones counted.
- `lstm`: NAM 0.12's LSTM "standard" (1×24, burn-in 4096, truncation 512): pre-emphasised MSE
  (coefficient 0.85) + pre-emphasised MR-STFT (2e-4), the first 4096 samples masked, validation
  by MSE, Adam lr 0.01, gamma 0.995. NAM 0.13 dropped its LSTM recipe; 0.12's is the last shipped.
- `wavenet`: NAM 0.12's WaveNet "standard" (16/8 channels, 2×10 dilations, Tanh), validation ESR
  + pre-emphasised MR-STFT 2e-4, Adam lr 4e-3, gamma 0.993.

Data as NAM's trainer feeds it: batch 16 of 8192-sample windows (+ the receptive field), shuffled.
Every recipe runs under one of two schedules (`NamSystem.schedule`): "nam" keeps its per-epoch
ExponentialLR as shipped (at a short budget it barely decays: 0.994^20 = 0.89), "budget" replaces it
by the decay fxcore gets in a time-budgeted comparison, lr·d^(t/T) with d = fxcore's `lr_decay`
(0.01) and t/T the share of the wall budget used, set before every optimiser step.

The training loop is NAM's `nam.train.full.main` without its plots and export (same module, data
sets, handshakes and checkpoint callbacks) plus, for the budget schedule, one callback; Lightning's
`max_time` ends it. The held-out split never reaches NAM's data loader.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import logging
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import torch

from fxcore.config import TrainConfig
from fxcore.dataset import Dataset

try:  # optional: the `bench` extra
    import pytorch_lightning as pl
    from nam.data import Split, apply_joint_dataset_hooks, get_joint_dataset_hooks, init_dataset
    from nam.train import full as nam_full
    from nam.train.lightning_module import LightningModule, PackedLightningModule
    from nam.models.recurrent import LSTM as NamLSTM
except ImportError:  # pragma: no cover - exercised where NAM is not installed
    pl = None

from .scoring import Result, score
from .streaming import block_speed

RECIPES_DIR = Path(__file__).with_name("nam_recipes")
RECIPES = ("packed", "lstm", "wavenet")
SCHEDULES = ("nam", "budget")


@dataclass(frozen=True)
class NamSystem:
    """A benchmark system: a NAM recipe under a schedule."""

    recipe: str
    schedule: str

    @property
    def name(self) -> str:
        """'nam-packed', 'nam-lstm-budget', ..."""
        return f"nam-{self.recipe}" + ("" if self.schedule == "nam" else f"-{self.schedule}")


SYSTEMS: dict[str, NamSystem] = {s.name: s for s in (NamSystem(r, k) for r in RECIPES for k in SCHEDULES)}


def available() -> bool:
    """True if `neural-amp-modeler` is importable."""
    return pl is not None


def _recipe_file(name: str) -> dict[str, Any]:
    return json.loads((RECIPES_DIR / f"{name}.json").read_text())


def recipe(name: str) -> dict[str, Any]:
    """The shipped recipe `name` as NAM's model config (net, loss, optimizer, lr_scheduler)."""
    return {k: v for k, v in _recipe_file(name).items() if not k.startswith("_")}


def data_settings(name: str) -> dict[str, Any]:
    """NAM's trainer's window length, batch size and joint data hooks for the recipe (its `_source.data`)."""
    return dict(_recipe_file(name)["_source"]["data"])


class BudgetDecay(pl.Callback if pl is not None else object):
    """lr = lr₀ · d^(t/T): the time-budgeted decay fxcore's `lr_schedule: budget` uses, for NAM."""

    def __init__(self, budget_s: float, decay: float):
        super().__init__()
        self.budget_s, self.decay, self.t0, self.lr0 = budget_s, decay, None, None

    def on_train_start(self, trainer, pl_module) -> None:
        """Start the clock; remember each group's initial rate."""
        self.t0 = time.perf_counter()
        self.lr0 = [g["lr"] for g in trainer.optimizers[0].param_groups]

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        """Set the rate for the coming step from the share of the budget used."""
        p = min(1.0, (time.perf_counter() - self.t0) / self.budget_s)
        for g, lr0 in zip(trainer.optimizers[0].param_groups, self.lr0):
            g["lr"] = lr0 * self.decay ** p


def _write_pcm(path: Path, x: np.ndarray, sample_rate: int) -> None:
    # NAM reads WAV with wavio: integer PCM only.
    sf.write(str(path), np.clip(x, -1.0, 1.0), sample_rate, subtype="PCM_24")


def _configs(system: NamSystem, data: Dataset, out_dir: Path, budget_s: float
             ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], float]:
    """(data, model, learning) configs in NAM's format for the pair's train/validation splits, and the
    gain applied to the target on the way (NAM refuses a target that reaches full scale: a hot
    one is turned down to a 0.99 peak, and the model's output turned back up by the same factor)."""
    (track,) = data.tracks
    train, val = data.split("train")[0], data.split("val")[0]
    x_path, y_path = out_dir / "x.wav", out_dir / "y.wav"
    y = np.asarray(data.target(track)[:val.stop], dtype=np.float64)
    gain = min(1.0, 0.99 / max(float(np.max(np.abs(y))), 1e-12))
    _write_pcm(x_path, np.asarray(data.clean(track)[:val.stop]), data.sample_rate)
    _write_pcm(y_path, y * gain, data.sample_rate)
    settings = data_settings(system.recipe)
    data_config = {"train": {"start_samples": train.start, "stop_samples": train.stop, "ny": settings["ny"]},
                   "validation": {"start_samples": val.start, "stop_samples": val.stop, "ny": None},
                   "common": {"x_path": str(x_path), "y_path": str(y_path), "delay": 0,
                              "require_input_pre_silence": None}}
    model_config = recipe(system.recipe)
    if system.schedule == "budget":
        model_config["lr_scheduler"] = None
    learning_config = {
        "train_dataloader": {"batch_size": settings["batch_size"], "shuffle": True, "pin_memory": False,
                             "drop_last": True, "num_workers": 0},
        "val_dataloader": {},
        "trainer": {"accelerator": "gpu" if torch.cuda.is_available() else "cpu", "devices": 1,
                    "max_time": {"seconds": float(budget_s)}, "max_epochs": -1, "enable_progress_bar": False,
                    "logger": False, "enable_model_summary": False},
    }
    if settings.get("joint"):
        data_config["joint"] = settings["joint"]
    return data_config, model_config, learning_config, gain


def _fit(system: NamSystem, data_config: dict, model_config: dict, learning_config: dict, out_dir: Path,
         budget_s: float):
    """NAM's `full.main` loop (module, data sets, handshakes, its checkpoint callbacks) → the trainer."""
    packed = model_config["net"]["name"] == "PackedWaveNet"
    cls = PackedLightningModule if packed else LightningModule
    model = cls.init_from_config(copy.deepcopy(model_config))
    data_config["common"]["nx"] = model.net.receptive_field
    ds_train, ds_val = init_dataset(data_config, Split.TRAIN), init_dataset(data_config, Split.VALIDATION)
    rms = float(ds_train.y.square().mean().sqrt())
    apply_joint_dataset_hooks(dataset_train=ds_train, dataset_validation=ds_val,
                              hooks=get_joint_dataset_hooks(data_config.get("joint", [])))
    hook_gain = float(ds_train.y.square().mean().sqrt()) / rms  # NAM 0.13 normalises the target's level
    model.net.sample_rate = ds_train.sample_rate
    for ds in (ds_train, ds_val):
        ds.handshake(model.net)
        model.net.handshake(ds)
    callbacks = nam_full._create_callbacks(learning_config, packed=packed)
    if system.schedule == "budget":
        callbacks.append(BudgetDecay(budget_s, TrainConfig().lr_decay))
    trainer = pl.Trainer(callbacks=callbacks, default_root_dir=out_dir, **learning_config["trainer"])
    trainer.fit(model, torch.utils.data.DataLoader(ds_train, **learning_config["train_dataloader"]),
                torch.utils.data.DataLoader(ds_val, **learning_config["val_dataloader"]))
    return cls, model, trainer, callbacks, hook_gain


def _best_net(cls, model, trainer, callbacks, model_config: dict) -> torch.nn.Module:
    """The deployable net with the best validation loss, as NAM's export would pick it."""
    kwargs = cls.parse_config(copy.deepcopy(model_config))
    if cls is PackedLightningModule:
        best = next(c for c in callbacks if isinstance(c, nam_full._lightning_module.PackedBestCheckpoint)).best
        if not best:  # never validated: the larger submodel as trained
            return model.net.extract_submodel(model.net.num_submodels - 1)
        i = min(best, key=lambda k: best[k]["best_metric"])
        module = cls.load_from_checkpoint(best[i]["checkpoint_path"], **kwargs)
        module.net.sample_rate = model.net.sample_rate
        return module.net.extract_submodel(i)
    path = trainer.checkpoint_callback.best_model_path
    if not path:
        return model.net
    return cls.load_from_checkpoint(path, **kwargs).net


def train_nam(name: str, pair: str, effect: str, dataset_dir: Path, out_dir: Path, budget_s: float,
              seed: int, stream_blocks: tuple[int, ...] = ()) -> Result:
    """Train NAM system `name` on the pair's train split for `budget_s` seconds; score it like fxcore
    (`stream_blocks`: block sizes to time it streaming at)."""
    system = SYSTEMS[name]
    data = Dataset(dataset_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data_config, model_config, learning_config, gain = _configs(system, data, out_dir, budget_s)
    with _quiet():
        pl.seed_everything(seed, workers=False)
        t0 = time.perf_counter()
        cls, model, trainer, callbacks, hook_gain = _fit(system, data_config, model_config, learning_config, out_dir,
                                                         budget_s)
        seconds = time.perf_counter() - t0
        net = _best_net(cls, model, trainer, callbacks, model_config).cpu().eval()

    def render(x: np.ndarray, start: int) -> np.ndarray:
        with torch.no_grad():
            y = net(torch.from_numpy(np.array(x, dtype=np.float32)), pad_start=True).numpy()
        return y / (gain * hook_gain)

    metrics, rtf = score(render, data)
    return Result(pair, effect, name, system.recipe, sum(p.numel() for p in net.parameters()),
                  round(seconds, 2), float(trainer.current_epoch), metrics, rtf, steps=int(trainer.global_step),
                  stream={block: streaming_speed(net, block, data.sample_rate) for block in stream_blocks})


def streaming_speed(net: torch.nn.Module, block: int, sample_rate: int) -> float:
    """× real time streaming `block` samples at a time on one thread.

    A convolutional net runs its forward on the block plus the receptive field − 1 samples of
    history it needs; the LSTM carries its (h, c) state from block to block.
    """
    if isinstance(net, NamLSTM):
        state = [net._initial_state(1)]

        def step(xb: torch.Tensor) -> torch.Tensor:
            out, state[0] = net._core(xb[None, :, None], state[0])
            return net._apply_head(out)

        return block_speed(step, 0, block, sample_rate)
    return block_speed(lambda w: net(w, pad_start=False), net.receptive_field - 1, block, sample_rate)


@contextlib.contextmanager
def _quiet():
    """Silence Lightning's and NAM's console chatter; the benchmark prints one table."""
    loggers = [logging.getLogger(n) for n in ("pytorch_lightning", "lightning", "lightning.pytorch",
                                             "lightning_fabric", "lightning.fabric")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, lv in zip(loggers, levels):
            lg.setLevel(lv)
