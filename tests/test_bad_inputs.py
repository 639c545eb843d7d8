"""Bad inputs and faults, one table row each: the user gets one line naming the file and the fix.

Every row runs the real program — `python -m fxcore ...` or a Snakemake dry run of config/test.yaml in a
temp folder — and checks: a non-zero exit, the expected fragments on stderr, no Python traceback, and
nothing written or overwritten (the temp folder is byte-for-byte the same, Snakemake's own .snakemake/
aside). To add a case, append a `Case` to CASES: a setup that writes the bad input into the temp
folder, the command (with {model}, {input}, {tmp} placeholders) and the fragments to expect.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
import soundfile as sf
import torch
import yaml

from .conftest import REPO, SR, noise_tone

TRACEBACK = "Traceback (most recent call last)"
_HAS_CUDA = torch.cuda.is_available()


@dataclass(frozen=True)
class Case:
    """One bad input: what to set up in the temp folder, what to run, what the user must read."""

    id: str
    kind: str                                # "fxcore": python -m fxcore ARGS; "snakemake": a dry run; "run": a real run
    args: tuple[str, ...]                    # placeholders: {tmp}, {model}, {input}
    expect: tuple[str, ...]                  # fragments of the error output, file and fix included
    setup: Callable[[Path], None] | None = None
    one_line: bool = True                    # fxcore errors are exactly one line on stderr
    marks: tuple = field(default_factory=tuple)


# ---- setups: each writes the bad input into the temp folder ------------------------------------------

def _test_config() -> dict:
    return yaml.safe_load((REPO / "config" / "test.yaml").read_text())


def config_with(edit: Callable[[dict], object], name: str = "other.yaml") -> Callable[[Path], None]:
    """A setup writing config/test.yaml, edited in place by `edit`, as `name`."""

    def setup(tmp: Path) -> None:
        raw = _test_config()
        edit(raw)
        (tmp / name).write_text(yaml.safe_dump(raw))

    return setup


def text_file(name: str, text: str) -> Callable[[Path], None]:
    return lambda tmp: (tmp / name).write_text(text)


def wav_file(name: str, audio: np.ndarray, sr: int = SR, subtype: str = "FLOAT") -> Callable[[Path], None]:
    def setup(tmp: Path) -> None:
        sf.write(str(tmp / name), audio, sr, subtype=subtype, format="WAV")

    return setup


def symlink_to_input(tmp: Path) -> None:
    (tmp / "out.wav").symlink_to(tmp / "in.wav")


def hardlink_to_input(tmp: Path) -> None:
    os.link(tmp / "in.wav", tmp / "out.wav")


def mounted_tmpfs(options: str) -> Callable[[Path], None]:
    """Mount a tiny tmpfs at tmp/mnt (root only): a real full or read-only disk."""

    def setup(tmp: Path) -> None:
        mnt = tmp / "mnt"
        mnt.mkdir()
        res = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mnt)], capture_output=True, text=True)
        if res.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root): {res.stderr.strip()[:200]}")
        _MOUNTS.append(mnt)

    return setup


_MOUNTS: list[Path] = []


def set_key(path: str, value: object) -> Callable[[dict], None]:
    """An edit setting the dotted key `path` (list indices as numbers) to `value`."""

    def edit(raw: dict) -> None:
        *parents, last = path.split(".")
        node = raw
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        node[int(last) if isinstance(node, list) else last] = value

    return edit


def drop_key(path: str) -> Callable[[dict], None]:
    def edit(raw: dict) -> None:
        *parents, last = path.split(".")
        node = raw
        for p in parents:
            node = node[p]
        del node[last]

    return edit


def pickled_model(tmp: Path) -> None:
    """A model file in the old torch.save (pickle) format."""
    import torch

    torch.save({"name": "ir", "params": {}, "state_dict": {}}, tmp / "model.pt")


def _music(seed: int = 12, seconds: float = 20.0) -> np.ndarray:
    from fxcore.synth import synthesize_track

    return synthesize_track(seed, 2, seconds / 2, SR)


def capture(processed: Callable[[np.ndarray], np.ndarray], **options: object) -> Callable[[Path], None]:
    """A recorded effect `cap` in other.yaml: clean music and `processed(music)` as the device's take."""

    def setup(tmp: Path) -> None:
        music = _music()
        (tmp / "captures").mkdir()
        sf.write(str(tmp / "captures" / "di.wav"), music, SR, subtype="FLOAT")
        sf.write(str(tmp / "captures" / "amp.wav"), processed(music), SR, subtype="FLOAT")
        config_with(set_key("effects.cap", {"backend": "recorded", "options": {
            "clean": "captures/di.wav", "processed": "captures/amp.wav", **options}}))(tmp)

    return setup


