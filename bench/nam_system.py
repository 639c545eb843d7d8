"""Neural Amp Modeler as a benchmark system, trained by NAM's own code (`nam.train.full.main`).

NAM is optional (`pip install -e ".[bench]"`). Its presets are the ones NAM's simplified trainer
ships — LSTM "standard" (1×24, burn-in 4096, truncation 512), WaveNet "feather" and "standard" —
written in the layer-array format of the installed NAM. The wall-clock budget is Lightning's
`max_time`; NAM's own schedule (Adam lr 4e-3, ExponentialLR 0.993 per epoch, batch 16 of 8192
samples, MSE training loss, best checkpoint by validation loss) is kept as NAM ships it.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import torch

from fxcore.dataset import Dataset

from .scoring import Result, score


def available() -> bool:
    """True if `neural-amp-modeler` is importable."""
    try:
        import nam.train.full  # noqa: F401
    except Exception:
        return False
    return True


def _layers(first: tuple[int, int, list[int]], second: tuple[int, int, list[int]]) -> list[dict[str, Any]]:
    """Two NAM layer arrays (channels, head size, dilations), Tanh, kernel 3, in NAM 0.13's format."""
    (c1, h1, d1), (c2, h2, d2) = first, second
    common = {"condition_size": 1, "kernel_size": 3, "activation": "Tanh", "gated": False}
    return [{"input_size": 1, "channels": c1, "dilations": d1, **common,
             "head": {"out_channels": h1, "kernel_size": 1, "bias": False}},
            {"input_size": c1, "channels": c2, "dilations": d2, **common,
             "head": {"out_channels": h2, "kernel_size": 1, "bias": True}}]


_D10 = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
PRESETS: dict[str, dict[str, Any]] = {
    "lstm-standard": {"name": "LSTM", "config": {"num_layers": 1, "hidden_size": 24, "train_burn_in": 4096,
                                                 "train_truncate": 512}},
    "wavenet-feather": {"name": "WaveNet", "config": {
        "layers_configs": _layers((8, 4, _D10[:7]), (4, 1, [128, 256, 512] + _D10)), "head_scale": 0.02}},
    "wavenet-standard": {"name": "WaveNet", "config": {
        "layers_configs": _layers((16, 8, _D10), (8, 1, _D10)), "head_scale": 0.02}},
}


def _write_pcm(path: Path, x: np.ndarray, sample_rate: int) -> None:
    # NAM reads WAV with wavio: integer PCM only.
    sf.write(str(path), np.clip(x, -1.0, 1.0), sample_rate, subtype="PCM_24")


def train_nam(preset: str, pair: str, effect: str, dataset_dir: Path, out_dir: Path, budget_s: float) -> Result:
    """Train NAM's `preset` on the pair's train split for `budget_s` seconds; score it like fxcore."""
    from nam.train import full

    data = Dataset(dataset_dir)
    (track,) = data.tracks
    train, val = data.split("train")[0], data.split("val")[0]
    out_dir.mkdir(parents=True, exist_ok=True)
    x_path, y_path = out_dir / "x.wav", out_dir / "y.wav"
    # Train and validation only: the held-out split never reaches NAM's data loader.
    _write_pcm(x_path, np.asarray(data.clean(track)[:val.stop]), data.sample_rate)
    _write_pcm(y_path, np.asarray(data.target(track)[:val.stop]), data.sample_rate)
    common = {"x_path": str(x_path), "y_path": str(y_path), "delay": 0, "require_input_pre_silence": None}
    data_config = {"train": {"stop_samples": train.stop, "ny": 8192},
                   "validation": {"start_samples": val.start, "stop_samples": val.stop, "ny": None},
                   "common": common}
    model_config = {"net": PRESETS[preset], "loss": {"val_loss": "esr"},
                    "optimizer": {"lr": 0.004}, "lr_scheduler": {"class": "ExponentialLR", "kwargs": {"gamma": 0.993}}}
    learning_config = {
        "train_dataloader": {"batch_size": 16, "shuffle": True, "pin_memory": False, "drop_last": True,
                             "num_workers": 0},
        "val_dataloader": {},
        "trainer": {"accelerator": "cpu" if not torch.cuda.is_available() else "gpu", "devices": 1,
                    "max_time": {"seconds": float(budget_s)}, "max_epochs": -1, "enable_progress_bar": False,
                    "logger": False, "enable_model_summary": False},
    }
    torch.manual_seed(0)
    t0 = time.perf_counter()
    with _quiet():
        full.main(data_config, model_config, learning_config, out_dir, no_show=True, make_plots=False)
    seconds = time.perf_counter() - t0
    net, epochs = _load_best(out_dir, model_config)
    net.eval()

    def render(x: np.ndarray, start: int) -> np.ndarray:
        with torch.no_grad():
            return net(torch.from_numpy(np.array(x, dtype=np.float32)), pad_start=True).numpy()

    metrics, rtf = score(render, data)
    params = sum(p.numel() for p in net.parameters())
    return Result(pair, effect, "NAM", preset, params, round(seconds, 2), epochs, metrics, rtf)


def _load_best(out_dir: Path, model_config: dict[str, Any]) -> tuple[torch.nn.Module, float]:
    """The best checkpoint by validation loss (as NAM exports it) and the epochs trained."""
    from nam.train.lightning_module import LightningModule

    ckpts = sorted(out_dir.glob("**/*.ckpt"))
    epochs = [int(m.group(1)) + 1 for c in ckpts if (m := re.search(r"checkpoint_epoch_(?:epoch=)?(\d+)", c.stem))]
    # NAM names its best-k checkpoints {epoch}_{step}_{ESR}_{MSE}; Lightning inserts "ESR=".
    scored = [(float(m.group(1)), c) for c in ckpts if (m := re.search(r"ESR=?([0-9.]+e[-+]\d+)", c.stem))]
    best = [c for _, c in sorted(scored)]
    module = LightningModule.init_from_config({**model_config, "checkpoint_path": str(best[0])}) if best \
        else LightningModule.init_from_config(model_config)
    return module.net.cpu(), float(max(epochs, default=0))


@contextlib.contextmanager
def _quiet():
    """Silence Lightning's and NAM's console chatter; the benchmark prints one table."""
    loggers = [logging.getLogger(n) for n in ("pytorch_lightning", "lightning", "lightning.pytorch")]
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
