"""The generalisation benchmark's rows: third-party effects through the hosts fxcore ships.

Each row is an effect in config.yaml's form (backend, chain, options), the model an informed
user would pick by hand for it (README's models table), the issue's target on held-out pieces,
and a family label. Every family the issue names is covered: SoX built-ins, Calf and guitarix
LV2 plugins, caps LADSPA plugins through SoX, and chains of two.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from fxcore.config import EffectConfig, ModelConfig
from fxcore.families import FAMILIES

CALF = "http://calf.sourceforge.net/plugins/"
GX = "http://guitarix.sourceforge.net/plugins/"


@dataclass(frozen=True)
class Row:
    """One benchmark row: key, family, effect (backend/chain/options), hand-picked model, target ESR."""

    key: str
    family: str        # lti | modulation | dynamics | drive | chain
    backend: str
    chain: list[Any]
    model: dict[str, Any]
    target: float
    options: dict[str, Any] = field(default_factory=dict)
    quick: bool = False  # in the --quick subset
    lfo: bool = False    # an LFO in a chain row (every modulation row has one): a time-varying row

    @property
    def time_varying(self) -> bool:
        """True for the rows the issue's "≥ 10× better than NAM on every time-varying row" is about."""
        return self.lfo or self.family == "modulation"

    def effect(self) -> dict[str, Any]:
        """The row as a config.yaml `effects:` entry (hand-picked model; training set by the bench)."""
        # Long windows pass the config check for every model; the bench sets each family's own.
        return {"backend": self.backend, "chain": self.chain, "options": dict(self.options),
                "model": self.model, "train": {"segment_samples": 131072}}


MONO = {"downmix": "mean"}
WH = {"name": "wiener_hammerstein", "params": {}}
WH_DYN = {"name": "wiener_hammerstein", "params": {"dynamics": True}}
COMPRESSOR = {"name": "compressor", "params": {"fit_seconds": 30.0}}
PHASER = {"name": "phaser", "params": {}}
CHORUS = {"name": "chorus", "params": {"max_delay_ms": 40.0, "min_delay_ms": 0.05}}
CHORUS3 = {"name": "chorus", "params": dict(FAMILIES["multichorus"].model.params)}  # 4 voices up to 100 ms
# Calf MultiChorus with 2 voices: 4 taps (2 per stereo side) under 20 ms, its wet path band-passed
CALF_CHORUS = {"name": "chorus", "params": {**FAMILIES["multichorus"].model.params, "max_delay_ms": 25.0,
                                            "filter_taps": 32}}
EQ_CHORUS = {"name": "chorus", "params": {"max_delay_ms": 40.0, "min_delay_ms": 0.05, "filter_taps": 32}}
FLANGER = {"name": "flanger", "params": {}}
AMPVTS = {"plugin": "caps.so", "label": "AmpVTS",
          "controls": {"over": 1, "gain": 0.6, "bright": 0.5, "power": 0.5, "tonestack": 4, "bass": 0.5,
                       "mid": 0.6, "treble": 0.6, "attack": 0.25, "squash": 0.4, "lowcut": 0.3}}


def _ir(seconds: float) -> dict[str, Any]:
    return {"name": "ir", "params": {"seconds": seconds}}


