"""The tiny workflow on a real one-node Slurm cluster, through profiles/slurm (sbatch for every job)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import REPO
from .test_workflow import planned_jobs

pytestmark = [pytest.mark.system, pytest.mark.slow]
SLURM = REPO / "tests" / "slurm"
# The test cluster has 2 CPUs and ~1 GB per CPU: shrink the profile's resources, keep everything else.
OVERRIDES = ["--default-resources", "slurm_partition=debug", "runtime=20", "mem_mb=1000", "cpus_per_task=1",
             "--set-resources", "train_model:gpu=1", "train_model:cpus_per_task=1", "train_model:mem_mb=1500",
             "render_effect:cpus_per_task=1", "apply_model:cpus_per_task=1",
             "--set-threads", "train_model=1",
             "--slurm-init-seconds-before-status-checks", "5", "--jobs", "4"]


@pytest.fixture(scope="module")
def cluster():
    if os.geteuid() != 0:
        pytest.skip("starting a Slurm cluster needs root (apt-get, munge, slurmctld)")
    try:
        start = subprocess.run(["bash", str(SLURM / "start_cluster.sh")], capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        subprocess.run(["bash", str(SLURM / "stop_cluster.sh")], timeout=60)
        pytest.fail("the Slurm test cluster did not start within 10 minutes")
    if start.returncode != 0:
        subprocess.run(["bash", str(SLURM / "stop_cluster.sh")], timeout=60)
        pytest.fail(f"the Slurm test cluster did not start: {start.stderr[-2000:]}")
    yield start.stdout.strip()
    subprocess.run(["bash", str(SLURM / "stop_cluster.sh")], timeout=60)


def snakemake_slurm(work: Path, config: Path, *args: str, timeout: int = 420) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(work),
           "--configfile", str(config), "--profile", str(REPO / "profiles" / "slurm"), *OVERRIDES, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def test_workflow_runs_through_sbatch(cluster, tmp_path):
    config = tmp_path / "config.yaml"
    shutil.copy(REPO / "config" / "test.yaml", config)
    res = snakemake_slurm(tmp_path, config)
    assert res.returncode == 0, (res.stdout + res.stderr)[-5000:]
    effects = list(yaml.safe_load(config.read_text())["effects"])
    for effect in effects:
        assert (tmp_path / "results" / effect / "report.pdf").read_bytes()[:4] == b"%PDF"
        assert "device" in json.loads((tmp_path / "results" / effect / "metrics.json").read_text())
        # the training job was given a GPU by Slurm (fxcore logs CUDA_VISIBLE_DEVICES; no real GPU → CPU)
        train_log = (tmp_path / "results" / effect / "logs" / "train_model.log").read_text()
        assert "CUDA_VISIBLE_DEVICES=0" in train_log and "training on the CPU" in train_log
    # every rule's jobs went through sbatch: Slurm job logs, one per job, named by job id
    logs = tmp_path / ".snakemake" / "slurm_logs"
    rules_run = {p.name.removeprefix("rule_") for p in logs.iterdir() if p.is_dir()}
    assert {"synthesize_track", "click_train", "render_effect", "build_dataset", "train_model", "apply_model",
            "evaluate", "report", "summary"} <= rules_run
    job_logs = list((logs / "rule_train_model").rglob("*.log"))
    assert len(job_logs) == len(effects) and all(p.stem.isdigit() for p in job_logs)

    # incremental on the cluster too: change one chain → only that effect's jobs would be submitted
    raw = yaml.safe_load(config.read_text())
    raw["effects"]["reverb"]["chain"][0]["Reverb"]["room_size"] = 0.8
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(raw))
    plan = snakemake_slurm(tmp_path, edited, "--dry-run", timeout=120)
    assert plan.returncode == 0, plan.stderr[-3000:]
    jobs = planned_jobs(plan.stdout + plan.stderr)
    assert {e for _, e in jobs if e} == {"reverb"}, jobs
