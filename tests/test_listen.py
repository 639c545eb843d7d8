"""The listen stage's parts on real signals: excerpt choice, loudness matching, the JND proxy, the page."""

from __future__ import annotations

import re

import numpy as np
import pytest

from fxcore import metrics as M
from fxcore.validate import parse_config
from fxcore.errors import FxcoreError
from fxcore.listen.excerpts import LISTEN_LUFS, PEAK_CEILING, choose_excerpts, loudness_match, windowed_esr
from fxcore.listen.page import listen_html, script_json
from fxcore.listen.proxy import jnd_proxy, window_differences

from .conftest import REPO, SR, noise_tone


def test_windowed_esr_equals_esr_of_each_window():
    t = noise_tone(3.0, 1)
    p = t + 0.05 * np.random.default_rng(0).standard_normal(len(t)).astype(np.float32)
    starts, esr, _ = windowed_esr(t, p, SR, SR // 4)
    assert starts[0] == 0 and starts[-1] == len(t) - SR  # the last full window is a candidate
    for s, e in zip(starts, esr):
        assert e == pytest.approx(M.esr(p[s:s + SR], t[s:s + SR]), rel=1e-9)


def test_excerpts_find_the_worst_and_a_typical_window_but_skip_near_silence():
    t = noise_tone(8.0, 2)
    t[int(6.5 * SR):] *= 1e-4  # a near-silent tail: a tiny absolute error there is a huge ESR
    p = t.copy()
    rng = np.random.default_rng(1)
    p += 0.02 * np.std(t) * rng.standard_normal(len(t)).astype(np.float32)  # small error everywhere
    p[3 * SR:4 * SR] += 0.5 * t[3 * SR:4 * SR]  # a big error in 3–4 s
    ex = {e.name: e for e in choose_excerpts(t, p, SR, 1.0)}
    assert ex["start"].start == 0 and all(e.length == SR for e in ex.values())
    assert 3 * SR - SR // 4 <= ex["worst"].start <= 3 * SR + SR // 4  # the window over the big error
    assert ex["worst"].start + SR <= 6.5 * SR  # not the silent tail
    assert abs(ex["typical"].start - 3 * SR) >= SR  # the median window misses the big error
    # longer than the split: every excerpt is the whole split
    assert all(e.start == 0 and e.length == len(t) for e in choose_excerpts(t, p, SR, 60.0))


def test_loudness_match_brings_each_signal_to_minus_23_lufs():
    x = noise_tone(3.0, 3)
    out, level = loudness_match({"a": 0.05 * x, "b": 0.5 * x}, SR)
    assert level == LISTEN_LUFS
    for y in out.values():
        assert M.lufs(y, SR) == pytest.approx(LISTEN_LUFS, abs=0.05)


def test_loudness_match_lowers_all_together_when_one_would_clip():
    x = noise_tone(3.0, 4)
    spiky = 0.01 * x
    spiky[100] = 0.9  # one peak: matching its tiny loudness to −23 LUFS would clip it
    out, level = loudness_match({"smooth": x, "spiky": spiky}, SR)
    assert max(float(np.max(np.abs(y))) for y in out.values()) == pytest.approx(PEAK_CEILING, rel=1e-4)
    assert level < LISTEN_LUFS
    for y in out.values():  # still matched to each other, at the lower common level
        assert M.lufs(y, SR) == pytest.approx(level, abs=0.1)


def test_jnd_proxy_counts_windows_below_the_thresholds():
    t = noise_tone(4.0, 5)
    assert len(window_differences(t, t, SR)) == 4
    same = jnd_proxy(t, t, t, SR)
    assert same["below_jnd"] == 1.0 and same["windows"] == 4
    louder = jnd_proxy(t, t, t * 10 ** (3 / 20), SR)  # +3 dB: above the 1 LU loudness JND everywhere
    assert louder["below_jnd"] == 0.0
    assert all(w["loudness_lu"] == pytest.approx(3.0, abs=0.05) for w in louder["model_windows"])
    slight = jnd_proxy(t, t, t * 10 ** (0.3 / 20), SR)  # +0.3 dB: below both thresholds
    assert slight["below_jnd"] == 1.0


def test_the_listen_section_of_the_config_is_validated():
    import yaml

    raw = yaml.safe_load((REPO / "config" / "test.yaml").read_text())
    assert parse_config(raw, check_backends=False).listen.trials == 12  # the documented default
    raw["listen"] = {"trials": 20, "excerpt_seconds": 4}
    assert parse_config(raw, check_backends=False).listen.excerpt_seconds == 4
    raw["listen"] = {"trials": 0}
    with pytest.raises(FxcoreError, match="listen.trials"):
        parse_config(raw, check_backends=False)


def test_the_page_needs_no_network():
    ex = {"name": "start", "why": "fixed", "start_s": 0.0, "end_s": 1.0, "esr": 0.1, "esr_clean": 1.0,
          "mel_db": 1.0, "mel_db_clean": 9.0, "level_lufs": -23.0, "mel_png": "listen/start_mel.png",
          "files": {k: f"listen/start_{k}.wav" for k in ("clean", "effect", "model")}}
    page = listen_html({"effect": "fuzz", "model": "wh", "trials": 7, "excerpt_seconds": 1.0, "target_lufs": -23.0,
                        "level_lufs": -23.0, "test_seconds": 1.0, "excerpts": [ex],
                        "metrics": {k: 0.5 for k in ("esr", "esr_clean", "mel_distance", "mel_distance_clean",
                                                     "lufs_diff", "lufs_diff_clean")},
                        "proxy": {"below_jnd": 0.5, "below_jnd_clean": 0.0, "windows": 2, "window_seconds": 1.0}})
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # nothing fetched from anywhere
    assert "@import" not in page and "url(" not in page
    assert '"trials": 7' in page and page.count("<audio") == 6  # 3 players + A, B, X
    assert script_json({"a": "</script>"}) == '{"a": "<\\/script>"}'
