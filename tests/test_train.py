"""Training: a model learns a real pedalboard pair; checkpoints resume to the same state; seeded."""

from __future__ import annotations

import csv
import dataclasses

import numpy as np
import pytest
import torch

from fxcore.config import EffectConfig, LossConfig, ModelConfig, SplitConfig, TrainConfig
from fxcore.dataset import Dataset, build_dataset
from fxcore.apply import apply_to_file, render_test_split
from fxcore.model_io import MODEL_FILENAME, load_model
from fxcore.train import train_effect, validation_score

from .conftest import SR


def effect_cfg(model: str = "wavenet", params: dict | None = None, **train) -> EffectConfig:
    tc = dict(segment_samples=1024, batch_size=4, lr=0.01, lr_decay=0.5, max_steps=40, max_seconds=120, val_every=10,
              checkpoint_every=5, patience=100, threads=1, loss=LossConfig(pre_emphasis=0.95))
    tc.update(train)
    return EffectConfig(name="fuzz", backend="pedalboard", chain=[], options={},
                        model=ModelConfig(model, params or {"channels": 8, "dilations": [1, 2, 4, 8, 16]}),
                        train=TrainConfig(**tc))


@pytest.fixture
def dataset(tmp_path, pair_files):
    pairs, clicks, _ = pair_files
    build_dataset(tmp_path / "ds", pairs, clicks, SplitConfig(0.6, 0.2, 0.2), SR)
    return tmp_path / "ds"


def state(path):
    return load_model(path).state_dict()


def test_model_learns_a_real_fuzz_pair(tmp_path, dataset):
    cfg = effect_cfg(max_steps=150, val_every=25)
    facts = train_effect(dataset, cfg, tmp_path / "out", seed=3, progress=False)
    ds = Dataset(dataset)
    baseline = float(np.sum((ds.concat("val") - ds.concat("val", "clean")) ** 2) / np.sum(ds.concat("val") ** 2))
    assert facts["best_val"] < 0.1 < baseline
    rows = list(csv.DictReader(open(tmp_path / "out" / "history.csv")))
    losses = [float(r["train_loss"]) for r in rows if r["train_loss"]]
    assert len(losses) == 150 and np.mean(losses[-10:]) < np.mean(losses[:10])
    assert rows[0]["step"] == "0" and rows[0]["val"]  # the initial weights are scored too
    model = load_model(tmp_path / "out" / "model.safetensors")
    assert validation_score(model, ds) == pytest.approx(facts["best_val"], rel=1e-4)
    out = render_test_split(tmp_path / "out" / "model.safetensors", dataset, tmp_path / "test", progress=False)
    assert len(out["model"]) == len(out["target"]) == len(ds.concat("test"))
    esr_test = np.sum((out["model"] - out["target"]) ** 2) / np.sum(out["target"] ** 2)
    assert esr_test < 0.15
    apply_to_file(tmp_path / "out" / "model.safetensors", tmp_path / "c0.wav", tmp_path / "applied.wav")
    assert (tmp_path / "applied.wav").stat().st_size > 0


def test_same_seed_same_weights(tmp_path, dataset):
    cfg = effect_cfg(max_steps=10)
    train_effect(dataset, cfg, tmp_path / "a", seed=5, progress=False)
    train_effect(dataset, cfg, tmp_path / "b", seed=5, progress=False)
    train_effect(dataset, cfg, tmp_path / "c", seed=6, progress=False)
    a, b, c = state(tmp_path / "a" / "model.safetensors"), state(tmp_path / "b" / "model.safetensors"), state(tmp_path / "c" / "model.safetensors")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


