"""The NAM benchmark: recipes as NAM ships them, its budget schedule, an end-to-end quick run, the README table."""

from __future__ import annotations

import inspect
import json
import math
import shutil
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from bench import (accuracy_table, bursts, dev_table, generalise_full_table, generalise_table, nam_system, step_time,
                   tones, variants)
from bench.tables import kept_rows, merge_rows, replace_block
from bench.pairs import PAIRS, make_pair, material_dir, parse_pairs
from bench.stamp import stamp
from fxcore.config import SplitConfig, TrainConfig
from fxcore.dataset import build_dataset
from fxcore.effects import make_backend
from fxcore.errors import FxcoreError
from fxcore.model_io import save_model
from fxcore.models import build_model

from .conftest import SR

ROOT = Path(__file__).resolve().parents[1]


def test_pairs_name_config_effects():
    effects = yaml.safe_load((ROOT / "config.yaml").read_text())["effects"]
    assert {"a", "b", "c", "d", "e", "chorus", "delay", "reverb", "octave"} == set(PAIRS)
    assert all(p.effect in effects for p in PAIRS.values())
    with pytest.raises(FxcoreError, match="unknown benchmark pair"):
        parse_pairs("a,zz")


def test_a_benchmark_pair_is_rendered_again_when_its_chain_changes(tmp_path):
    """The work folder is keyed by pair and seed only: a changed control must not reuse the old render
    (the generalisation run once scored a bypassed plugin this way). Real pedalboard renders."""
    from dataclasses import replace

    from fxcore.dataset import Dataset
    from fxcore.validate import parse_config

    cfg = parse_config(yaml.safe_load((ROOT / "config.yaml").read_text()), "config.yaml")
    effect = cfg.effect("distortion")
    rms = []
    for drive in (25, 25, 10):
        chain = [{"Distortion": {"drive_db": drive}}, {"Gain": {"gain_db": -10}}]
        dataset = make_pair(cfg, replace(effect, chain=chain), tmp_path, 2.0, 0)
        data = Dataset(dataset)
        y = data.target(data.split("train")[0].track)
        rms.append(float(np.sqrt(np.mean(np.asarray(y, np.float64) ** 2))))
    assert rms[0] == rms[1] != rms[2]


def test_packed_recipe_and_data_settings_are_the_installed_nams():
    pytest.importorskip("nam")
    from nam.train import core
    from nam.train._version import Version

    assert nam_system.recipe("packed") == core._get_packed_model_config()
    shipped = core._get_data_config(input_version=Version(3, 0, 0), input_path=Path("x.wav"),
                                    output_path=Path("y.wav"), ny=core._NY_DEFAULT, latency=0)
    defaults = inspect.signature(core.train).parameters
    settings = nam_system.data_settings("packed")
    assert settings["joint"] == shipped["joint"]
    assert settings["ny"] == shipped["train"]["ny"] == defaults["ny"].default == 8192
    assert settings["batch_size"] == defaults["batch_size"].default == 16


def test_every_recipe_builds_in_the_installed_nam():
    pytest.importorskip("nam")
    from nam.train.lightning_module import LightningModule, LossConfig, PackedLightningModule

    sizes = {}
    for name in nam_system.RECIPES:
        cfg = nam_system.recipe(name)
        cls = PackedLightningModule if cfg["net"]["name"] == "PackedWaveNet" else LightningModule
        module = cls.init_from_config(cfg)
        sizes[name] = sum(p.numel() for p in module.net.parameters())
        loss = LossConfig.init_from_config(cfg["loss"])
        assert loss.val_loss is not None
        assert getattr(torch.optim.lr_scheduler, cfg["lr_scheduler"]["class"])
    # NAM 0.12's LSTM standard 1×24: gates 4·24·(1 + 24 + 2), head 24 + 1, learned initial (h, c) 2·24
    assert sizes["lstm"] == 4 * 24 * 27 + 25 + 2 * 24
    lstm = nam_system.recipe("lstm")
    assert (lstm["optimizer"]["lr"], lstm["lr_scheduler"]["kwargs"]["gamma"]) == (0.01, 0.995)
    assert (lstm["loss"]["mask_first"], lstm["loss"]["pre_emph_coef"], lstm["loss"]["val_loss"]) == (4096, 0.85, "mse")
    assert set(nam_system.SYSTEMS) == {f"nam-{r}{s}" for r in nam_system.RECIPES for s in ("", "-budget")}


