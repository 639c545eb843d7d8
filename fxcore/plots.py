"""Figures for judging a model by eye: the 2018 report's mel spectrograms and waveform overlay, plus more.

Every function returns a `matplotlib.figure.Figure` drawn on the Agg canvas (no pyplot state, no GUI);
only `save_figure` writes a file. Colours follow the report: clean orange, effect green, model blue.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from .atomic import atomic_path
from .errors import FxcoreError
from .metrics import hz_to_mel, mel_spectrogram

COLOURS = {"clean": "tab:orange", "effect": "tab:green", "model": "tab:blue"}
MEL_DYNAMIC_RANGE_DB = 90.0  # colour scale spans [max − 90 dB, max]


def new_figure(width: float, height: float) -> Figure:
    """A Figure on its own Agg canvas (no pyplot registry, no GUI)."""
    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


# --------------------------------------------------------------------------- mel spectrograms

def mel_triptych(clean: np.ndarray, target: np.ndarray, pred: np.ndarray, sr: int, title: str = "",
                 n_fft: int = 2048, hop: int = 512, n_mels: int = 80, fmin: float = 20.0) -> Figure:
    """Mel spectrograms of clean, effect (target) and model side by side, one shared dB colour scale."""
    specs = [mel_spectrogram(a, sr, n_fft=n_fft, hop=hop, n_mels=n_mels, fmin=fmin) for a in (clean, target, pred)]
    vmax = max(float(s.max()) for s in specs)
    vmin = max(vmax - MEL_DYNAMIC_RANGE_DB, -100.0)
    fmax = sr / 2
    mel_lo, mel_hi = float(hz_to_mel(fmin)), float(hz_to_mel(fmax))
    fig = new_figure(13.0, 4.2)
    grid = fig.add_gridspec(1, 4, width_ratios=[1, 1, 1, 0.05], wspace=0.12,
                            left=0.06, right=0.94, bottom=0.14, top=0.84 if title else 0.9)
    axes = [fig.add_subplot(grid[0, i]) for i in range(3)]
    cax = fig.add_subplot(grid[0, 3])
    image = None
    for i, (ax, spec, name) in enumerate(zip(axes, specs, ("clean", "effect", "model"))):
        duration = len(np.asarray(clean)) / sr
        image = ax.imshow(spec, origin="lower", aspect="auto", cmap="magma", vmin=vmin, vmax=vmax,
                          extent=(0.0, duration, mel_lo, mel_hi), interpolation="nearest")
        ax.set_title(name, color=COLOURS[name], fontweight="bold")
        ax.set_xlabel("time (s)")
        ticks_hz = [f for f in (100, 500, 1000, 2000, 5000, 10000, 20000) if fmin <= f <= fmax]
        ax.set_yticks([float(hz_to_mel(f)) for f in ticks_hz])
        if i == 0:
            ax.set_yticklabels([f"{f / 1000:g}k" if f >= 1000 else f"{f:g}" for f in ticks_hz])
            ax.set_ylabel("frequency (Hz, mel scale)")
        else:
            ax.set_yticklabels([])
    bar = fig.colorbar(image, cax=cax)
    bar.set_label("dB re full scale")
    if title:
        fig.suptitle(title, fontsize=13)
    return fig


# --------------------------------------------------------------------------- waveforms

def strongest_onset(x: np.ndarray, sr: int, smooth_ms: float = 2.0, lag_ms: float = 5.0) -> int:
    """Sample index of the largest rise of the RMS envelope (envelope[n] − envelope[n − lag], positive part)."""
    x = np.asarray(x, dtype=np.float64)
    if len(x) < 3:
        return 0
    win = max(int(sr * smooth_ms / 1000), 1)
    env = np.sqrt(np.convolve(x * x, np.ones(win) / win, mode="same"))
    lag = max(int(sr * lag_ms / 1000), 1)
    if len(env) <= lag:
        return int(np.argmax(np.abs(x)))
    rise = np.maximum(env[lag:] - env[:-lag], 0.0)
    if not np.any(rise > 0):
        return int(np.argmax(np.abs(x)))
    return int(np.argmax(rise)) + lag // 2


def waveform_overlay(clean: np.ndarray, target: np.ndarray, pred: np.ndarray, sr: int,
                     window_ms: float = 30.0, title: str = "") -> Figure:
    """The three waveforms on one axis, zoomed on `window_ms` around the strongest onset in the target."""
    clean, target, pred = (np.asarray(a, dtype=np.float64) for a in (clean, target, pred))
    n = min(len(clean), len(target), len(pred))
    width = max(int(round(sr * window_ms / 1000)), 2)
    onset = strongest_onset(target[:n], sr)
    start = int(np.clip(onset - width // 4, 0, max(n - width, 0)))
    stop = min(start + width, n)
    t_ms = (np.arange(start, stop) / sr) * 1000.0
    fig = new_figure(10.0, 4.2)
    ax = fig.add_subplot(1, 1, 1)
    for name, a in (("clean", clean), ("effect", target), ("model", pred)):
        ax.plot(t_ms, a[start:stop], color=COLOURS[name], label=name, linewidth=1.2)
    ax.axvline(onset / sr * 1000.0, color="0.6", linestyle=":", linewidth=1)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("amplitude (full scale = 1)")
    ax.set_title(title or f"waveforms around the strongest onset in the effect ({window_ms:g} ms)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- training

def _numbers(values: Sequence[Any]) -> np.ndarray:
    """Values as float64, NaN where missing or not a number."""
    return pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce").to_numpy(dtype=float)


HISTORY_COLUMNS = ("step", "seconds", "train_loss", "val")


def read_history(history: Sequence[dict] | str | Path) -> list[dict[str, float]]:
    """History rows as floats (empty, missing or unparsable → NaN) from a list of dicts or a CSV file."""
    if isinstance(history, (str, Path)):
        path = Path(history)
        if not path.exists():
            raise FxcoreError("training history not found", path, "train the model first")
        try:
            table = pd.read_csv(path, dtype=str, keep_default_na=False)
        except pd.errors.EmptyDataError:  # an empty file: no rows yet
            return []
    else:
        table = pd.DataFrame(list(history), dtype=object)
    table = table.reindex(columns=HISTORY_COLUMNS)
    numbers = table.apply(lambda column: pd.to_numeric(column, errors="coerce")).astype(float)
    return numbers.to_dict("records")


def training_curve(history: Sequence[dict] | str | Path, title: str = "training", val_metric: str = "esr") -> Figure:
    """Train loss and the validation metric (ESR, or MR-STFT for spectral-only losses) against step, log y
    axis; the best validation value is starred."""
    rows = read_history(history)
    fig = new_figure(9.0, 4.5)
    ax = fig.add_subplot(1, 1, 1)
    step = np.array([r["step"] for r in rows], dtype=float)
    loss = np.array([r["train_loss"] for r in rows], dtype=float)
    val = np.array([r["val"] for r in rows], dtype=float)
    name = {"esr": "ESR", "mrstft": "MR-STFT"}.get(val_metric, val_metric)
    plotted = False
    ok = np.isfinite(step) & np.isfinite(loss) & (loss > 0)
    if ok.any():
        ax.plot(step[ok], loss[ok], color="0.55", linewidth=1, label="train loss")
        plotted = True
    ok = np.isfinite(step) & np.isfinite(val) & (val > 0)
    if ok.any():
        ax.plot(step[ok], val[ok], "o-", color="tab:blue", markersize=3, linewidth=1.4, label=f"validation {name}")
        best = int(np.flatnonzero(ok)[np.argmin(val[ok])])
        ax.plot([step[best]], [val[best]], marker="*", color="tab:red", markersize=15, linestyle="none",
                label=f"best val {name} {val[best]:.4g} @ step {step[best]:.0f}")
        plotted = True
    if plotted:
        ax.set_yscale("log")
        ax.legend(loc="upper right")
    else:
        ax.text(0.5, 0.5, "no training history to plot", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("step")
    ax.set_ylabel(f"loss / {name} (log)")
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- summaries

def summary_bars(rows: Sequence[dict]) -> Figure:
    """Per effect: ESR model vs clean baseline (log y) and mel distance model vs clean, as grouped bars."""
    effects = [str(r.get("effect", "?")) for r in rows]
    n = len(effects)
    fig = new_figure(max(8.0, 1.1 * n + 4.0), 4.8)
    axes = [fig.add_subplot(1, 2, i + 1) for i in range(2)]
    x = np.arange(n)
    w = 0.38
    panels = (("esr", "ESR (log)", True), ("mel_distance", "mel distance (dB)", False))
    for ax, (key, label, log) in zip(axes, panels):
        model, clean = (_numbers([r.get(k) for r in rows]) for k in (key, f"{key}_clean"))
        if log:
            model, clean = (np.where(np.isfinite(v), np.maximum(v, 1e-6), np.nan) for v in (model, clean))
        ax.bar(x - w / 2, model, w, color=COLOURS["model"], label="model")
        ax.bar(x + w / 2, clean, w, color=COLOURS["clean"], label="clean input (do nothing)")
        both = np.concatenate([model, clean])
        both = both[np.isfinite(both)]
        if log and both.size:
            ax.set_yscale("log")
            ax.set_ylim(both.min() / 3.0, both.max() * 2.0)
            ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xticks(x)
        ax.set_xticklabels(effects, rotation=30 if n > 3 else 0, ha="right" if n > 3 else "center")
        ax.set_ylabel(label)
        ax.set_title(f"{key.replace('_', ' ')}: lower is better")
        ax.grid(axis="y", alpha=0.3, which="both")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=2, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    return fig


def curve_comparison(x_axis: np.ndarray, learned: np.ndarray, measured: np.ndarray,
                     xlabel: str, ylabel: str, title: str) -> Figure:
    """Learned vs measured curve on one axis (impulse responses, transfer curves, LFO shapes)."""
    fig = new_figure(8.0, 4.5)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(np.asarray(x_axis), np.asarray(measured), color=COLOURS["effect"], linewidth=2, label="measured")
    ax.plot(np.asarray(x_axis), np.asarray(learned), color=COLOURS["model"], linewidth=1.4,
            linestyle="--", label="learned")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def capture_response(response: dict, sr: int) -> Figure:
    """A recorded capture's estimated impulse response h[lag] (normalised) with the chosen latency marked."""
    values = np.asarray(response["values"], dtype=np.float64)
    lags = response["start_lag"] + np.arange(len(values))
    fig = new_figure(8.0, 3.5)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(lags, values, color=COLOURS["effect"], linewidth=1.2)
    ax.axvline(response["latency"], color=COLOURS["model"], linestyle="--",
               label=f"latency {response['latency']} samples ({1000 * response['latency'] / sr:.2f} ms)")
    ax.set_xlabel("lag (samples)")
    ax.set_ylabel("h / max|h|")
    ax.set_title("capture: estimated impulse response (clean → processed)")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- output

def close_figure(fig: Figure) -> None:
    """Release a figure (also from pyplot's registry, if pyplot made it)."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)


def save_figure(fig: Figure, path: str | Path, dpi: int = 120) -> None:
    """Save `fig` as PNG atomically, then close it."""
    try:
        with atomic_path(path, suffix=".png") as tmp:
            fig.savefig(tmp, dpi=dpi, format="png")
    finally:
        close_figure(fig)