CAPTURE_RUN = ("results/cap/dataset", "--cores", "1", "--configfile", "{tmp}/other.yaml")
APPLY = ("apply", "{model}", "{input}")
LOUD = np.float32(3.0) * noise_tone(1.0, 3)          # peaks at +9.5 dBFS: fine in float WAV, not in FLAC
BAD_YAML = "sample_rate: 16000\nseed: [7\nsynth: {tracks: 1, segments: 1}\n"

CASES: list[Case] = [
    # ---- fxcore apply: the output ---------------------------------------------------------------------
    Case("apply-output-is-input", "fxcore", (*APPLY, "{input}"), ("in.wav: the output is the input file", "write to a new file")),
    Case("apply-output-symlink-to-input", "fxcore", (*APPLY, "{tmp}/out.wav"), ("out.wav: the output is the input file",),
         setup=symlink_to_input),
    Case("apply-output-hardlink-to-input", "fxcore", (*APPLY, "{tmp}/out.wav"), ("out.wav: the output is the input file",),
         setup=hardlink_to_input),
    Case("apply-output-is-folder", "fxcore", (*APPLY, "{tmp}/out.wav"), ("out.wav: the output path is a folder",
         "give an output file name"), setup=lambda tmp: (tmp / "out.wav").mkdir()),
    Case("apply-output-unknown-extension", "fxcore", (*APPLY, "{tmp}/out.mp3"),
         ("out.mp3: cannot write audio with extension '.mp3'", ".wav, .flac, .aiff, .aif, .ogg")),
    Case("apply-output-no-extension", "fxcore", (*APPLY, "{tmp}/out"), ("out: cannot write audio with extension '(none)'",)),
    Case("apply-output-parent-is-a-file", "fxcore", (*APPLY, "{tmp}/in.wav/out.wav"), ("is a file, not a folder",
         "choose an output in a folder")),
    Case("apply-output-read-only-disk", "fxcore", (*APPLY, "{tmp}/mnt/out.wav"), ("mnt/out.wav: folder", "is not writable",
         "choose a writable folder"), setup=mounted_tmpfs("ro,size=64k")),
    # the missing folders are created, then removed again when the write fails
    Case("apply-output-disk-full", "fxcore", (*APPLY, "{tmp}/mnt/new/out.wav"), ("mnt/new/out.wav: disk full",
         "free space on that disk"), setup=mounted_tmpfs("size=16k")),
    Case("apply-flac-above-0dBFS", "fxcore", ("apply", "{model}", "{tmp}/loud.wav", "{tmp}/out.flac"),
         ("out.flac: peak is +", "dBFS but .flac stores PCM_24", "write a .wav or .aiff (32-bit float)"),
         setup=wav_file("loud.wav", LOUD)),
    Case("apply-ogg-above-0dBFS", "fxcore", ("apply", "{model}", "{tmp}/loud.wav", "{tmp}/out.ogg"),
         ("out.ogg: peak is +", "dBFS but .ogg stores VORBIS"), setup=wav_file("loud.wav", LOUD)),
    # ---- fxcore apply / info: the inputs --------------------------------------------------------------
    Case("apply-input-missing", "fxcore", ("apply", "{model}", "{tmp}/nosuch.wav", "{tmp}/out.wav"),
         ("nosuch.wav: audio file not found",)),
    Case("apply-input-wrong-rate", "fxcore", ("apply", "{model}", "{tmp}/hi.wav", "{tmp}/out.wav"),
         ("hi.wav: sample rate is 22050 Hz but the model was trained at 16000 Hz", "resample the input to 16000 Hz"),
         setup=wav_file("hi.wav", noise_tone(0.5, 4, 22050), 22050)),
    Case("apply-input-corrupt", "fxcore", ("apply", "{model}", "{tmp}/junk.wav", "{tmp}/out.wav"),
         ("junk.wav: cannot decode audio", "re-export it"), setup=text_file("junk.wav", "RIFF? no, just text\n")),
    Case("apply-input-empty", "fxcore", ("apply", "{model}", "{tmp}/empty.wav", "{tmp}/out.wav"),
         ("empty.wav: audio file is empty",), setup=wav_file("empty.wav", np.zeros(0, np.float32))),
    Case("apply-input-nan", "fxcore", ("apply", "{model}", "{tmp}/nan.wav", "{tmp}/out.wav"),
         ("nan.wav: audio contains NaN or infinite samples",),
         setup=wav_file("nan.wav", np.where(np.arange(SR) == 100, np.nan, 0.1).astype(np.float32))),
    Case("apply-model-not-a-model", "fxcore", ("apply", "{tmp}/notes.txt", "{input}", "{tmp}/out.wav"),
         ("notes.txt: not an fxcore model file", "pass a model.safetensors"), setup=text_file("notes.txt", "hello\n")),
    Case("apply-model-missing", "fxcore", ("apply", "{tmp}/model.safetensors", "{input}", "{tmp}/out.wav"),
         ("model.safetensors: model file not found",)),
    Case("info-not-a-model", "fxcore", ("info", "{input}"), ("in.wav: not an fxcore model file",)),
    Case("apply-cuda-without-a-gpu", "fxcore", ("apply", "{model}", "{input}", "{tmp}/out.wav", "--device", "cuda"),
         ("device 'cuda' was asked for but no CUDA GPU is visible", "fix: "),
         marks=(pytest.mark.skipif(_HAS_CUDA, reason="this machine has a CUDA GPU"),)),
    Case("apply-model-is-a-pickle", "fxcore", ("apply", "{tmp}/model.pt", "{input}", "{tmp}/out.wav"),
         ("model.pt: a pickle-based model file (torch.save), refused", "retrain it"), setup=pickled_model),
    Case("info-model-is-a-pickle", "fxcore", ("info", "{tmp}/model.pt"), ("model.pt: a pickle-based model file",),
         setup=pickled_model),
    # ---- fxcore check-config ----------------------------------------------------------------------------
    Case("config-model-param-typo", "fxcore", ("check-config", "{tmp}/other.yaml"),
         ("other.yaml: effect 'fuzz': model 'wiener_hammerstein' has no parameter 'hiden'", "did you mean 'hidden'"),
         setup=config_with(set_key("effects.fuzz.model", {"params": {"hiden": 32}}))),
    Case("config-model-param-type", "fxcore", ("check-config", "{tmp}/other.yaml"),
         ("other.yaml: effect 'fuzz': model 'wiener_hammerstein' parameter 'hidden' must be an integer, not '32'",),
         setup=config_with(set_key("effects.fuzz.model", {"params": {"hidden": "32"}}))),
    Case("config-segment-longer-than-the-audio", "fxcore", ("check-config", "{tmp}/other.yaml"),
         ("other.yaml: effect 'fuzz': train.segment_samples = 10000000 samples, but the longest training region",
          "set train.segment_samples to at most"),
         setup=config_with(set_key("effects.fuzz.train", {"segment_samples": 10_000_000}))),
    Case("config-segment-below-warmup", "fxcore", ("check-config", "{tmp}/other.yaml"),
         ("other.yaml: effect 'reverb': train.segment_samples (2000) must exceed the warm-up (4000",
          "set train.segment_samples above 4000"),
         setup=config_with(set_key("effects.reverb.train.segment_samples", 2000))),
    Case("config-capture-max-latency-text", "fxcore", ("check-config", "{tmp}/other.yaml"),
         ("other.yaml: effect 'cap' (recorded): options.max_latency_s must be a positive number",),
         setup=capture(lambda music: music, max_latency_s="abc")),
    Case("config-capture-max-latency-negative", "fxcore", ("check-config", "{tmp}/other.yaml"),
         ("options.max_latency_s must be a positive number",), setup=capture(lambda music: music, max_latency_s=-1)),
    Case("config-missing", "fxcore", ("check-config", "{tmp}/nosuch.yaml"), ("nosuch.yaml: config file not found",)),
    Case("config-is-a-folder", "fxcore", ("check-config", "{tmp}"), ("the config path is a folder",)),
    Case("config-yaml-syntax", "fxcore", ("check-config", "{tmp}/other.yaml"),
         ("other.yaml: not valid YAML at line 3, column 6", "fix the YAML syntax"), setup=text_file("other.yaml", BAD_YAML)),
    Case("config-not-a-mapping", "fxcore", ("check-config", "{tmp}/other.yaml"),
         ("other.yaml: config is not a mapping",), setup=text_file("other.yaml", "- just\n- a list\n")),
    Case("config-unknown-key", "fxcore", ("check-config", "{tmp}/other.yaml"),
         ("other.yaml: invalid config at (top level)", "'bogus' was unexpected", "see the config format"),
         setup=config_with(set_key("bogus", 1))),
    Case("config-wrong-type", "fxcore", ("check-config", "{tmp}/other.yaml"),
         ("other.yaml: invalid config at seed", "is not of type 'integer'"), setup=config_with(set_key("seed", "seven"))),
    Case("config-split-not-1", "fxcore", ("check-config", "{tmp}/other.yaml"),
         ("other.yaml: split fractions sum to 1.1, not 1",), setup=config_with(set_key("split.train", 0.7))),
    Case("config-sample-rate-range", "fxcore", ("check-config", "{tmp}/other.yaml"),
         ("other.yaml: invalid config at sample_rate", "less than the minimum of 8000"),
         setup=config_with(set_key("sample_rate", 100))),
    Case("config-unknown-backend", "fxcore", ("check-config", "{tmp}/other.yaml"),
         ("other.yaml: effect 'fuzz': unknown backend 'nosuch'", "use one of"),
         setup=config_with(set_key("effects.fuzz.backend", "nosuch"))),
    Case("config-unknown-processor", "fxcore", ("check-config", "{tmp}/other.yaml"),
         ("other.yaml: effect 'fuzz' (pedalboard): unknown pedalboard processor 'Fuzzinator'", "use one of"),
         setup=config_with(set_key("effects.fuzz.chain.0", {"Fuzzinator": {"level": 3}}))),
    Case("config-bad-processor-param", "fxcore", ("check-config", "{tmp}/other.yaml"),
         ("other.yaml: effect 'fuzz' (pedalboard): bad parameters for Gain", "help(pedalboard.Gain)"),
         setup=config_with(set_key("effects.fuzz.chain.0", {"Gain": {"loudness": 3}}))),
    Case("config-chain-overflows", "fxcore", ("check-config", "{tmp}/other.yaml"),
         ("other.yaml: effect 'fuzz' (pedalboard): the chain overflows", "lower the chain's gain"),
         setup=config_with(set_key("effects.fuzz.chain", [{"Gain": {"gain_db": 1000}}]))),
    Case("config-unknown-model", "fxcore", ("check-config", "{tmp}/other.yaml"),
         ("other.yaml: effect 'reverb':", "'nosuch'"), setup=config_with(set_key("effects.reverb.model.name", "nosuch"))),
    Case("config-training-audio-missing", "fxcore", ("check-config", "{tmp}/other.yaml"),
         ("other.yaml: synth.training_audio folder 'my_audio' does not exist", "remove synth.training_audio"),
         setup=config_with(set_key("synth.training_audio", "my_audio"))),
    Case("config-missing-host", "fxcore", ("check-config", "{tmp}/other.yaml"),
         ("other.yaml: effect 'daw' (reaper): REAPER not found",),
         setup=config_with(set_key("effects.daw", {"backend": "reaper", "options": {"executable": "/nonexistent/reaper"},
                                                   "chain": [{"js": "Guitar/distortion", "sliders": [24]}]}))),
    # ---- Snakemake dry runs -----------------------------------------------------------------------------
    Case("workflow-config-names-the-given-file", "snakemake", ("--configfile", "{tmp}/other.yaml"),
         ("other.yaml: effect 'fuzz' (pedalboard): unknown pedalboard processor 'Fuzzinator'",),
         setup=config_with(set_key("effects.fuzz.chain.0", {"Fuzzinator": {}})), one_line=False),
    Case("workflow-unknown-target-effect", "snakemake", ("--configfile", "{tmp}/other.yaml", "--", "results/nosuch/report.pdf"),
         ("other.yaml: no effect 'nosuch' for target results/nosuch/report.pdf", "use one of fuzz, reverb"),
         setup=config_with(lambda raw: None), one_line=False),
    Case("workflow-default-config-yaml-syntax", "snakemake", (),
         ("config.yaml: not valid YAML at line 3, column 6",), setup=text_file("config.yaml", BAD_YAML), one_line=False),
    # Snakemake parses --configfile itself, before the workflow: its message names no line (documented)
    Case("workflow-configfile-yaml-syntax", "snakemake", ("--configfile", "{tmp}/other.yaml"),
         ("Config file is not valid JSON or YAML",), setup=text_file("other.yaml", BAD_YAML), one_line=False),
    # ---- real runs of one job: a capture that cannot be a dataset fails in the dataset job -----------------
    Case("capture-stereo-left-only", "run", CAPTURE_RUN, ("amp.wav: its 2 channels differ", "options.channel: left|right|mean|N"),
         setup=capture(lambda music: np.stack([music, np.zeros_like(music)], axis=1)), one_line=False),
    Case("capture-from-another-take", "run", CAPTURE_RUN, ("amp.wav: weak alignment", "belong together"),
         setup=capture(lambda music: _music(seed=99)), one_line=False),
    Case("capture-starts-2s-late", "run", CAPTURE_RUN, ("amp.wav: ", "options.latency"),
         setup=capture(lambda music: np.concatenate([np.zeros(2 * SR, np.float32), music])), one_line=False),
    Case("workflow-training-audio-missing", "snakemake", ("--configfile", "{tmp}/other.yaml"),
         ("other.yaml: synth.training_audio folder 'my_audio' does not exist",),
         setup=config_with(set_key("synth.training_audio", "my_audio")), one_line=False),
]


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    """A real (untrained) model file, as the workflow writes it: the test config's grey-box IR reverb."""
    from fxcore.validate import parse_config
    from fxcore.models import build_model
    from fxcore.model_io import save_model

    cfg = parse_config(_test_config(), check_backends=False).effect("reverb")
    path = tmp_path_factory.mktemp("model") / "model.safetensors"
    save_model(path, build_model(cfg.model.name, cfg.model.params, SR), cfg.model.params)
    return path