@pytest.mark.parametrize("model, params, sampler", [
    ("wavenet", None, "random_windows"),
    ("lstm", {"hidden_size": 8}, "random_sequential"),
])
def test_checkpoint_resumes_to_the_same_state(tmp_path, dataset, model, params, sampler):
    cfg = effect_cfg(model, params, max_steps=20, sampler=sampler, sequence_chunks=3, segment_samples=512,
                     warmup_samples=64 if model == "lstm" else 0)
    train_effect(dataset, cfg, tmp_path / "straight", seed=1, progress=False)
    first = train_effect(dataset, cfg, tmp_path / "resumed", seed=1, progress=False, stop_after_steps=12)
    assert first == {"interrupted": True, "step": 12}
    assert not (tmp_path / "resumed" / "model.safetensors").exists()  # no partial artefact
    facts = train_effect(dataset, cfg, tmp_path / "resumed", seed=1, progress=False)
    assert facts["resumed"] and facts["steps"] == 20
    a, b = state(tmp_path / "straight" / "model.safetensors"), state(tmp_path / "resumed" / "model.safetensors")
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=0)


def test_changed_config_does_not_resume(tmp_path, dataset):
    cfg = effect_cfg(max_steps=10)
    train_effect(dataset, cfg, tmp_path / "out", seed=1, progress=False, stop_after_steps=5)
    other = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, lr=0.002))
    assert train_effect(dataset, other, tmp_path / "out", seed=1, progress=False)["resumed"] is False


def test_warmup_longer_than_segment_is_a_config_error(tmp_path, dataset):
    from fxcore.errors import FxcoreError

    with pytest.raises(FxcoreError, match="segment_samples"):
        train_effect(dataset, effect_cfg(segment_samples=20), tmp_path / "o", seed=1, progress=False)


def test_lr_schedules_steps_and_budget():
    from fxcore.train import _lr_at

    steps = TrainConfig(lr=1e-2, lr_decay=0.01, max_steps=100, max_seconds=10.0)
    budget = dataclasses.replace(steps, lr_schedule="budget")
    assert _lr_at(0, steps, elapsed=5.0) == pytest.approx(1e-2)          # steps: time does not count
    assert _lr_at(50, steps, elapsed=0.0) == pytest.approx(1e-3)         # half way: lr · decay^0.5
    assert _lr_at(0, budget, elapsed=5.0) == pytest.approx(1e-3)         # budget: half the seconds used
    assert _lr_at(80, budget, elapsed=1.0) == pytest.approx(1e-2 * 0.01 ** 0.8)  # the larger progress wins
    assert _lr_at(100, budget, elapsed=99.0) == pytest.approx(1e-4)      # fully decayed at either end


def test_same_config_same_model_bytes(tmp_path, dataset):
    """The default stop is a step budget: two runs write byte-identical model files."""
    cfg = effect_cfg("wiener_hammerstein", {"branches": 2, "hidden": 4, "taps_out": 32, "linear_taps": 32},
                     max_steps=15)
    train_effect(dataset, cfg, tmp_path / "a", seed=2, progress=False)
    train_effect(dataset, cfg, tmp_path / "b", seed=2, progress=False)
    a, b = (tmp_path / "a" / "model.safetensors").read_bytes(), (tmp_path / "b" / "model.safetensors").read_bytes()
    assert a == b


def test_finished_run_removes_its_checkpoint_so_a_rerun_starts_fresh(tmp_path, dataset):
    cfg = effect_cfg(max_steps=10)
    facts = train_effect(dataset, cfg, tmp_path / "out", seed=1, progress=False)
    assert facts["steps"] == 10 and not (tmp_path / "out" / "checkpoints" / "last.pt").exists()
    assert train_effect(dataset, cfg, tmp_path / "out", seed=1, progress=False)["resumed"] is False


def test_checkpoint_of_another_dataset_is_discarded(tmp_path, pair_files, caplog):
    """A re-recorded capture (other dataset bytes, same config) must not resume the old take's weights."""
    pairs, clicks, _ = pair_files
    build_dataset(tmp_path / "ds", pairs, clicks, SplitConfig(0.6, 0.2, 0.2), SR)
    cfg = effect_cfg(max_steps=10)
    ckpts = tmp_path / "ck"
    train_effect(tmp_path / "ds", cfg, tmp_path / "out", seed=1, checkpoint_dir=ckpts, progress=False,
                 stop_after_steps=5)
    assert (ckpts / "last.pt").exists()
    swapped = {"t0": pairs["t1"], "t1": pairs["t0"]}  # the same files in another order: other bytes in the shards
    build_dataset(tmp_path / "ds", {k: (v[0], v[1]) for k, v in swapped.items()}, clicks,
                  SplitConfig(0.5, 0.25, 0.25), SR)
    with caplog.at_level("WARNING", logger="fxcore.train"):
        facts = train_effect(tmp_path / "ds", cfg, tmp_path / "out", seed=1, checkpoint_dir=ckpts, progress=False)
    assert facts["resumed"] is False and facts["steps"] == 10
    assert "another dataset or config" in caplog.text


