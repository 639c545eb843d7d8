"""Train one effect's model: seeded, checkpointed, resumable, early-stopped on validation ESR.

Outputs in `out_dir`: `model.safetensors` (best weights by validation ESR + a header with
everything needed to rebuild the model, see `model_io`), `history.csv` (step, seconds, train_loss,
val, lr; `val` is the validation metric named by train.json's `val_metric`) and `train.json` (facts for the report). `checkpoint_dir/last.pt` holds the full
training state every `checkpoint_every` steps; a restarted job of the same run (same fingerprint:
dataset bytes, config, seed) resumes from it and reaches the same final state. A finished run
deletes its checkpoint, so a forced rerun starts fresh.

Training stops at `max_steps` (the default stop: same config + seed → same bytes out on the same
machine and library versions); `max_seconds` is a safety cap, logged as a warning when it ends a
run, or the budget of a time-budgeted comparison (`lr_schedule: budget`). A budget counts from
before the model's closed-form `initialise`: a grey-box model whose analysis takes minutes pays for
it out of the same seconds as the steps it saves (train.json `init_seconds`).
"""

from __future__ import annotations

import copy
import csv
import io
import logging
import math
import time
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from .atomic import write_json, write_text
from .checkpoint import discard_checkpoint, load_checkpoint, save_checkpoint, training_fingerprint
from .config import EffectConfig, Recipe, TrainConfig, check_segment
from .dataset.samplers import RandomSequentialSampler, RandomWindowSampler
from .dataset.shards import Dataset
from .device import select_device
from .errors import FxcoreError, config_source
from .losses import build_loss
from .metrics import esr, mrstft
from .model_io import MODEL_FILENAME, save_model
from .models import EffectModel, build_model

log = logging.getLogger("fxcore.train")

HISTORY_FIELDS = ("step", "seconds", "train_loss", "val", "lr")  # val: in train.json's val_metric


def effect_seed(seed: int, effect: str) -> int:
    """A per-effect seed derived from the global one, stable across runs and machines."""
    return (seed * 1_000_003 + zlib.crc32(effect.encode())) % (2**31)


def _lr_at(step: int, tc: TrainConfig, elapsed: float = 0.0) -> float:
    """lr · lr_decay^p, p = training progress in [0, 1].

    lr_schedule "steps": p = step / max_steps, a pure function of the step, so a resumed run
    follows exactly the same schedule and reruns are bit-identical. "budget": p = the larger of
    the step and the wall-clock budget used, so whichever budget ends training, the rate has
    decayed fully by then (what a time-budgeted comparison needs; depends on machine speed).
    """
    p = min(step, tc.max_steps) / tc.max_steps
    if tc.lr_schedule == "budget":
        p = max(p, min(elapsed, tc.max_seconds) / tc.max_seconds)
    return tc.lr * tc.lr_decay ** p


@torch.no_grad()
def validation_score(model: EffectModel, data: Dataset, split: str = "val", device: torch.device | None = None,
                     metric: str = "esr") -> float:
    """ESR (or multi-resolution STFT distance) over a split's regions, each with max(receptive field, 1 s)
    of pre-roll."""
    preroll_max = max(model.receptive_field, data.sample_rate)
    ys, y_hats = [], []
    for r in data.split(split):
        pre = min(r.start, preroll_max)
        x = np.asarray(data.clean(r.track)[r.start - pre:r.stop])
        ys.append(np.asarray(data.target(r.track)[r.start:r.stop], dtype=np.float64))
        y_hats.append(model.render(x, start=r.start - pre)[pre:].astype(np.float64))
    y, y_hat = np.concatenate(ys), np.concatenate(y_hats)
    if metric == "mrstft":
        return mrstft(y_hat, y, data.sample_rate)
    return esr(y_hat, y)


def _sampler(data: Dataset, tc: TrainConfig, seed: int):
    regions = data.split("train")
    if tc.sampler == "random_sequential":
        return RandomSequentialSampler(data, regions, tc.segment_samples, tc.batch_size, seed, tc.sequence_chunks)
    return RandomWindowSampler(data, regions, tc.segment_samples, tc.batch_size, seed)


@dataclass
class _Progress:
    """Everything a run has done so far: what a checkpoint saves and a resumed run restores."""

    step: int = 0
    elapsed: float = 0.0
    history: list[dict[str, Any]] = field(default_factory=list)
    best_val: float = float("inf")
    best_state: dict[str, Any] = field(default_factory=dict)
    best_step: int = 0
    bad: int = 0  # validations since the last improvement (early stopping)
    state: Any = None  # the model's streaming state between consecutive chunks (TBPTT)

    def validated(self, val: float, model: EffectModel) -> None:
        """Keep the weights if `val` is the best so far; count a validation without improvement otherwise."""
        if val < self.best_val:
            self.best_val, self.best_state, self.best_step, self.bad = val, copy.deepcopy(model.state_dict()), self.step, 0
        else:
            self.bad += 1