def snapshot(folder: Path) -> dict[str, str]:
    """Every path under `folder` (Snakemake's .snakemake/ aside) → file digest, link target or 'dir'."""
    out = {}
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d != ".snakemake"]
        for name in dirs + files:
            p = Path(root) / name
            rel = str(p.relative_to(folder))
            if p.is_symlink():
                out[rel] = "link:" + os.readlink(p)
            elif p.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def run_case(case: Case, tmp: Path, model: Path) -> subprocess.CompletedProcess:
    args = [a.format(tmp=tmp, model=model, input=tmp / "in.wav") for a in case.args]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    if case.kind == "fxcore":
        cmd = [sys.executable, "-m", "fxcore", *args]
    else:
        dry = ["--dry-run"] if case.kind == "snakemake" else []
        cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(tmp),
               *dry, *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=tmp, env=env, timeout=300)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=c.marks) for c in CASES])
def test_bad_input(case: Case, tmp_path: Path, model_file: Path) -> None:
    sf.write(str(tmp_path / "in.wav"), noise_tone(1.0, 1), SR, subtype="FLOAT")  # a good input, to stay untouched
    try:
        if case.setup:
            case.setup(tmp_path)
        before = snapshot(tmp_path)
        res = run_case(case, tmp_path, model_file)
        after = snapshot(tmp_path)
    finally:
        while _MOUNTS:
            subprocess.run(["umount", str(_MOUNTS.pop())], check=False)
    out = res.stderr if case.kind == "fxcore" else res.stdout + res.stderr
    assert res.returncode != 0, out[-2000:]
    for fragment in case.expect:
        assert fragment in out, f"{fragment!r} not in:\n{out[-2000:]}"
    assert TRACEBACK not in out, out[-3000:]
    if case.one_line:
        assert out.startswith("fxcore: error: ") and out.count("\n") == 1, out
    if case.kind == "run":  # a job ran and failed: its log is the only thing it may leave
        written = {k for k in after if k not in before and not k.startswith("results/cap/logs")}
        assert written <= {"results", "results/cap", "results/cap/logs"}, written
        assert {k: v for k, v in after.items() if k in before} == before, "files were changed"
        return
    assert after == before, "files were written or changed"
    assert not (tmp_path / "results").exists()


