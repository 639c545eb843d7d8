"""Real effect hosts (issue 5): real renders through real third-party plugins.

Hosts come from Debian packages (.ci/install_hosts.sh). A test whose host or plugin is missing is
skipped with the backend's own one-line FxcoreError as the reason.
"""

from __future__ import annotations

import ctypes.util
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from fxcore.audio import write_audio
from fxcore.effects import make_backend
from fxcore.effects.reaper_host import rfxchain_text, write_batch_files
from fxcore.dataset.capture import prepare_recorded_pair
from fxcore.effects.recorded import RecordedBackend
from fxcore.errors import FxcoreError

SR = 48000
F0 = 250.0  # 250 Hz: its harmonics fall on exact FFT bins of a 0.5 s window
TS9 = "http://guitarix.sourceforge.net/plugins/gxts9#ts9sim"
CALF_REVERB = "http://calf.sourceforge.net/plugins/Reverb"
ZAMAXIM = "urn:zamaudio:ZaMaximX2"


# ------------------------------------------------------------------------------------------ helpers
def sine(seconds: float = 1.0, amp: float = 0.3, silence: float = 0.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    x = amp * np.sin(2 * np.pi * F0 * t)
    return np.concatenate([x, np.zeros(int(silence * SR))]).astype(np.float32)


def odd_harmonics_db(y: np.ndarray, start: float = 0.25, seconds: float = 0.5) -> float:
    """Energy at 3f0, 5f0, 7f0 relative to f0 (dB), in a steady-state window."""
    seg = y[int(start * SR): int((start + seconds) * SR)].astype(np.float64)
    spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg)))) ** 2
    bin_hz = SR / len(seg)

    def band(f: float) -> float:
        k = int(round(f / bin_hz))
        return float(spec[k - 2: k + 3].sum())

    return 10 * np.log10(sum(band(k * F0) for k in (3, 5, 7)) / band(F0) + 1e-30)


def rms_db(y: np.ndarray) -> float:
    return 10 * np.log10(np.mean(np.square(y, dtype=np.float64)) + 1e-30)


def ready(name: str, chain: list, options: dict | None = None):
    """The backend, or a skip with its one-line reason when the host/plugin is missing."""
    backend = make_backend(name, chain, options or {}, effect="test")
    try:
        backend.check_available()
    except FxcoreError as exc:
        pytest.skip(str(exc))
    return backend


def one_line(exc: pytest.ExceptionInfo) -> str:
    msg = str(exc.value)
    assert "\n" not in msg and "Traceback" not in msg, msg
    return msg


needs_lilv = pytest.mark.skipif(ctypes.util.find_library("lilv-0") is None,
                                reason="liblilv-0 not installed (run .ci/install_hosts.sh)")


# --------------------------------------------------------------------------------------------- VST3
@pytest.mark.system
def test_vst3_zamtube_drive_adds_odd_harmonics():
    x = sine()
    soft = ready("vst3", [{"plugin": "/usr/lib/vst3/ZamTube.vst3", "params": {"tube_drive": 0.1}}])
    hard = ready("vst3", [{"plugin": "ZamTube", "params": {"tube_drive": 11, "tone_stack_model": "1959 Bassman 5F6-A"}}])
    y_soft, y_hard = soft.process(x, SR), hard.process(x, SR)
    assert y_hard.shape == x.shape and y_hard.dtype == np.float32 and np.isfinite(y_hard).all()
    assert odd_harmonics_db(x) < -80
    assert odd_harmonics_db(y_hard) > -30                       # a driven tube: strong odd harmonics
    assert odd_harmonics_db(y_hard) > odd_harmonics_db(y_soft) + 20


