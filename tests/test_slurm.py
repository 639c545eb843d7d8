"""The tiny workflow on a real one-node Slurm cluster, through profiles/slurm (sbatch for every job).

tests/slurm/start_cluster.sh starts slurmctld + slurmd + munged (apt-installing slurm-wlm and munge
where missing) with one scheduling-only GPU; the fixture stops it in teardown, also after a failure.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from .conftest import REPO
from .test_workflow import planned_jobs

pytestmark = [pytest.mark.system, pytest.mark.slow]
SLURM = REPO / "tests" / "slurm"
RULES = {"synthesize_track", "click_train", "render_effect", "build_dataset", "train_model", "apply_model",
         "evaluate", "report", "summary", "listen", "index"}


def _stop() -> None:
    subprocess.run(["bash", str(SLURM / "stop_cluster.sh")], capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def cluster():
    if os.geteuid() != 0:
        pytest.skip("the Slurm test cluster needs root (apt-get install slurm-wlm munge, daemons as root)")
    if not shutil.which("slurmctld") and not shutil.which("apt-get"):
        pytest.skip("slurm-wlm is not installed and apt-get is not available to install it")
    # one test cluster per machine (/etc/slurm is global): concurrent test runs wait for each other
    lock = open("/var/tmp/fxcore-slurm.lock", "w")
    deadline = time.monotonic() + 900
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                pytest.fail("another test run held the Slurm test cluster for 15 minutes")
            time.sleep(2)
    try:
        yield from _cluster()
    finally:
        lock.close()


def _cluster():
    try:
        start = subprocess.run(["bash", str(SLURM / "start_cluster.sh")], capture_output=True, text=True,
                               timeout=600)
    except subprocess.TimeoutExpired:
        _stop()
        pytest.fail("the Slurm test cluster did not start within 10 minutes")
    if start.returncode != 0:
        _stop()
        if not shutil.which("slurmctld"):
            pytest.skip(f"slurm-wlm/munge could not be installed: {start.stderr[-1000:]}")
        pytest.fail(f"the Slurm test cluster did not start: {start.stderr[-2000:]}")
    try:
        yield start.stdout.strip()
    finally:
        _stop()


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


@pytest.fixture(scope="module")
def profile(tmp_path_factory) -> Path:
    """profiles/slurm with the test cluster's partition and sizes (tests/slurm/profile-overrides.yaml)."""
    real = yaml.safe_load((REPO / "profiles" / "slurm" / "config.yaml").read_text())
    over = yaml.safe_load((SLURM / "profile-overrides.yaml").read_text())
    merged = _merge(real, over)
    # what the test relies on comes from the real profile: sbatch for every job, the GPU request,
    # squeue for job status (no slurmdbd here, so sacct cannot answer)
    assert merged["executor"] == "slurm" and merged["slurm-status-command"] == "squeue"
    assert merged["set-resources"]["train_model"]["gpu"] == 1
    d = tmp_path_factory.mktemp("profile")
    (d / "config.yaml").write_text(yaml.safe_dump(merged, sort_keys=False))
    return d


# the full run is 20 sbatch jobs, each starting Snakemake and torch: 318 s on this 2-core machine, and a
# CI machine reached the 20th job at 420 s, so the limit leaves room for a slower one
def snakemake_slurm(profile: Path, work: Path, config: Path, *args: str, timeout: int = 900):
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(work),
           "--configfile", str(config), "--profile", str(profile), *args]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode(errors="replace") + (exc.stderr or b"").decode(errors="replace")
        subprocess.run(["scancel", "--user=root"], capture_output=True, timeout=30)
        pytest.fail(f"snakemake on Slurm did not finish in {timeout} s; squeue/logs under {work}:\n{out[-4000:]}")


def _slurm_logs(work: Path) -> str:
    logs = work / ".snakemake" / "slurm_logs"
    return "\n".join(f"== {p}\n{p.read_text(errors='replace')[-1500:]}" for p in sorted(logs.rglob("*.log")))[-8000:]


def test_workflow_runs_through_sbatch(cluster, profile, tmp_path):
    config = tmp_path / "config.yaml"
    shutil.copy(REPO / "config" / "test.yaml", config)
    res = snakemake_slurm(profile, tmp_path, config)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-5000:] + "\n" + _slurm_logs(tmp_path)
    effects = list(yaml.safe_load(config.read_text())["effects"])
    for effect in effects:
        assert (tmp_path / "results" / effect / "report.pdf").read_bytes()[:4] == b"%PDF"
        assert "device" in json.loads((tmp_path / "results" / effect / "metrics.json").read_text())
        # Slurm gave the training job the GPU (--gpus=1 → CUDA_VISIBLE_DEVICES=0); the test GPU is
        # /dev/null, so torch sees no CUDA device and fxcore trains on the CPU, and says so.
        train_log = (tmp_path / "results" / effect / "logs" / "train_model.log").read_text()
        assert "CUDA_VISIBLE_DEVICES=0" in train_log, train_log[-2000:]
        assert "training on the CPU" in train_log
    assert (tmp_path / "results" / "summary.pdf").exists()

    # every job went through sbatch: .snakemake/slurm_logs/rule_<rule>/<wildcards>/<slurm job id>.log
    logs = tmp_path / ".snakemake" / "slurm_logs"
    per_rule = {p.name.removeprefix("rule_"): sorted(p.rglob("*.log")) for p in logs.iterdir() if p.is_dir()}
    assert RULES <= set(per_rule), sorted(per_rule)
    for rule in RULES:
        assert per_rule[rule] and all(p.stem.isdigit() for p in per_rule[rule]), (rule, per_rule[rule])
    assert len(per_rule["train_model"]) == len(effects)
    assert {p.parent.name for p in per_rule["train_model"]} == set(effects)
    # Slurm itself recorded the GPU request of the training jobs (sbatch --gpus=1), and only theirs
    # (the test cluster keeps finished jobs for MinJobAge=600 s)
    for rule in ("train_model", "render_effect", "build_dataset"):
        for log in per_rule[rule]:
            job = subprocess.run(["scontrol", "show", "job", log.stem], capture_output=True, text=True, timeout=30)
            assert "JobState=COMPLETED" in job.stdout, job.stdout + job.stderr
            assert ("TresPerJob=gres:gpu:1" in job.stdout) == (rule == "train_model"), (rule, job.stdout)

    # incremental on the cluster too: change one chain → only that effect's jobs would be submitted
    again = snakemake_slurm(profile, tmp_path, config, "--dry-run", timeout=120)
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr
    raw = yaml.safe_load(config.read_text())
    raw["effects"]["reverb"]["chain"][0]["Reverb"]["room_size"] = 0.8
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(raw))
    plan = snakemake_slurm(profile, tmp_path, edited, "--dry-run", timeout=120)
    assert plan.returncode == 0, plan.stderr[-3000:]
    jobs = planned_jobs(plan.stdout + plan.stderr)
    assert {e for _, e in jobs if e} == {"reverb"}, jobs
    assert {r for r, _ in jobs} >= {"render_effect", "build_dataset", "train_model", "apply_model", "evaluate",
                                   "report"}
    assert {r for r, e in jobs if not e} <= {"summary", "index", "all"}
