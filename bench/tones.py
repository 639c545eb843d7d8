"""Steady tones through a benchmark row's effect and through a trained model, level by level.

    python -m bench.tones --row gx_amp --model bench/results/work-generalise/gx_amp-8s-seed7/fxcore-auto/model.safetensors

Each tone (a sine at every --freqs Hz and --levels dBFS peak, 1 s after 0.25 s of silence) goes through
the row's effect (bench/zoo.py or bench/dev.py: the same host, chain and options) and through the
model. The table gives both output levels (dB: the peak of a sine of the same RMS, over the tone's last
half second), the share of each output's power at the tone's own frequency (`*_fund_pct`: what is
not there is harmonics and noise) and the model's ESR there. A held-out error that sits in one band of one piece (a bass
line, say) reads here as the frequencies and levels where the model leaves the device: this is how
the guitarix amp's bass cut, which the training audio never excited, was found (README).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from scipy import signal

from fxcore.effects import make_backend
from fxcore.errors import FxcoreError
from fxcore.metrics import esr
from fxcore.model_io import load_model

from .dev import PAIRS
from .pairs import parse_keys
from .tables import print_table
from .zoo import ROWS

ALL_ROWS = {**ROWS, **PAIRS}
COLUMNS = ("level_db", "freq_hz", "effect_db", "model_db", "effect_fund_pct", "model_fund_pct", "esr")


def sine_db(y: np.ndarray) -> float:
    """20·log10 of √2 · RMS(y): the peak level of a sine with y's power."""
    return float(20 * np.log10(np.sqrt(2 * np.mean(np.square(y, dtype=np.float64))) + 1e-12))


def fundamental_pct(y: np.ndarray, freq: float, sample_rate: int) -> float:
    """100 × the power of y's Hann-windowed spectrum within ±3 Hz of `freq` over its total power."""
    f, p = signal.periodogram(y, sample_rate, window="hann")
    return float(100 * p[np.abs(f - freq) < 3].sum() / max(p.sum(), 1e-30))


def tone_table(row_key: str, model_path: str, levels: list[float], freqs: list[float]) -> list[dict]:
    """One line per (level, frequency): the effect's and the model's output level and the model's ESR."""
    effect = ALL_ROWS[row_key].effect()
    backend = make_backend(effect["backend"], effect["chain"], effect.get("options", {}), effect=row_key)
    model = load_model(model_path)
    sr = model.sample_rate
    t = np.arange(sr) / sr
    lines = []
    for level in levels:
        for f in freqs:
            x = np.zeros(sr + sr // 2, dtype=np.float32)
            x[sr // 4:sr // 4 + sr] = 10 ** (level / 20) * np.sin(2 * np.pi * f * t)
            y, y_hat = backend.process(x, sr), model.render(x)
            tail = slice(3 * sr // 4, sr + sr // 4)
            lines.append({"level_db": level, "freq_hz": f, "effect_db": round(sine_db(y[tail]), 1),
                          "model_db": round(sine_db(y_hat[tail]), 1),
                          "effect_fund_pct": round(fundamental_pct(y[tail], f, sr), 1),
                          "model_fund_pct": round(fundamental_pct(y_hat[tail], f, sr), 1),
                          "esr": float(f"{esr(y_hat[tail], y[tail]):.3g}")})
    return lines


def _floats(text: str, what: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise FxcoreError(f"bad --{what} {text!r}", None, f"give comma-separated numbers, e.g. --{what} 1,2") from None


def main(argv: list[str] | None = None) -> int:
    """Print the tone table for one row and one model. Returns the exit status."""
    p = argparse.ArgumentParser(prog="python -m bench.tones", description=__doc__.split("\n\n")[0])
    p.add_argument("--row", required=True, help=f"a key of bench/zoo.py or bench/dev.py ({', '.join(ALL_ROWS)})")
    p.add_argument("--model", required=True, help="a model.safetensors trained on that row")
    p.add_argument("--levels", default="-40,-20,-6", help="tone peaks, dBFS")
    p.add_argument("--freqs", default="30,41,55,82,110,165,330,1000", help="tone frequencies, Hz")
    a = p.parse_args(argv)
    return print_table(lambda: tone_table(parse_keys(a.row, ALL_ROWS, "row")[0], a.model, _floats(a.levels, "levels"),
                                          _floats(a.freqs, "freqs")), COLUMNS)


if __name__ == "__main__":
    sys.exit(main())
