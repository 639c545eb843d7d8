# Helpers shared by the rules. The config is validated here, once, before any job is planned.
import json
import os
import sys
from pathlib import Path

# fxcore is importable from the checkout even when it is not pip-installed, in jobs too.
sys.path.insert(0, workflow.basedir)
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [workflow.basedir, os.environ.get("PYTHONPATH")]))

from fxcore.validate import check_hosts, parse_config  # noqa: E402
from fxcore.errors import FxcoreError  # noqa: E402
from fxcore.synth import training_audio_files  # noqa: E402

# Errors name the file the user gave: the last --configfile (the Snakefile's config.yaml, when it
# exists, is also loaded but listed after them), else config.yaml. Jobs learn it from the environment.
CONFIG_SOURCE = str((workflow.overwrite_configfiles or workflow.configfiles or ["config.yaml"])[-1])
os.environ["FXCORE_CONFIGFILE"] = CONFIG_SOURCE
try:
    CFG = parse_config(config, source=CONFIG_SOURCE)
except FxcoreError as exc:
    raise WorkflowError(str(exc)) from None

EFFECTS = list(CFG.effects)
_HOSTS_OK = set()


def host_checked(effect):
    """Check the effect's host program/plugins once, when the DAG first needs the effect.

    Called from input functions, so a missing LV2/SoX/REAPER host stops only the runs (and dry
    runs) that build that effect: `results/fuzz/report.pdf` needs pedalboard alone.
    """
    if effect not in _HOSTS_OK:
        try:
            check_hosts(CFG, [effect])
        except FxcoreError as exc:
            raise WorkflowError(str(exc)) from None
        _HOSTS_OK.add(effect)
    return effect


SYNTH_TRACKS = [f"track_{i:03d}" for i in range(CFG.synth.tracks)]
USER_AUDIO = {f"user_{p.stem}": str(p) for p in training_audio_files(CFG.synth.training_audio, CONFIG_SOURCE)}
TRACKS = SYNTH_TRACKS + list(USER_AUDIO)

wildcard_constraints:
    effect="|".join(EFFECTS),
    track="[A-Za-z0-9_.-]+",


def clean_tracks(wildcards=None):
    """Every clean track (synthetic + user audio), in a fixed order."""
    return [f"results/clean/{t}.wav" for t in TRACKS]


# Each rule's params hold exactly what changes its output (Snakemake reruns a job when they change):
# a training edit retrains without re-rendering, a chain edit reruns that effect, a report option
# rebuilds only the reports.


def render_params(wildcards):
    """What changes an effect's rendering: host, chain, host options."""
    return CFG.effects[wildcards.effect].render.to_json()


def capture_params(wildcards):
    """What changes a recorded effect's dataset beyond its files: the capture options ('' if rendered)."""
    e = CFG.effects[wildcards.effect]
    return json.dumps(e.options, sort_keys=True) if e.backend == "recorded" else ""


def recipe_params(wildcards):
    """What changes a trained model beyond its dataset: model, training recipe (and the effect's name: its seed)."""
    return CFG.effects[wildcards.effect].recipe.to_json()


def effect_params(wildcards):
    """The whole per-effect config as canonical JSON (printed in the report)."""
    return CFG.effects[wildcards.effect].to_json()


def split_params(wildcards=None):
    return json.dumps({"train": CFG.split.train, "val": CFG.split.val, "test": CFG.split.test})


def listen_params(wildcards=None):
    """What changes a listening page beyond its audio: ABX trials and excerpt length."""
    return json.dumps({"trials": CFG.listen.trials, "excerpt_seconds": CFG.listen.excerpt_seconds})