# ---- the good paths beside them ------------------------------------------------------------------------

@pytest.mark.parametrize("name, subtype", [("out.wav", "FLOAT"), ("out.aiff", "FLOAT"), ("out.aif", "FLOAT"),
                                           ("out.flac", "PCM_24"), ("out.ogg", "VORBIS")])
def test_apply_writes_the_format_of_the_extension(tmp_path, model_file, name, subtype):
    from fxcore.apply import apply_to_file

    sf.write(str(tmp_path / "in.wav"), 0.25 * noise_tone(0.5, 2), SR, subtype="FLOAT")
    apply_to_file(model_file, tmp_path / "in.wav", tmp_path / "new" / name)  # missing folder: created
    assert sf.info(str(tmp_path / "new" / name)).subtype == subtype
    assert sorted(p.name for p in tmp_path.rglob("*")) == sorted(["in.wav", "new", name])  # no temp file left


def test_workflow_wavs_keep_their_subtypes(tmp_path):
    from fxcore.audio import write_audio

    write_audio(tmp_path / "clean.wav", noise_tone(0.1, 1), SR)
    write_audio(tmp_path / "wet.wav", 2 * noise_tone(0.1, 1), SR, subtype="FLOAT")
    assert sf.info(str(tmp_path / "clean.wav")).subtype == "PCM_24"
    assert sf.info(str(tmp_path / "wet.wav")).subtype == "FLOAT"


