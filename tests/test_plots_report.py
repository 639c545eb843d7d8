"""Figures and PDF reports built from synthetic signals, written to tmp_path."""

from __future__ import annotations

import csv
import re

import numpy as np
import pytest
from matplotlib.artist import Artist
from matplotlib.figure import Figure

from fxcore import metrics, plots, report
from fxcore.errors import FxcoreError

SR = 16000


@pytest.fixture(scope="module")
def signals() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = np.arange(SR) / SR
    clean = np.zeros(SR)
    onset = int(0.6 * SR)
    clean[onset:] = 0.4 * np.exp(-4 * t[: SR - onset]) * np.sin(2 * np.pi * 196 * t[: SR - onset])
    clean += 0.05 * np.sin(2 * np.pi * 110 * t)  # a quiet earlier note, so the pluck is the strongest onset
    target = np.tanh(5 * clean) * 0.8
    pred = np.tanh(4 * clean) * 0.8
    return clean.astype(np.float32), target.astype(np.float32), pred.astype(np.float32)


@pytest.fixture(scope="module")
def history() -> list[dict]:
    return [{"step": s, "seconds": s / 10, "train_loss": 1 / (1 + s / 20),
             "val": 0.9 / (1 + s / 30) if s % 50 == 0 else ""} for s in range(0, 301, 10)]


def _page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


class Boom(Artist):
    """A real artist whose drawing fails, as a broken figure would."""

    def draw(self, renderer):
        raise RuntimeError("boom while drawing")


def test_figures_have_expected_axes(signals, history, tmp_path):
    clean, target, pred = signals
    mel = plots.mel_triptych(clean, target, pred, SR, title="t")
    assert isinstance(mel, Figure) and len(mel.axes) == 4  # 3 spectrograms + 1 shared colour bar
    assert [ax.get_title() for ax in mel.axes[:3]] == ["clean", "effect", "model"]
    images = [ax.images[0] for ax in mel.axes[:3]]
    assert len({im.get_clim() for im in images}) == 1  # one shared dB scale

    wave = plots.waveform_overlay(clean, target, pred, SR, window_ms=30)
    assert len(wave.axes) == 1
    ax = wave.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["clean", "effect", "model"]
    lo, hi = ax.lines[0].get_xdata()[[0, -1]]
    assert lo <= 600.0 <= hi and hi - lo == pytest.approx(30, abs=0.2)  # zoomed on the pluck at 0.6 s

    curve = plots.training_curve(history)
    assert len(curve.axes) == 1 and curve.axes[0].get_yscale() == "log"
    assert any("best val ESR" in t.get_text() for t in curve.axes[0].get_legend().get_texts())
    path = tmp_path / "history.csv"
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["step", "seconds", "train_loss", "val"])
        writer.writeheader()
        writer.writerows(history)
    assert len(plots.training_curve(path).axes[0].lines) == 3  # loss, val, best marker
    assert len(plots.training_curve([]).axes) == 1  # empty history still draws

    rows = [{"effect": "a", "esr": 0.01, "esr_clean": 0.5, "mel_distance": 2.0, "mel_distance_clean": 8.0},
            {"effect": "b", "esr": 0.0, "esr_clean": 0.3, "mel_distance": 1.0, "mel_distance_clean": 5.0}]
    bars = plots.summary_bars(rows)
    assert len(bars.axes) == 2 and bars.axes[0].get_yscale() == "log"
    x = np.linspace(0, 1, 50)
    assert len(plots.curve_comparison(x, x, x ** 2, "t", "y", "c").axes) == 1

    png = tmp_path / "figs" / "mel.png"
    plots.save_figure(mel, png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in png.parent.iterdir()] == ["mel.png"]  # no temp file left


def _report_inputs(signals, history):
    clean, target, pred = signals
    return dict(
        effect="overdrive",
        metrics=metrics.evaluate(clean, target, pred, SR),
        figures=[plots.mel_triptych(clean, target, pred, SR), plots.waveform_overlay(clean, target, pred, SR),
                 plots.training_curve(history)],
        chain=[{"plugin": "Distortion", "params": {"drive_db": 20.0}}],
        model_config={"name": "lstm", "params": {"hidden": 16}},
        dataset_facts={"sample_rate": SR, "test_seconds": 1.0, "latency_samples": 0},
        training_facts={"device": "cpu", "steps": 300, "seconds": 30.0, "best_val": 0.0818},
    )


def test_build_report_pages_and_determinism(signals, history, tmp_path):
    a, b = tmp_path / "a" / "report.pdf", tmp_path / "b" / "report.pdf"
    report.build_report(a, **_report_inputs(signals, history))
    report.build_report(b, **_report_inputs(signals, history))
    data = a.read_bytes()
    assert data.startswith(b"%PDF")
    assert _page_count(data) == 4  # title page + 3 figures
    assert data == b.read_bytes()  # no creation date: same inputs, same bytes

    long_chain = [{"plugin": f"P{i}", "params": {"gain_db": i, "taps": [1, 2, 3]}} for i in range(60)]
    c = tmp_path / "long.pdf"
    report.build_report(c, **{**_report_inputs(signals, history), "chain": long_chain, "figures": []})
    assert _page_count(c.read_bytes()) >= 2  # the chain overflows page 1 into an appendix


def test_build_report_failure_leaves_no_file(signals, history, tmp_path):
    inputs = _report_inputs(signals, history)
    broken = Figure()
    broken.add_artist(Boom())
    inputs["figures"] = [inputs["figures"][0], broken]
    target = tmp_path / "out" / "report.pdf"
    with pytest.raises(RuntimeError, match="boom"):
        report.build_report(target, **inputs)
    assert not target.exists()
    assert list(target.parent.iterdir()) == []  # temp file removed too

    target.write_bytes(b"old")  # an earlier good report survives a failed rebuild
    with pytest.raises(RuntimeError):
        report.build_report(target, **inputs)
    assert target.read_bytes() == b"old"


def test_build_summary(tmp_path):
    rows = [
        {"effect": "fuzz", "model": "lstm", "esr": 0.02, "esr_clean": 0.6, "mel_distance": 3.0,
         "mel_distance_clean": 9.0, "lufs_diff": 0.4, "closer": 5, "lsd": 4.0},
        {"effect": "chorus", "model": "greybox", "esr": 0.9, "esr_clean": 0.5, "mel_distance": 6.0,
         "mel_distance_clean": 2.0, "lufs_diff": 1.5, "closer": 1},
    ]
    csv_path, pdf_path = tmp_path / "summary.csv", tmp_path / "summary.pdf"
    report.build_summary(csv_path, pdf_path, rows)
    with csv_path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        got = list(reader)
    assert reader.fieldnames == ["effect", "model", "esr", "esr_clean", "mel_distance", "mel_distance_clean",
                                 "lufs_diff", "closer", "lsd"]
    assert [r["effect"] for r in got] == ["fuzz", "chorus"]
    assert float(got[0]["esr"]) == 0.02 and got[1]["closer"] == "1" and got[1]["lsd"] == ""
    pdf = pdf_path.read_bytes()
    assert pdf.startswith(b"%PDF") and _page_count(pdf) == 2  # table + bars

    with pytest.raises(FxcoreError, match="lacks"):
        report.build_summary(tmp_path / "x.csv", tmp_path / "x.pdf", [{"effect": "fuzz"}])
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "x.pdf").exists()
