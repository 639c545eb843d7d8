"""The real workflow, end to end, with Snakemake in a temp dir (tiny config, real everything)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from fxcore.audio import write_audio

from .conftest import REPO, noise_tone

pytestmark = pytest.mark.slow


def snakemake(workdir: Path, config: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
           "--configfile", str(config), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def planned_jobs(out: str) -> set[tuple[str, str]]:
    """(rule, effect) of every job in a dry-run plan."""
    jobs = set()
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", out):
        m = re.match(r"(?:local)?rule (\w+):", block.strip())
        if m:
            w = re.search(r"wildcards: .*?effect=(\w+)", block)
            jobs.add((m.group(1), w.group(1) if w else ""))
    return jobs


@pytest.fixture(scope="module")
def workflow_run(tmp_path_factory):
    """Run the whole tiny workflow once (both test effects, a user training file, the summary)."""
    work = tmp_path_factory.mktemp("wf")
    write_audio(work / "training_audio" / "riff.wav", np.repeat(noise_tone(1.5, 11, 22050)[:, None], 2, 1), 22050)
    # a user's "recorded" capture: a real pedalboard distortion with 50 samples of latency
    from fxcore.effects import make_backend

    clean = noise_tone(4.0, 12)
    wet = make_backend("pedalboard", [{"Distortion": {"drive_db": 15}}]).process(clean, 16000)
    write_audio(work / "captures" / "di.wav", clean, 16000)
    write_audio(work / "captures" / "amp.wav", np.concatenate([np.zeros(50, np.float32), wet]), 16000)
    raw = yaml.safe_load((REPO / "config" / "test.yaml").read_text())
    raw["effects"]["captured"] = {"backend": "recorded", "options": {
        "clean": str(work / "captures" / "di.wav"), "processed": str(work / "captures" / "amp.wav")}}
    config = work / "config.yaml"
    config.write_text(yaml.safe_dump(raw))
    res = snakemake(work, config, "--cores", "2")
    assert res.returncode == 0, res.stderr[-4000:]
    return work, config


def test_reports_and_metrics_are_built(workflow_run):
    work, _ = workflow_run
    for effect in ("fuzz", "reverb"):
        pdf = work / "results" / effect / "report.pdf"
        assert pdf.read_bytes()[:4] == b"%PDF"
        m = json.loads((work / "results" / effect / "metrics.json").read_text())
        for key in ("esr", "esr_clean", "mrstft", "mel_distance", "mel_distance_clean", "lufs_diff",
                    "closer_to_target_than_clean", "device"):
            assert key in m
        assert (work / "results" / effect / "logs" / "train_model.log").read_text()
    # the grey-box reverb shows why it works: learned vs measured impulse response
    assert sorted(p.name for p in (work / "results" / "reverb" / "plots").glob("4_structure_*.png"))
    reverb = json.loads((work / "results" / "reverb" / "metrics.json").read_text())
    assert reverb["esr"] < 0.5 * reverb["esr_clean"]
    fuzz = json.loads((work / "results" / "fuzz" / "metrics.json").read_text())
    assert fuzz["esr"] < fuzz["esr_clean"] and fuzz["mel_distance"] < fuzz["mel_distance_clean"]
    manifest = json.loads((work / "results" / "fuzz" / "dataset" / "manifest.json").read_text())
    assert [t["name"] for t in manifest["tracks"]] == ["track_000", "track_001", "user_riff"]
    assert manifest["latency_samples"] == 0
    assert (work / "results" / "summary.csv").read_text().count("\n") == 4
    captured = json.loads((work / "results" / "captured" / "dataset" / "manifest.json").read_text())
    assert 48 <= captured["latency_samples"] <= 50 and [t["name"] for t in captured["tracks"]] == ["recorded"]
    assert not (work / "results" / "captured" / "processed").exists()  # nothing rendered for a capture
    # rule all builds the listening pages and the index (their content: tests/test_listen_browser.py)
    assert all((work / "results" / e / "listen.html").stat().st_size for e in ("fuzz", "reverb", "captured"))
    assert (work / "results" / "index.html").read_text().count("listen.html") == 3


STAGES = ("render_effect", "build_dataset", "train_model", "apply_model", "evaluate", "report", "listen")
TRAINING = STAGES[2:]
SYNTHETIC = ("fuzz", "reverb")
ALL = (*SYNTHETIC, "captured")


def _jobs(effects, rules, *extra):
    return {(r, e) for e in effects for r in rules} | set(extra)


def _set(raw, path, value):
    *keys, last = path
    for k in keys:
        raw = raw.setdefault(k, {})
    raw[last] = value


SUMMARY = (("summary", ""), ("index", ""), ("all", ""))  # the index is built after the summary
# (edit: config path → new value, the exact set of (rule, effect) jobs Snakemake must plan)
RERUNS = {
    "train lr": ((("effects", "fuzz", "train", "lr"), 0.02), _jobs(["fuzz"], TRAINING, *SUMMARY)),
    "model param": ((("effects", "fuzz", "model"), {"params": {"hidden": 6}}), _jobs(["fuzz"], TRAINING, *SUMMARY)),
    "default train": ((("defaults", "train", "batch_size"), 3), _jobs(ALL, TRAINING, *SUMMARY)),
    "chain": ((("effects", "reverb", "chain", 0, "Reverb", "room_size"), 0.7), _jobs(["reverb"], STAGES, *SUMMARY)),
    "capture option": ((("effects", "captured", "options", "latency"), 50),
                       _jobs(["captured"], STAGES[1:], *SUMMARY)),
    "split": ((("split",), {"train": 0.5, "val": 0.25, "test": 0.25}), _jobs(ALL, STAGES[1:], *SUMMARY)),
    "synth": ((("synth", "segment_seconds"), 2.5),
              _jobs(SYNTHETIC, STAGES, *SUMMARY, ("synthesize_track", ""))),
    # the index links every report, so it follows them (its content does not change, but it is milliseconds)
    "report notes": ((("report", "notes"), "Strat DI, bridge pickup"), _jobs(ALL, ["report"], ("index", ""), ("all", ""))),
    "listen trials": ((("listen", "trials"), 20), _jobs(ALL, ["listen"], ("index", ""), ("all", ""))),
}


def test_nothing_to_do_on_an_unchanged_config(workflow_run):
    work, config = workflow_run
    again = snakemake(work, config, "--dry-run")
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr


@pytest.mark.parametrize("edit", list(RERUNS))
def test_an_edit_reruns_exactly_the_jobs_it_affects(workflow_run, edit):
    """A training edit retrains without re-rendering; a chain edit reruns that effect; and so on."""
    work, config = workflow_run
    (path, value), expected = RERUNS[edit]
    raw = yaml.safe_load(config.read_text())
    if path[0] == "effects" and path[2] == "chain":
        raw["effects"][path[1]]["chain"][path[3]][path[4]][path[5]] = value
    else:
        _set(raw, path, value)
    edited = work / f"edited-{edit.replace(' ', '_')}.yaml"
    edited.write_text(yaml.safe_dump(raw))
    plan = snakemake(work, edited, "--dry-run")
    assert plan.returncode == 0, plan.stderr[-3000:]
    assert planned_jobs(plan.stdout + plan.stderr) == expected


def test_a_forced_retrain_reproduces_the_same_bytes(workflow_run):
    """Step-budgeted training: a forced rerun starts fresh and writes the same model and metrics bytes."""
    work, config = workflow_run
    model = work / "results/fuzz/model/model.safetensors"
    metrics = work / "results/fuzz/metrics.json"
    before = model.read_bytes(), metrics.read_bytes()
    res = snakemake(work, config, "--cores", "2", "--forcerun", "train_model", "results/fuzz/report.pdf")
    assert res.returncode == 0, res.stderr[-3000:]
    assert "resumed" not in (work / "results/fuzz/logs/train_model.log").read_text()
    assert (model.read_bytes(), metrics.read_bytes()) == before


def test_bad_config_fails_before_any_job(tmp_path):
    raw = yaml.safe_load((REPO / "config" / "test.yaml").read_text())
    raw["effects"]["fuzz"]["chain"].append({"Fuzzinator": {"level": 3}})
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(yaml.safe_dump(raw))
    res = snakemake(tmp_path, cfg, "--cores", "1")
    assert res.returncode != 0
    assert "unknown pedalboard processor 'Fuzzinator'" in res.stderr
    assert not (tmp_path / "results").exists()


def test_cli_apply_uses_a_workflow_model(workflow_run, tmp_path):
    work, _ = workflow_run
    out = tmp_path / "wet.wav"
    res = subprocess.run([sys.executable, "-m", "fxcore", "apply", str(work / "results/fuzz/model/model.safetensors"),
                          str(work / "results/clean/track_000.wav"), str(out)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert out.stat().st_size > 1000
    bad = subprocess.run([sys.executable, "-m", "fxcore", "apply", str(work / "results/fuzz/model/model.safetensors"),
                          str(work / "training_audio/riff.wav"), str(out)], capture_output=True, text=True)
    assert bad.returncode == 1 and "sample rate is 22050" in bad.stderr and bad.stderr.count("\n") == 1


def test_missing_host_stops_only_the_runs_that_need_it(tmp_path):
    """REAPER is not installable here: a reaper effect blocks `all` in one line, not other effects."""
    raw = yaml.safe_load((REPO / "config" / "test.yaml").read_text())
    raw["effects"]["daw"] = {"backend": "reaper", "options": {"executable": str(tmp_path / "no-reaper")},
                             "chain": [{"js": "Guitar/distortion", "sliders": [24, -12]}]}
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump(raw))
    everything = snakemake(tmp_path, cfg, "--dry-run")
    assert everything.returncode != 0 and "effect 'daw' (reaper): REAPER not found" in everything.stdout + everything.stderr
    fuzz_only = snakemake(tmp_path, cfg, "--dry-run", "results/fuzz/report.pdf")
    assert fuzz_only.returncode == 0, fuzz_only.stderr[-2000:]
    assert ("train_model", "fuzz") in planned_jobs(fuzz_only.stdout + fuzz_only.stderr)
