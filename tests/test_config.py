"""Config validation: the shipped configs parse; bad ones fail in one line naming the fix."""

from __future__ import annotations

import copy

import pytest
import yaml

from fxcore.config import EffectConfig
from fxcore.validate import load_config, parse_config
from fxcore.errors import FxcoreError

from .conftest import REPO


def raw_default() -> dict:
    return yaml.safe_load((REPO / "config.yaml").read_text())


def test_shipped_configs_parse():
    cfg = load_config(REPO / "config.yaml")
    assert {"distortion", "fuzz", "compression", "amp_cab", "lowpass", "highpass", "octave", "chorus",
            "delay", "reverb"} <= set(cfg.effects)
    assert load_config(REPO / "config" / "test.yaml").sample_rate == 16000


def test_effect_overrides_defaults_key_by_key():
    raw = raw_default()
    raw["effects"]["fuzz"]["train"] = {"lr": 0.001, "loss": {"mrstft_weight": 0.5}}
    cfg = parse_config(raw)
    fuzz, dist = cfg.effect("fuzz"), cfg.effect("distortion")
    assert fuzz.train.lr == 0.001 and dist.train.lr == raw["defaults"]["train"]["lr"]
    assert fuzz.train.loss.mrstft_weight == 0.5
    assert fuzz.train.loss.pre_emphasis == raw["defaults"]["train"]["loss"]["pre_emphasis"]
    assert fuzz.train.batch_size == dist.train.batch_size


def test_effect_config_json_round_trip():
    cfg = load_config(REPO / "config.yaml").effect("reverb")
    assert EffectConfig.from_json(cfg.to_json()) == cfg


@pytest.mark.parametrize("mutate, needle", [
    (lambda r: r.__setitem__("sample_rate", "fast"), "sample_rate"),
    (lambda r: r["effects"]["fuzz"].__setitem__("backend", "nope"), "unknown backend 'nope'"),
    (lambda r: r["effects"]["fuzz"]["chain"].append({"Fuzzinator": {}}), "unknown pedalboard processor"),
    (lambda r: r["effects"]["fuzz"]["chain"].append({"Gain": {"gain": 3}}), "bad parameters for Gain"),
    (lambda r: r["defaults"]["model"].__setitem__("name", "transformer9000"), "unknown model"),
    (lambda r: r["split"].__setitem__("train", 0.9), "split fractions sum"),
    (lambda r: r["defaults"]["train"].__setitem__("batch_sise", 3), "batch_sise"),
])
def test_bad_config_is_one_clear_line(mutate, needle):
    raw = copy.deepcopy(raw_default())
    mutate(raw)
    with pytest.raises(FxcoreError) as err:
        parse_config(raw)
    msg = str(err.value)
    assert needle in msg and "\n" not in msg and "fix:" in msg


def test_unknown_effect_lookup():
    cfg = load_config(REPO / "config.yaml")
    with pytest.raises(FxcoreError, match="unknown effect 'wahwah'"):
        cfg.effect("wahwah")


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(FxcoreError, match="not found"):
        load_config(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("effects: [unclosed\n")
    with pytest.raises(FxcoreError, match="not valid YAML"):
        load_config(bad)


def test_defaults_live_in_the_dataclasses():
    """config.yaml's defaults.train restates TrainConfig's defaults; the schema holds no defaults of its own."""
    import dataclasses
    import json

    from fxcore.config import LossConfig, TrainConfig

    shipped = raw_default()["defaults"]["train"]
    for key, value in shipped.items():
        default = getattr(TrainConfig(), key)
        assert (dataclasses.asdict(default) if key == "loss" else default) == value, key
    assert dataclasses.asdict(LossConfig()) == shipped["loss"]
    assert '"default"' not in (REPO / "fxcore" / "schemas" / "config.schema.json").read_text()
    json.loads((REPO / "fxcore" / "schemas" / "config.schema.json").read_text())