def _build(cfg: Recipe | EffectConfig, data: Dataset, device: torch.device, start_state: dict[str, Any] | None
           ) -> EffectModel:
    """The model, checked against the training windows, initialised (closed form) or from `start_state`."""
    model = build_model(cfg.model.name, cfg.model.params, data.sample_rate)
    check_segment(cfg.name, cfg.train, model.receptive_field, config_source())
    if start_state is not None:
        model.load_state_dict(start_state)  # auto: the winner's weights after its trial
    else:
        model.initialise(data.concat("train", "clean"), data.concat("train", "target"))
    return model.to(device)


def _restore(ck: dict[str, Any], model: EffectModel, opt: torch.optim.Optimizer, sampler: Any) -> _Progress:
    """Put a checkpoint's weights, optimiser, sampler and RNG back; return its progress."""
    model.load_state_dict(ck["model"])
    opt.load_state_dict(ck["optimizer"])
    sampler.load_state_dict(ck["sampler"])
    torch.set_rng_state(ck["torch_rng"].cpu())
    return _Progress(**ck["progress"])


def train_effect(dataset_dir: str | Path, cfg: Recipe | EffectConfig, out_dir: str | Path, seed: int,
                 checkpoint_dir: str | Path | None = None, progress: bool = True,
                 stop_after_steps: int | None = None, start_state: dict[str, Any] | None = None,
                 extra_facts: dict[str, Any] | None = None, give_up_above: float = math.inf,
                 lr_ramp_steps: int = 0) -> dict[str, Any]:
    """Train `cfg.model` on the dataset in `dataset_dir`; write model.safetensors, history.csv, train.json.

    `stop_after_steps` ends this invocation early with a checkpoint and no outputs (as a job
    pre-empted by a scheduler would); the next call resumes from it. `start_state`: weights to
    start from instead of the model's closed-form `initialise` (`model: auto` goes on from its
    winner's trial); `extra_facts` go into train.json (auto's ranking). `give_up_above`: take no step
    if the starting weights' validation score is above it (`model: auto` gives up a trial that only
    refines a closed-form fit that is far behind). `lr_ramp_steps`: the learning rate rises linearly
    from 0 over the first this many steps (times the schedule's rate; `model: auto`'s winner, whose
    fresh optimiser would otherwise take full-rate steps from its trial's weights). `model: auto`
    itself is resolved by `fxcore.auto.fit_effect`.
    """
    tc = cfg.train
    out_dir = Path(out_dir)
    ckpt_path = Path(checkpoint_dir or out_dir / "checkpoints") / "last.pt"
    if tc.threads > 0:
        torch.set_num_threads(tc.threads)
    device = select_device(tc.device)
    seed = effect_seed(seed, cfg.name)
    torch.manual_seed(seed)
    data = Dataset(dataset_dir)
    t_start = time.perf_counter()
    model = _build(cfg, data, device, start_state)
    warmup = tc.warmup(model.receptive_field)
    loss_fn = build_loss(tc.loss.pre_emphasis, tc.loss.mrstft_weight, tc.loss.dc_weight, tc.loss.esr_weight).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=tc.lr)
    sampler = _sampler(data, tc, seed)
    # A loss without a waveform term (pitch shift) means waveform ESR cannot pick the best weights.
    val_metric = "esr" if tc.loss.esr_weight > 0 else "mrstft"

    fingerprint = training_fingerprint(dataset_dir, cfg, seed)
    ck = load_checkpoint(ckpt_path, fingerprint, device)
    run = _restore(ck, model, opt, sampler) if ck is not None else _Progress()
    if ck is not None:
        log.info("resumed %s from %s at step %d", cfg.name, ckpt_path, run.step)
    else:
        # Score the initial weights too: a grey-box model's closed-form initialisation may already
        # beat what a few noisy steps give, and then it is the one to keep.
        run.validated(validation_score(model, data, "val", device, val_metric), model)
        if tc.lr_schedule == "budget":
            run.elapsed = time.perf_counter() - t_start
        run.history.append({"step": 0, "seconds": round(run.elapsed, 3), "train_loss": "", "val": run.best_val,
                            "lr": tc.lr})
    init_seconds = time.perf_counter() - t_start

    def checkpoint() -> None:
        save_checkpoint(ckpt_path, fingerprint, {
            "model": model.state_dict(), "optimizer": opt.state_dict(), "sampler": sampler.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "progress": {**vars(run), "state": model.detach_state(run.state)}})

    stop_reason = "max_steps" if run.best_val <= give_up_above else "gave_up"
    bar = tqdm(total=tc.max_steps, initial=run.step, desc=f"train {cfg.name}", disable=not progress,
               unit="step", dynamic_ncols=True)
    t0 = time.perf_counter() - run.elapsed
    model.train()
    steps_this_run = 0
    while run.step < tc.max_steps and stop_reason != "gave_up":
        if stop_after_steps is not None and steps_this_run >= stop_after_steps:
            checkpoint()
            bar.close()
            return {"interrupted": True, "step": run.step}
        steps_this_run += 1
        if time.perf_counter() - t0 >= tc.max_seconds:
            stop_reason = "max_seconds"
            if tc.lr_schedule != "budget":
                log.warning("%s: train.max_seconds (%g s) ended training at step %d of %d: this result depends "
                            "on machine speed and load; raise max_seconds or lower max_steps for a "
                            "reproducible run", cfg.name, tc.max_seconds, run.step, tc.max_steps)
            break
        lr = _lr_at(run.step, tc, time.perf_counter() - t0) * min(1.0, (run.step + 1) / max(lr_ramp_steps, 1))
        loss = _optimise(model, opt, loss_fn, sampler.next(), run, lr, warmup, device)
        row = {"step": run.step, "seconds": round(time.perf_counter() - t0, 3), "train_loss": loss, "val": "",
               "lr": lr}
        if run.step % tc.val_every == 0 or run.step == tc.max_steps:
            row["val"] = validation_score(model, data, "val", device, val_metric)
            model.train()
            run.validated(row["val"], model)
            bar.set_postfix(loss=f"{loss:.3g}", val=f"{row['val']:.3g}", best=f"{run.best_val:.3g}")
        run.history.append(row)
        bar.update(1)
        run.elapsed = time.perf_counter() - t0
        if run.step % tc.checkpoint_every == 0:
            checkpoint()
        if run.bad >= tc.patience:
            stop_reason = "early_stopping"
            break
    bar.close()
    if run.history[-1]["val"] == "":
        # Never validated the final weights (time budget hit between validations): do it now.
        val = validation_score(model, data, "val", device, val_metric)
        run.history.append({"step": run.step, "seconds": round(time.perf_counter() - t0, 3), "train_loss": "",
                            "val": val, "lr": _lr_at(run.step, tc, time.perf_counter() - t0)})
        if val < run.best_val:
            run.best_val, run.best_state, run.best_step = val, copy.deepcopy(model.state_dict()), run.step
    run.elapsed = time.perf_counter() - t0
    model.load_state_dict(run.best_state)
    facts = {"effect": cfg.name, "model": cfg.model.name, "parameters": model.num_parameters(),
             "device": str(device), "device_name": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
             "steps": run.step, "seconds": round(run.elapsed, 2), "init_seconds": round(init_seconds, 2),
             "stop_reason": stop_reason, "val_metric": val_metric,
             "start_val": run.history[0]["val"], "best_val": run.best_val, "best_step": run.best_step,
             "resumed": ck is not None, "seed": seed,
             "train": asdict(tc), **({"lr_ramp_steps": lr_ramp_steps} if lr_ramp_steps else {}), **(extra_facts or {})}
    _write_outputs(out_dir, model, cfg.model.params, run.history, facts)
    discard_checkpoint(ckpt_path)
    return facts


