"""From capture to plugin: the real workflow (tiny config, temp dir) builds every effect's LV2 plugin with
`snakemake plugins`, and the plugin, run by Debian's lv2apply, reproduces the workflow's own PyTorch
renders (`results/<effect>/test/model.wav`) to ESR ≤ 1e-8."""

from __future__ import annotations

import ctypes.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from fxcore.audio import read_audio
from fxcore.dataset.shards import Dataset
from fxcore.metrics import esr
from fxcore.model_io import load_model

from .conftest import REPO
from .test_workflow import snakemake

pytestmark = [pytest.mark.slow, pytest.mark.system,
              pytest.mark.skipif(shutil.which("cc") is None or shutil.which("lv2apply") is None
                                 or not Path("/usr/include/lv2/core/lv2.h").exists()
                                 or ctypes.util.find_library("lilv-0") is None,
                                 reason="needs cc, lv2-dev and lilv-utils (run .ci/install_hosts.sh)")]

EFFECTS = ("fuzz", "reverb")  # config/test.yaml: wiener_hammerstein and ir
TOL = 1e-8


@pytest.fixture(scope="module")
def plugin_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("wf_plugins")
    config = work / "config.yaml"
    shutil.copy(REPO / "config" / "test.yaml", config)
    targets = ["plugins", *(f"results/{e}/test/model.wav" for e in EFFECTS)]
    res = snakemake(work, config, "--cores", "2", *targets)
    assert res.returncode == 0, res.stderr[-4000:]
    return work


def test_plugins_target_builds_a_bundle_per_effect(plugin_run):
    for effect in EFFECTS:
        bundle = plugin_run / "results" / effect / "plugin.lv2"
        marker = json.loads((bundle / "fxcore-bundle.json").read_text())
        assert (bundle / marker["binary"]).is_file() and (bundle / "manifest.ttl").is_file()
        assert marker["uri"].startswith(f"urn:fxcore:plugin:{effect}:")
        assert "exported" in (plugin_run / "results" / effect / "logs" / "export_plugin.log").read_text()


@pytest.mark.parametrize("effect", EFFECTS)
def test_lv2apply_reproduces_the_workflows_test_render(plugin_run, effect):
    """The workflow renders each test region from its track's start: so does the plugin, track by track."""
    from fxcore.export.hosts import render_lv2apply

    res = plugin_run / "results" / effect
    bundle = res / "plugin.lv2"
    lat = json.loads((bundle / "fxcore-bundle.json").read_text())["latency_samples"]
    data = Dataset(res / "dataset")
    sr = data.sample_rate
    parts = []
    for r in data.split("test"):
        clean = np.asarray(data.clean(r.track))[:r.stop]
        y = render_lv2apply(bundle, np.concatenate([clean, np.zeros(lat, np.float32)]), sr)[lat:]
        parts.append(y[r.start:r.stop])
    model_wav, _ = read_audio(res / "test" / "model.wav", sr)
    assert esr(np.concatenate(parts), model_wav) <= TOL
    # and on a signal rendered both ways here: the test split's clean audio as one file
    clean_wav, _ = read_audio(res / "test" / "clean.wav", sr)
    y = render_lv2apply(bundle, np.concatenate([clean_wav, np.zeros(lat, np.float32)]), sr)[lat:]
    ref = load_model(res / "model" / "model.safetensors").render(clean_wav)
    assert len(y) == len(ref) and esr(y, ref) <= TOL