def test_render_stage_names_an_overflowing_effect(tmp_path):
    """The render-time backstop for chains that pass the config check but overflow on real audio."""
    from fxcore.config import EffectConfig, ModelConfig, TrainConfig
    from fxcore.effects.render import _check_overflow
    from fxcore.errors import FxcoreError

    cfg = EffectConfig("loud", "pedalboard", [], {}, ModelConfig("ir"), TrainConfig())
    y = np.ones(100, np.float32)
    _check_overflow(cfg, y, "clean/track_000.wav")
    y[5] = np.inf
    with pytest.raises(FxcoreError, match=r"clean/track_000.wav: effect 'loud' \(pedalboard\) output has NaN/inf "
                                          r".* lower the gain in effect 'loud'"):
        _check_overflow(cfg, y, "clean/track_000.wav")


def test_render_stage_refuses_an_effect_that_leaves_the_audio_unchanged(tmp_path):
    """A plugin left bypassed (guitarix's BYPASS 0 did this in the benchmark) would score a perfect
    ESR by doing nothing: real pedalboard renders, a 0 dB gain refused, a 0.5 dB gain accepted."""
    from fxcore.config import EffectConfig, ModelConfig, TrainConfig
    from fxcore.audio import write_audio
    from fxcore.effects.render import render_files
    from fxcore.errors import FxcoreError

    write_audio(tmp_path / "clean.wav", noise_tone(0.2, 1), SR)
    for db in (0.0, 0.5):
        cfg = EffectConfig("bypassed", "pedalboard", [{"Gain": {"gain_db": db}}], {}, ModelConfig("ir"), TrainConfig())
        out = tmp_path / f"wet_{db}.wav"
        if db == 0.0:
            with pytest.raises(FxcoreError, match=r"clean.wav: effect 'bypassed' \(pedalboard\) returned its input "
                                                  r"unchanged.* check the controls of effect .bypassed.* \(e.g. a BYPASS or enable switch\)"):
                render_files(cfg, SR, [tmp_path / "clean.wav"], [out], progress=False)
            assert not out.exists()
        else:
            render_files(cfg, SR, [tmp_path / "clean.wav"], [out], progress=False)
            assert out.exists()


def test_the_readmes_model_override_without_a_name_is_accepted(tmp_path):
    """`model: {params: {hidden: 32}}` keeps the default model and overrides one parameter."""
    from fxcore.validate import load_config

    config_with(set_key("effects.fuzz.model", {"params": {"hidden": 6}}))(tmp_path)
    cfg = load_config(tmp_path / "other.yaml", check_backends=False)
    assert cfg.effects["fuzz"].model.name == "wiener_hammerstein" and cfg.effects["fuzz"].model.params["hidden"] == 6