ROWS: dict[str, Row] = {r.key: r for r in (
    # --- linear time-invariant: EQ, reverb, plain echoes (target 1e-3)
    Row("sox_eq", "lti", "sox", [{"equalizer": [800, "1q", -6]}, {"bass": [5]}, {"lowpass": [4000]}], _ir(0.1),
        1e-3, quick=True),
    Row("sox_echo", "lti", "sox", [{"echo": [0.8, 0.7, 250, 0.4]}], _ir(0.4), 1e-3, quick=True),
    Row("sox_echos", "lti", "sox", [{"echos": [0.8, 0.7, 180, 0.35, 420, 0.25]}], _ir(0.8), 1e-3),
    Row("sox_reverb", "lti", "sox", [{"gain": [-6]}, {"reverb": [50, 50, 80]}], _ir(2.0), 1e-3, MONO),
    Row("calf_reverb", "lti", "lv2", [{"uri": CALF + "Reverb",
                                       "controls": {"decay_time": 1.2, "room_size": 2, "amount": 0.3, "dry": 0.8}}],
        _ir(2.0), 1e-3, MONO),
    # caps' mono-in/stereo-out Plate aborts SoX (double free): its 2-in/2-out PlateX2 on a doubled channel
    Row("caps_plate", "lti", "sox", [{"gain": [-6]}, {"channels": [2]},
                                     {"ladspa": {"plugin": "caps.so", "label": "PlateX2"}}],
        _ir(2.0), 1e-3, MONO),
    Row("calf_vintage_delay", "lti", "lv2", [{"uri": CALF + "VintageDelay",
                                              "controls": {"timing": 1, "ms": 300, "feedback": 0.4, "amount": 0.4,
                                                           "medium": 0}}],
        {"name": "feedback_delay", "params": {}}, 1e-3, MONO),
    # --- modulation (target 0.03, none worse than 0.05)
    Row("sox_chorus1", "modulation", "sox", [{"chorus": [0.7, 0.9, 40, 0.5, 0.4, 2.0, "-s"]}], CHORUS, 0.03,
        quick=True),
    Row("sox_chorus3", "modulation", "sox", [{"chorus": [0.6, 0.9, 25, 0.35, 0.5, 2.0, "-t", 55, 0.3, 0.35, 2.5,
                                                        "-s", 85, 0.25, 0.25, 3.0, "-t"]}], CHORUS3, 0.03),
    Row("sox_flanger", "modulation", "sox", [{"flanger": [0, 2, 0, 71, 0.5]}], FLANGER, 0.03),
    Row("sox_phaser", "modulation", "sox", [{"phaser": [0.8, 0.74, 3, 0.4, 0.5, "-s"]}], FLANGER, 0.03),
    Row("sox_tremolo", "modulation", "sox", [{"tremolo": [4, 60]}], {"name": "tremolo", "params": {}}, 0.03,
        quick=True),
    Row("calf_chorus", "modulation", "lv2", [{"uri": CALF + "MultiChorus",
                                              "controls": {"mod_rate": 0.5, "voices": 2, "min_delay": 5,
                                                           "mod_depth": 4}}], CALF_CHORUS, 0.03, MONO),
    Row("calf_flanger", "modulation", "lv2", [{"uri": CALF + "Flanger",
                                               "controls": {"mod_rate": 0.3, "feedback": 0.5}}], FLANGER, 0.03, MONO),
    Row("calf_phaser", "modulation", "lv2", [{"uri": CALF + "Phaser",
                                              "controls": {"mod_rate": 0.4, "stages": 4, "feedback": 0.3}}],
        PHASER, 0.03, MONO),
    # --- dynamics (target 5e-3)
    Row("sox_compand", "dynamics", "sox", [{"compand": ["0.005,0.15", "6:-50,-50,-20,-12,0,-6", -3, -90]}],
        COMPRESSOR, 5e-3, quick=True),
    Row("calf_compressor", "dynamics", "lv2", [{"uri": CALF + "MonoCompressor",
                                                "controls": {"threshold": 0.1, "ratio": 4, "attack": 5,
                                                             "release": 120, "makeup": 2}}], COMPRESSOR, 5e-3),
    # --- drive / amp (target 0.02 within 240 s)
    Row("sox_overdrive", "drive", "sox", [{"overdrive": [20, 20]}], WH, 0.02),
    # guitarix's BYPASS port is an on switch: 1 (its default) processes, 0 passes the input through
    Row("gx_ds1", "drive", "lv2", [{"uri": GX + "gx_bossds1_#_bossds1_", "controls": {"DRIVE": 0.6, "BYPASS": 1}}],
        WH, 0.02, MONO),
    Row("caps_amp_cab", "drive", "sox", [{"gain": [-3]}, {"ladspa": AMPVTS},
                                         {"ladspa": {"plugin": "caps.so", "label": "CabinetIV",
                                                     "controls": {"model": 12, "gain_db": 0}}}], WH, 0.02),
    Row("gx_amp", "drive", "lv2", [{"uri": GX + "gx_amp#GUITARIX"}], WH, 0.02, MONO),
    # --- chains of two
    Row("drive_echo", "chain", "sox", [{"overdrive": [15, 20]}, {"echo": [0.8, 0.6, 220, 0.4]}],
        {"name": "series", "params": dict(FAMILIES["drive_then_echo"].model.params)}, 0.02),
    Row("comp_amp", "chain", "sox", [{"compand": ["0.005,0.15", "6:-50,-50,-20,-12,0,-6", -3, -90]},
                                     {"ladspa": AMPVTS}], WH_DYN, 0.02),
    Row("eq_chorus", "chain", "sox", [{"equalizer": [2000, "1q", 6]}, {"chorus": [0.7, 0.9, 30, 0.5, 0.6, 1.5, "-t"]}],
        EQ_CHORUS, 0.03, lfo=True),
)}

def hand_recipe(effect: EffectConfig, row: Row) -> EffectConfig:
    """The hand-picked model with the training keys of its family in fxcore.auto (same windows as auto)."""
    model = ModelConfig(row.model["name"], dict(row.model.get("params", {})))
    keys: dict = {}
    for fam in FAMILIES.values():
        if fam.model.name == model.name and bool(fam.model.params.get("dynamics")) == bool(model.params.get("dynamics")):
            keys = fam.train
            break
    return replace(effect, model=model, train=replace(effect.train, **keys))