def _optimise(model: EffectModel, opt: torch.optim.Optimizer, loss_fn: torch.nn.Module, batch: Any, run: _Progress,
              lr: float, warmup: int, device: torch.device) -> float:
    """One gradient step on `batch` (the warm-up of a fresh sequence excluded from the loss); returns the loss."""
    x, y, start = batch.x.to(device), batch.y.to(device), batch.start.to(device)
    if batch.reset:
        run.state = None
    for g in opt.param_groups:
        g["lr"] = lr
    y_hat, run.state = model(x, run.state, start)
    cut = warmup if batch.reset else 0
    loss = loss_fn(y_hat[:, cut:], y[:, cut:])
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    run.state = model.detach_state(run.state)
    run.step += 1
    return float(loss.detach())


def _write_outputs(out_dir: Path, model: EffectModel, params: dict[str, Any], history: list[dict[str, Any]],
                   facts: dict[str, Any]) -> None:
    """model.safetensors (no wall-clock facts: same config + seed → same bytes), history.csv, train.json."""
    save_model(out_dir / MODEL_FILENAME, model, params, facts=_timeless(facts))
    write_text(out_dir / "history.csv", history_csv(history))
    write_json(out_dir / "train.json", facts)


def _timeless(facts: dict[str, Any]) -> dict[str, Any]:
    """`facts` without wall-clock seconds: the run's (and its fit's), and each row's of a list of rows (auto's ranking)."""
    out: dict[str, Any] = {}
    for key, value in facts.items():
        if key in ("seconds", "init_seconds"):
            continue
        if isinstance(value, list):
            value = [{k: v for k, v in r.items() if k != "seconds"} if isinstance(r, dict) else r for r in value]
        out[key] = value
    return out


def history_csv(rows: list[dict[str, Any]]) -> str:
    """The training history as CSV text."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=HISTORY_FIELDS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()