def test_truncated_checkpoint_is_discarded_with_one_log_line(tmp_path, dataset, caplog):
    cfg = effect_cfg(max_steps=10)
    train_effect(dataset, cfg, tmp_path / "out", seed=1, progress=False, stop_after_steps=5)
    ck = tmp_path / "out" / "checkpoints" / "last.pt"
    ck.write_bytes(ck.read_bytes()[: ck.stat().st_size // 2])
    with caplog.at_level("WARNING", logger="fxcore.train"):
        facts = train_effect(dataset, cfg, tmp_path / "out", seed=1, progress=False)
    assert facts["resumed"] is False and facts["steps"] == 10
    lines = [r for r in caplog.records if "unreadable checkpoint" in r.getMessage()]
    assert len(lines) == 1 and str(ck) in lines[0].getMessage()


def test_max_seconds_ending_a_step_run_is_logged_loudly(tmp_path, dataset, caplog):
    cfg = effect_cfg(max_steps=100000, max_seconds=0.5)
    with caplog.at_level("WARNING", logger="fxcore.train"):
        facts = train_effect(dataset, cfg, tmp_path / "out", seed=1, progress=False)
    assert facts["stop_reason"] == "max_seconds"
    assert "max_seconds" in caplog.text and "depends on machine speed" in caplog.text


def test_a_start_far_behind_gives_up_before_the_first_step(tmp_path, dataset):
    cfg = effect_cfg(max_steps=10)
    kept = train_effect(dataset, cfg, tmp_path / "kept", seed=1, progress=False, give_up_above=1e9)
    assert kept["stop_reason"] == "max_steps" and kept["steps"] == 10
    gave_up = train_effect(dataset, cfg, tmp_path / "out", seed=1, progress=False, give_up_above=0.0)
    assert gave_up["stop_reason"] == "gave_up" and gave_up["steps"] == 0
    # the starting weights are the model written, scored as the first run's start was
    assert gave_up["best_val"] == gave_up["start_val"] == kept["start_val"]
    assert (tmp_path / "out" / MODEL_FILENAME).exists()


def test_a_time_budget_counts_the_closed_form_fit(tmp_path, dataset):
    """`lr_schedule: budget` starts the clock before `initialise`: a fit longer than the budget leaves no step."""
    steps_cfg = effect_cfg("compressor", {"fit_seconds": 30.0}, max_steps=20, segment_samples=4096)
    train_effect(dataset, steps_cfg, tmp_path / "warm", seed=1, progress=False)  # numba compiles the fit once
    by_steps = train_effect(dataset, steps_cfg, tmp_path / "steps", seed=1, progress=False)
    assert by_steps["steps"] == 20 and by_steps["init_seconds"] > 0
    rows = list(csv.DictReader(open(tmp_path / "steps" / "history.csv")))
    assert float(rows[0]["seconds"]) == 0.0  # a step-budgeted run's clock starts after the fit
    # 20 steps take ≈ 0.1 s here, the warm fit ≈ 0.5 s: with the fit off the clock half of it would
    # leave time for all 20 steps
    budget = by_steps["init_seconds"] / 2
    cfg = effect_cfg("compressor", {"fit_seconds": 30.0}, max_steps=20, segment_samples=4096,
                     lr_schedule="budget", max_seconds=budget)
    facts = train_effect(dataset, cfg, tmp_path / "budget", seed=1, progress=False)
    assert facts["steps"] == 0 and facts["stop_reason"] == "max_seconds"
    assert facts["seconds"] >= facts["init_seconds"] >= budget
    assert facts["best_val"] == facts["start_val"]  # the fit is the model written
    rows = list(csv.DictReader(open(tmp_path / "budget" / "history.csv")))
    assert float(rows[0]["seconds"]) >= budget