def test_budget_decay_follows_the_wall_clock_in_a_real_lightning_run():
    pl = pytest.importorskip("pytorch_lightning")
    lrs: list[tuple[float, float]] = []

    class Toy(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Linear(1, 1)

        def training_step(self, batch, batch_idx):
            lrs.append((time.perf_counter(), self.trainer.optimizers[0].param_groups[0]["lr"]))
            time.sleep(0.02)
            return self.w(batch[0]).square().mean()

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=4e-3)

    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.randn(64, 1)), batch_size=1)
    decay = nam_system.BudgetDecay(0.6, TrainConfig().lr_decay)
    trainer = pl.Trainer(callbacks=[decay], max_time={"seconds": 2}, max_epochs=-1, logger=False,
                         enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False)
    trainer.fit(Toy(), data)
    rates = [lr for _, lr in lrs]
    assert rates[0] == pytest.approx(4e-3, rel=0.1)
    assert all(b <= a for a, b in zip(rates, rates[1:]))
    assert rates[-1] == pytest.approx(4e-3 * 0.01)
    for t, lr in lrs:  # lr·d^(t/T) at every step, within the clock's slack between two reads
        p = min(1.0, (t - decay.t0) / 0.6)
        assert lr == pytest.approx(4e-3 * 0.01 ** p, rel=0.05)