@pytest.mark.system
def test_vst3_stereo_only_plugin_gets_duplicated_mono_and_downmix():
    chain = [{"plugin": "ZamCompX2", "params": {"threshold_db": -30, "ratio": 8, "makeup_db": 0}}]
    mean = ready("vst3", chain, {"downmix": "mean"})
    left = ready("vst3", chain, {"downmix": "left"})
    x = sine(amp=0.5)
    y_mean, y_left = mean.process(x, SR), left.process(x, SR)
    assert mean._channels == {0: 2}                              # ran on two channels
    assert rms_db(y_mean[SR // 2:]) < rms_db(x[SR // 2:]) - 3    # it compresses
    np.testing.assert_allclose(y_mean, y_left, atol=1e-6)       # identical channels → same down-mix


@pytest.mark.system
def test_vst3_unknown_parameter_lists_valid_names():
    backend = make_backend("vst3", [{"plugin": "ZamTube", "params": {"drive": 5}}], {}, effect="test")
    try:
        backend._path(0, "ZamTube")
    except FxcoreError as exc:
        pytest.skip(str(exc))
    with pytest.raises(FxcoreError) as exc:
        backend.check_available()
    msg = one_line(exc)
    assert "unknown parameter 'drive'" in msg and "tube_drive" in msg


def test_vst3_chain_syntax_and_missing_plugin_errors():
    with pytest.raises(FxcoreError, match="must be a mapping with `plugin:`"):
        make_backend("vst3", [{"ZamTube": {}}], {}, effect="t")
    with pytest.raises(FxcoreError, match="downmix must be mean or left"):
        make_backend("vst3", [{"plugin": "ZamTube"}], {"downmix": "right"}, effect="t")
    with pytest.raises(FxcoreError) as exc:
        make_backend("vst3", [{"plugin": "NoSuchPlugin"}], {}, effect="t").check_available()
    assert "not found" in one_line(exc)


# ---------------------------------------------------------------------------------------------- LV2
@pytest.mark.system
@needs_lilv
def test_lv2_tubescreamer_adds_odd_harmonics():
    x = sine()
    backend = ready("lv2", [{"uri": TS9, "controls": {"fslider2_": 1.0, "fslider0_": -6}}])
    y = backend.process(x, SR)
    assert y.shape == x.shape and np.isfinite(y).all()
    assert odd_harmonics_db(y) > -40 > odd_harmonics_db(x) + 40
    assert backend.reported_latency == 0


@pytest.mark.system
@needs_lilv
def test_lv2_calf_reverb_lengthens_the_tail():
    x = sine(0.5, silence=1.0)
    backend = ready("lv2", [{"uri": CALF_REVERB, "controls": {"decay_time": 3.0, "amount": 0.5, "dry": 1.0}}])
    y = backend.process(x, SR)
    tail = slice(int(0.6 * SR), int(1.2 * SR))                 # 0.1–0.7 s after the input stopped
    assert rms_db(x[tail]) < -200
    assert rms_db(y[tail]) > -50                                # the reverb rings on
    assert len(y) == len(x)


@pytest.mark.system
@needs_lilv
def test_lv2_reported_latency_is_compensated():
    backend = ready("lv2", [{"uri": ZAMAXIM}])
    x = np.zeros(SR // 2, np.float32)
    x[1000] = 0.5
    y = backend.process(x, SR)
    assert backend.plugin_latency > 0                           # the limiter's look-ahead, from its latency port
    assert int(np.argmax(np.abs(y))) == 1000                    # … removed from the output
    assert backend.reported_latency == 0


@pytest.mark.system
@needs_lilv
def test_lv2_unknown_uri_and_control_are_one_line_errors():
    with pytest.raises(FxcoreError) as exc:
        make_backend("lv2", [{"uri": "http://example.org/plugins/no-such-plugin"}], {}, effect="t").check_available()
    assert "not installed" in one_line(exc)
    backend = make_backend("lv2", [{"uri": TS9, "controls": {"drive": 1}}], {}, effect="t")
    with pytest.raises(FxcoreError) as exc:
        backend.check_available()
    msg = one_line(exc)
    if "not installed" in msg:
        pytest.skip(msg)
    assert "unknown control 'drive'" in msg and "fslider2_" in msg


CRASH_C = r"""
typedef struct { const char *uri; void *(*instantiate)(const void *, double, const char *, const void *const *);
  void (*connect_port)(void *, unsigned, void *); void (*activate)(void *); void (*run)(void *, unsigned);
  void (*deactivate)(void *); void (*cleanup)(void *); const void *(*extension_data)(const char *); } D;
static int state;
static void *inst(const void *d, double r, const char *b, const void *const *f) { return &state; }
static void conn(void *h, unsigned p, void *d) {}
static void run(void *h, unsigned n) { volatile int *p = 0; *p = 1; }   /* segfault */
static void cleanup(void *h) {}
static const void *ext(const char *u) { return 0; }
static const D desc = {"urn:fxcore:test:crash", inst, conn, 0, run, 0, cleanup, ext};
const D *lv2_descriptor(unsigned i) { return i == 0 ? &desc : 0; }
"""
CRASH_TTL = """@prefix lv2: <http://lv2plug.in/ns/lv2core#> .
@prefix doap: <http://usefulinc.com/ns/doap#> .
<urn:fxcore:test:crash> a lv2:Plugin ; lv2:binary <crash.so> ; doap:name "crash" ;
  lv2:port [ a lv2:AudioPort , lv2:InputPort ; lv2:index 0 ; lv2:symbol "in" ; lv2:name "In" ] ,
           [ a lv2:AudioPort , lv2:OutputPort ; lv2:index 1 ; lv2:symbol "out" ; lv2:name "Out" ] .
"""


MISWIRED_TS9 = """@prefix lv2: <http://lv2plug.in/ns/lv2core#> .
@prefix doap: <http://usefulinc.com/ns/doap#> .
<{uri}> a lv2:Plugin ; lv2:binary <{binary}> ; doap:name "ts9, BYPASS port left out" ;
  lv2:port [ a lv2:ControlPort , lv2:InputPort ; lv2:index 0 ; lv2:symbol "a" ; lv2:name "a" ] ,
           [ a lv2:ControlPort , lv2:InputPort ; lv2:index 1 ; lv2:symbol "b" ; lv2:name "b" ] ,
           [ a lv2:ControlPort , lv2:InputPort ; lv2:index 2 ; lv2:symbol "c" ; lv2:name "c" ] ,
           [ a lv2:AudioPort , lv2:OutputPort ; lv2:index 3 ; lv2:symbol "out" ; lv2:name "Out" ] ,
           [ a lv2:AudioPort , lv2:InputPort ; lv2:index 4 ; lv2:symbol "in" ; lv2:name "In" ] .
"""


@pytest.mark.system
@needs_lilv
def test_lv2_crashing_plugin_fails_the_render_not_the_process(tmp_path: Path, monkeypatch):
    """A plugin that segfaults: our own (if a C compiler exists), else guitarix's TS9 with a port unconnected."""
    bundle = tmp_path / "crash.lv2"
    bundle.mkdir()
    cc = shutil.which("cc") or shutil.which("gcc")
    ts9_binary = Path("/usr/lib/lv2/gxts9.lv2/gxts9.so")
    if cc is not None:
        uri = "urn:fxcore:test:crash"
        (bundle / "crash.c").write_text(CRASH_C)
        subprocess.run([cc, "-shared", "-fPIC", "-o", str(bundle / "crash.so"), str(bundle / "crash.c")], check=True)
        (bundle / "manifest.ttl").write_text(CRASH_TTL)
        options = {"lv2_path": [str(tmp_path)]}
    elif ts9_binary.is_file():
        uri = TS9  # the same binary, described without its BYPASS port: run() dereferences NULL
        (bundle / "manifest.ttl").write_text(MISWIRED_TS9.format(uri=uri, binary=ts9_binary))
        monkeypatch.setenv("LV2_PATH", str(tmp_path))  # only this bundle: no clash with the installed TS9
        options = {}
    else:
        pytest.skip("neither a C compiler nor guitarix-lv2 to make a crashing plugin")
    backend = ready("lv2", [{"uri": uri}], options)
    with pytest.raises(FxcoreError) as exc:
        backend.process(sine(0.1), SR)
    msg = one_line(exc)
    assert "crashed (SIGSEGV)" in msg and "'test' (lv2)" in msg


# ---------------------------------------------------------------------------------------------- SoX
AMP_CAB = [
    {"gain": [-3]},
    {"ladspa": {"plugin": "caps.so", "label": "AmpVTS",
                "controls": {"gain": 0.8, "bright": 0.5, "power": 0.6, "tonestack": 1, "bass": 0.5, "mid": 0.6,
                             "treble": 0.6, "squash": 0.4}}},
    {"ladspa": ["caps.so", "CabinetIV", 12, 0]},
]


@pytest.mark.system
def test_sox_caps_ampvts_cabinetiv_adds_odd_harmonics():
    x = sine(amp=0.5)
    backend = ready("sox", AMP_CAB)
    cmd = backend.command("in.wav", "out.wav", SR)
    assert isinstance(cmd, list) and cmd[cmd.index("AmpVTS") - 2] == "ladspa"   # an argument list, no shell
    y = backend.process(x, SR)
    assert y.shape == x.shape and np.isfinite(y).all() and rms_db(y) > -40
    assert odd_harmonics_db(y) > -30 > odd_harmonics_db(x) + 50


@pytest.mark.system
def test_sox_reverb_tail_is_kept_within_the_input_length():
    x = sine(0.5, silence=1.0)
    backend = ready("sox", [{"reverb": [80, 50, 100]}])
    y = backend.process(x, SR)
    assert len(y) == len(x)
    assert rms_db(y[int(0.6 * SR): int(1.0 * SR)]) > -50 > rms_db(x[int(0.6 * SR):]) + 150


@pytest.mark.system
def test_sox_bad_chain_is_a_one_line_error_before_rendering():
    if shutil.which("sox") is None:
        pytest.skip("sox not installed (run .ci/install_hosts.sh)")
    for chain, expect in (([{"overdrive": [20, "hot"]}], "usage"), ([{"overdirve": [20]}], "no effect 'overdirve'"),
                          ([{"ladspa": {"plugin": "caps.so", "label": "AmpVTS", "controls": {"drive": 1}}}],
                           "unknown control 'drive'")):
        with pytest.raises(FxcoreError) as exc:
            make_backend("sox", chain, {}, effect="t").check_available()
        assert expect in one_line(exc)


def test_sox_chain_syntax_errors():
    with pytest.raises(FxcoreError, match="one-key mapping"):
        make_backend("sox", [{"overdrive": [20], "gain": [1]}], {}, effect="t")
    with pytest.raises(FxcoreError, match="list of numbers/strings"):
        make_backend("sox", [{"overdrive": [[20]]}], {}, effect="t")
    with pytest.raises(FxcoreError, match="not found"):
        make_backend("sox", [{"gain": [1]}], {"executable": "/nonexistent/sox"}, effect="t").check_available()


# ----------------------------------------------------------------------------------------- recorded
def _capture(tmp_path: Path, latency: int, second_gain_db: float = 0.0, sr: int = 16000):
    """clean = A, noise, A, silence; processed = the clean through a pedalboard drive, `latency` samples late."""
    rng = np.random.default_rng(7)
    t = np.arange(2 * sr) / sr
    a = 0.5 * np.sin(2 * np.pi * 110 * t) * (0.4 + 0.6 * np.abs(np.sin(2 * np.pi * 0.7 * t))) \
        + 0.05 * rng.standard_normal(len(t))
    clean = np.concatenate([a, 0.2 * rng.standard_normal(sr), a, np.zeros(sr // 2)]).astype(np.float32)
    board = make_backend("pedalboard", [{"Gain": {"gain_db": 12}}, {"Clipping": {"threshold_db": -10}}])
    y = board.process(clean, sr)
    y[3 * sr: 5 * sr] *= np.float32(10 ** (second_gain_db / 20))           # e.g. a knob moved for take 2
    y = np.concatenate([np.zeros(latency, np.float32), y, 0.001 * rng.standard_normal(300).astype(np.float32)])
    write_audio(tmp_path / "clean.wav", clean, sr)
    write_audio(tmp_path / "processed.wav", y, sr, subtype="FLOAT")
    return tmp_path / "clean.wav", tmp_path / "processed.wav", sr, board.process(clean, sr)


REPEAT = {"first_start_s": 0.0, "second_start_s": 3.0, "seconds": 2.0}


def test_recorded_latency_is_recovered_exactly(tmp_path: Path):
    c, p, sr, expected = _capture(tmp_path, latency=123)
    clean, aligned, report = prepare_recorded_pair(c, p, sr)
    lat = report["latency"]   # the response's onset: never later than the true 123, at most 2 earlier
    assert report["detected_latency"] == lat and 121 <= lat <= 123
    assert len(aligned) == len(clean)
    np.testing.assert_allclose(aligned[123 - lat:], expected[:len(expected) - (123 - lat)], atol=1e-6)
    assert report["processed_clipped_fraction"] == 0.0 and report["warnings"] == []
    # manual override wins (and is reported against the detection)
    _, aligned2, report2 = prepare_recorded_pair(c, p, sr, latency=100)
    assert report2["latency"] == 100 and report2["latency_source"] == "manual" and report2["warnings"]
    np.testing.assert_allclose(aligned2[23:], expected[:-23], atol=1e-6)


def test_recorded_repeat_check_passes_identical_and_flags_changed_take(tmp_path: Path, caplog):
    c, p, sr, _ = _capture(tmp_path, latency=123)
    _, _, report = prepare_recorded_pair(c, p, sr, repeat=REPEAT)
    assert report["repeat"]["repeatable"] and report["repeat"]["esr"] < 1e-4 and report["warnings"] == []  # onset may be ≤2 early
    c, p, sr, _ = _capture(tmp_path, latency=123, second_gain_db=1.5)
    with caplog.at_level("WARNING", logger="fxcore.recorded"):
        _, _, report = prepare_recorded_pair(c, p, sr, repeat=REPEAT)
    assert not report["repeat"]["repeatable"] and report["repeat"]["esr"] > 0.01
    assert abs(report["repeat"]["level_difference_db"] - 1.5) < 0.05
    assert any("differ" in w for w in report["warnings"]) and "differ" in caplog.text


def test_recorded_checks_rate_length_and_repeat_times(tmp_path: Path):
    c, p, sr, _ = _capture(tmp_path, latency=50)
    with pytest.raises(FxcoreError, match="sample rate is 16000 Hz but 48000 Hz"):
        prepare_recorded_pair(c, p, 48000)
    with pytest.raises(FxcoreError, match="does not repeat"):
        prepare_recorded_pair(c, p, sr, repeat={"first_start_s": 0.0, "second_start_s": 2.5, "seconds": 1.0})
    short, _ = sf.read(str(p), dtype="float32")
    sf.write(str(tmp_path / "short.wav"), short[: len(short) // 2], sr, subtype="FLOAT")
    with pytest.raises(FxcoreError, match="fewer than the clean file"):
        prepare_recorded_pair(c, tmp_path / "short.wav", sr)


def test_recorded_backend_validates_options_and_refuses_to_render(tmp_path: Path):
    c, p, sr, _ = _capture(tmp_path, latency=10)
    backend = make_backend("recorded", [], {"clean": str(c), "processed": str(p), "repeat": REPEAT}, effect="amp")
    assert isinstance(backend, RecordedBackend)
    clean, aligned, report = backend.prepare(sr)
    assert report["latency"] == 10 and report["repeat"]["repeatable"]
    with pytest.raises(FxcoreError) as exc:
        backend.process(clean, sr)
    assert "processed audio comes from" in one_line(exc)
    with pytest.raises(FxcoreError, match="not found"):
        make_backend("recorded", [], {"clean": str(c), "processed": str(tmp_path / "nope.wav")}, effect="amp")
    (tmp_path / "junk.wav").write_bytes(b"not audio at all")
    with pytest.raises(FxcoreError, match="cannot read"):
        make_backend("recorded", [], {"clean": str(c), "processed": str(tmp_path / "junk.wav")}, effect="amp")
    with pytest.raises(FxcoreError, match="latency must be"):
        make_backend("recorded", [], {"clean": str(c), "processed": str(p), "latency": -3}, effect="amp")


# ------------------------------------------------------------------------------------------- REAPER
def test_reaper_batch_file_list_and_fx_chain_format(tmp_path: Path):
    chain = rfxchain_text([("Guitar/distortion", [24, None, -12])])
    assert chain.splitlines()[:3] == ["BYPASS 0 0 0", '<JS "Guitar/distortion" ""',
                                       "24 - -12 " + " ".join(["-"] * 61)]
    assert chain.splitlines()[3:] == [">", "FLOATPOS 0 0 0 0", "WAK 0 0"]
    (tmp_path / "chain.RfxChain").write_text(chain)
    listing = write_batch_files(tmp_path, [(tmp_path / "a.wav", tmp_path / "out" / "a.wav")],
                                tmp_path / "chain.RfxChain", 48000, fx_channels=2, output_channels=2).read_text()
    lines = listing.splitlines()
    assert lines[0] == f"{tmp_path / 'a.wav'}\t{tmp_path / 'out' / 'a.wav'}"
    assert lines[1] == "<CONFIG" and lines[-1] == ">"
    for entry in ("SRATE 48000", "NCH 2", "DITHER 0", "PAD_START 0", "PAD_END 0", f"OUTPATH '{tmp_path / 'out'}'",
                  f"FXCHAIN '{tmp_path / 'chain.RfxChain'}'", "FX_NCH 2"):
        assert entry in lines, entry
    with pytest.raises(ValueError, match="tab, newline or quote"):
        write_batch_files(tmp_path, [(tmp_path / "it's.wav", tmp_path / "o.wav")], tmp_path / "c", 48000)


def test_reaper_missing_is_reported_in_one_line():
    backend = make_backend("reaper", [{"js": "Guitar/distortion", "sliders": [12]}],
                           {"executable": "/nonexistent/REAPER/reaper"}, effect="t")
    with pytest.raises(FxcoreError) as exc:
        backend.check_available()
    assert "REAPER not found" in one_line(exc) and "options.executable" in str(exc.value)
    with pytest.raises(FxcoreError, match="either options.fxchain"):
        make_backend("reaper", [], {}, effect="t")


FAKE_REAPER = """#!{python}
# Stands in for `reaper -nosplash -batchconvert LIST`: parses the list, applies -6 dB.
import sys, soundfile as sf
lines = open(sys.argv[sys.argv.index("-batchconvert") + 1]).read().splitlines()
assert lines[1] == "<CONFIG" and any(l.startswith("FXCHAIN '") for l in lines)
src, dst = lines[0].split("\\t")
x, sr = sf.read(src, dtype="float32")
sf.write(dst, x * 0.5, sr, subtype="FLOAT")
"""


def test_reaper_render_plumbing_with_a_stand_in_executable(tmp_path: Path):
    exe = tmp_path / "reaper"
    exe.write_text(FAKE_REAPER.format(python=sys.executable))
    exe.chmod(0o755)
    backend = make_backend("reaper", [{"js": "Guitar/distortion", "sliders": [12]}], {"executable": str(exe)},
                           effect="t")
    backend.check_available()
    x = sine(0.2)
    np.testing.assert_allclose(backend.process(x, SR), 0.5 * x, atol=1e-7)


@pytest.mark.system
def test_reaper_real_render():
    backend = ready("reaper", [{"js": "Guitar/distortion", "sliders": [24, -12]}])
    x = sine()
    y = backend.process(x, SR)
    assert y.shape == x.shape and odd_harmonics_db(y) > odd_harmonics_db(x) + 20


def test_all_backends_registered():
    from fxcore.effects import backend_names

    assert {"vst3", "lv2", "sox", "reaper", "recorded", "pedalboard"} <= set(backend_names())