@pytest.mark.slow
def test_quick_benchmark_runs_end_to_end_and_tabulates(tmp_path):
    out = tmp_path / "accuracy.csv"
    proc = subprocess.run([sys.executable, "-m", "bench.accuracy", "--quick", "--work", str(tmp_path / "work"),
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = pd.read_csv(out)
    expected = {"clean", "fxcore"} | ({"nam-packed", "nam-lstm-budget"} if nam_system.available() else set())
    for pair in ("a", "sox_overdrive"):
        got = rows[rows.pair == pair]
        assert set(got.system) == expected
        for system in expected - {"clean"}:
            mine = got[got.system == system]
            assert sorted(mine.seed) == [0, 1]
            assert mine.esr.map(math.isfinite).all() and (mine.steps > 0).all() and (mine.train_s > 0).all()
            first = mine[mine.seed == 0].iloc[0]
            assert first.rt_block64 > 0 and first.rt_block512 > 0
    assert set(rows.material) == {"synthetic", "instrument"}
    assert rows.commit.notna().all() and rows.versions.str.contains("torch").all()
    table = accuracy_table.markdown(rows)
    assert table.count("\n| a | synthetic | fxcore |") == 1 and "sox_overdrive" in table


@pytest.mark.parametrize("module", [accuracy_table, generalise_table, generalise_full_table, dev_table],
                         ids=["accuracy", "generalise", "generalise-full", "dev"])
def test_readme_tables_are_the_committed_csvs(module):
    readme = (ROOT / "README.md").read_text()
    table = module.markdown(pd.read_csv(ROOT / module.CSV))
    assert replace_block(readme, table, "README.md", module.NAME) == readme, \
        f"README table is stale: python -m {module.__name__} --readme README.md"


def test_generalise_summary_counts_rows_where_auto_beats_nam_tenfold():
    line = dict(host="sox", model="m", wall_s=1.0, mel_distance=0.1, target="", met="", auto_ratio="", commit="c",
                machine="m", date="d")
    rows = pd.DataFrame([
        dict(line, row="sox_chorus1", family="modulation", system="fxcore auto", esr=0.01),
        dict(line, row="sox_chorus1", family="modulation", system=generalise_table.NAM, esr=0.2),   # 20×: counts
        dict(line, row="calf_phaser", family="modulation", system="fxcore auto", esr=0.05),
        dict(line, row="calf_phaser", family="modulation", system=generalise_table.NAM, esr=0.3),   # 6×: does not
        dict(line, row="gx_ds1", family="drive", system="fxcore auto", esr=0.001),
        dict(line, row="gx_ds1", family="drive", system=generalise_table.NAM, esr=0.5),         # not time-varying
        dict(line, row="sox_flanger", family="modulation", system="fxcore auto", esr=0.01),        # NAM not run
    ])
    assert "auto ≥ 10× better than NAM WaveNet on 1 of 2 time-varying rows NAM ran on" in \
        generalise_table.summary(rows)
    assert "NAM" not in generalise_table.summary(rows[rows.system != generalise_table.NAM])


def test_generalise_summary_names_rows_where_both_errors_are_inaudible():
    line = dict(host="sox", family="lti", model="m", wall_s=1.0, mel_distance=0.1, target="", met="", commit="c",
                machine="m", date="d")
    rows = pd.DataFrame([
        dict(line, row="sox_echos", system="fxcore auto", esr=5e-9, auto_ratio=7.0),       # round-off both
        dict(line, row="sox_echos", system="fxcore hand-picked", esr=7e-10, auto_ratio=""),
        dict(line, row="drive_echo", system="fxcore auto", esr=0.0074, auto_ratio=3.7),     # a real shortfall
        dict(line, row="drive_echo", system="fxcore hand-picked", esr=0.002, auto_ratio=""),
        dict(line, row="sox_eq", system="fxcore auto", esr=1e-9, auto_ratio=0.05),          # within 1.5×
        dict(line, row="sox_eq", system="fxcore hand-picked", esr=2e-8, auto_ratio=""),
    ])
    text = generalise_table.summary(rows)
    assert "within 1.5× of the hand pick (or better) on 1 of 3; on 1 more (sox_echos) both are at or below" in text


def test_committed_csv_has_three_seeds_for_every_system_on_every_pair():
    rows = pd.read_csv(ROOT / "bench/results/accuracy.csv")
    trained = rows[rows.system != "clean"]
    assert not trained.empty
    seeds = trained.groupby(["pair", "system"]).seed.nunique()
    assert (seeds >= 3).all(), seeds[seeds < 3]
    pairs = set(trained.pair)
    for pair in pairs:
        assert {"fxcore", "nam-packed", "nam-packed-budget", "nam-lstm", "nam-lstm-budget"} <= \
            set(trained[trained.pair == pair].system), pair
    assert "caps_amp_cab" in pairs and set(trained.material) == {"synthetic", "instrument"}


@pytest.mark.parametrize("args, message", [
    (["--pairs", "nope"], "unknown benchmark pair"),
    (["--systems", "fxcore,nam-huge"], "unknown benchmark system"),
    (["--seeds", "0,x"], "bad --seeds"),
])
def test_bad_arguments_fail_with_one_line(tmp_path, args, message):
    proc = subprocess.run([sys.executable, "-m", "bench.accuracy", *args, "--work", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1 and proc.stderr.strip().startswith("error: ") and message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_a_merged_rerun_replaces_only_its_own_lines_and_keeps_the_order(tmp_path):
    kept = [{"k": "a", "v": "1"}, {"k": "b", "v": "2"}, {"k": "c", "v": "3"}]
    rows = [{"k": "b", "v": "new"}, {"k": "z", "v": "?"}]
    merged = merge_rows(rows, kept, lambda r: r["k"], ["c", "b", "a"])
    assert merged == [{"k": "c", "v": "3"}, {"k": "b", "v": "new"}, {"k": "a", "v": "1"}, {"k": "z", "v": "?"}]
    csv = tmp_path / "old.csv"
    assert kept_rows(csv, ["k", "v"]) == []
    csv.write_text("k,v,extra\na,,x\n")
    assert kept_rows(csv, ["k", "v"]) == [{"k": "a", "v": ""}]  # strings, an empty cell kept as ""
    with pytest.raises(FxcoreError, match=r"old.csv: cannot --merge, columns \['w'\] are missing"):
        kept_rows(csv, ["k", "w"])


def test_a_stamp_keeps_the_asked_columns_and_a_sweep_gets_its_own_material_dir(tmp_path):
    assert list(stamp()) == ["date", "machine", "commit", "versions"]
    assert list(stamp(["commit", "date", "esr"])) == ["date", "commit"]
    plain = material_dir(tmp_path, "gx_amp", 8.0, 7)
    assert plain.name == "gx_amp-8s-seed7"  # the name of the renders made before sweeps existed
    assert material_dir(tmp_path, "gx_amp", 8.0, 7, 6.0).name == "gx_amp-8s-seed7-sweep6s"


@pytest.mark.skipif(shutil.which("sox") is None, reason="sox not installed (run .ci/install_hosts.sh)")
def test_tones_read_a_rows_response_and_where_a_model_leaves_it(tmp_path, capsys):
    # sox_eq (SoX: 800 Hz −6 dB, bass +5 dB, 4 kHz low-pass) and its own least-squares IR: they agree
    # at every tone, and the table shows the low-pass; a model fitted to another row's effect does not agree.
    x = np.random.default_rng(0).standard_normal(48000).astype(np.float32) * 0.1
    eq = tones.ALL_ROWS["sox_eq"].effect()
    model = build_model("ir", {"seconds": 0.1}, 48000)
    model.initialise(x, make_backend(eq["backend"], eq["chain"], eq.get("options", {}), effect="eq").process(x, 48000))
    save_model(tmp_path / "eq.safetensors", model, {"seconds": 0.1})
    lines = pd.DataFrame(tones.tone_table("sox_eq", str(tmp_path / "eq.safetensors"), [-20.0], [100.0, 1000.0, 8000.0]))
    assert (abs(lines.effect_db - lines.model_db) < 0.2).all() and (lines.esr < 1e-3).all()
    assert lines.effect_db[0] > -18 and lines.effect_db[2] < -30  # the +5 dB bass shelf; an octave above the low-pass
    assert (lines.effect_fund_pct > 99).all() and (lines.model_fund_pct > 99).all()  # an EQ makes no harmonics
    # SoX overdrive 20 20: a loud tone comes out as harmonics too, which a linear IR cannot make
    drive = pd.DataFrame(tones.tone_table("sox_overdrive", str(tmp_path / "eq.safetensors"), [-6.0], [110.0]))
    assert drive.effect_fund_pct[0] < 95 and drive.model_fund_pct[0] > 99  # measured 91.6 and 100
    other = pd.DataFrame(tones.tone_table("sox_echo", str(tmp_path / "eq.safetensors"), [-20.0], [1000.0]))
    assert other.esr[0] > 0.1
    assert tones.main(["--row", "sox_eq", "--model", str(tmp_path / "eq.safetensors"), "--levels", "x"]) == 1
    assert capsys.readouterr().err.strip() == "error: bad --levels 'x' — fix: give comma-separated numbers, e.g. --levels 1,2"


@pytest.mark.skipif(shutil.which("sox") is None, reason="sox not installed (run .ci/install_hosts.sh)")
def test_bursts_tell_a_time_invariant_effect_from_a_modulated_one(capsys):
    # SoX reverb answers a burst the same at any time (round-off); SoX tremolo (4 Hz) does not,
    # unless the bursts are a whole number of its periods apart (1.75 s = 7 periods)
    reverb = pd.DataFrame(bursts.burst_table("sox_reverb", 3.0, 3))
    assert (reverb.diff_db < -100).all() and (reverb.late_pct > 0.1).all()  # measured −125 dB, 0.22 %
    tremolo = pd.DataFrame(bursts.burst_table("sox_tremolo", 0.7, 3))
    assert (tremolo.diff_db > -20).all()  # measured −17.5 and −8.5 dB
    assert bursts.burst_table("sox_tremolo", 1.75, 2)[0]["diff_db"] < -100
    assert bursts.main(["--row", "sox_eq", "--count", "1"]) == 1
    assert "leave nothing to compare" in capsys.readouterr().err


def test_step_time_times_each_family_on_its_own_windows(capsys):
    lines = [step_time.step_ms(f, 2) for f in ("tremolo", "wiener_hammerstein_flat")]
    assert [line["window"] for line in lines] == [16384, 4096 + 574]  # the WH net's warm-up: its 575-sample reach
    assert all(line["ms_per_step"] > 0 and line["trial_s"] > 0 for line in lines)
    assert step_time.main(["--families", "tremolo", "--steps", "1"]) == 0 and "tremolo" in capsys.readouterr().out
    assert step_time.main(["--families", "nope"]) == 1 and "unknown benchmark family" in capsys.readouterr().err


def test_variants_train_each_model_on_a_workflow_dataset_and_score_validation(tmp_path, pair_files, capsys):
    pairs, clicks, _ = pair_files
    build_dataset(tmp_path / "ds", pairs, clicks, SplitConfig(0.7, 0.15, 0.15), SR)
    (tmp_path / "model").mkdir()
    tc = TrainConfig(segment_samples=2048, batch_size=2, max_steps=9000, val_every=5)
    (tmp_path / "model" / "train.json").write_text(json.dumps({"effect": "fuzz", "model": "wiener_hammerstein",
                                                               "train": asdict(tc)}))
    out = tmp_path / "v.csv"
    args = ["--dataset", str(tmp_path / "ds"), "--steps", "10", "--out", str(out),
            "--variant", 'short=wiener_hammerstein:{"taps_in": 4, "taps_out": 16}', "--variant", "lin=ir"]
    assert variants.main(args) == 0
    rows = pd.read_csv(out)
    assert list(rows.variant) == ["short", "lin"] and list(rows.steps) == [10, 10]
    assert json.loads(rows.params[0]) == {"taps_in": 4, "taps_out": 16}
    # the `ir` is the least-squares fit of a clipper, which the net starts from and improves on
    assert 0 < rows.best_val[0] < rows.best_val[1] < 1
    assert variants.main(args) == 0 and pd.read_csv(out).best_val.tolist() == rows.best_val.tolist()  # by seed
    capsys.readouterr()
    assert variants.main(["--dataset", str(tmp_path / "ds"), "--variant", "x=wiener_hammerstein:{taps"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "params are not JSON" in err
    assert variants.main(["--dataset", str(tmp_path / "elsewhere" / "ds"), "--variant", "x=ir"]) == 1
    assert "no train.json of a trained workflow model" in capsys.readouterr().err
