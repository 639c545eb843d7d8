"""Identical noise bursts through a benchmark row's effect at different times: is it time-invariant?

    python -m bench.bursts --row calf_reverb --spacing 3 --count 6

A time-invariant effect answers the same burst the same way whenever it comes; an effect with an
LFO inside (a chorus, a modulated reverb) answers it differently, unless the bursts come a whole
number of LFO periods apart. The bursts (50 ms of seeded white noise at −20 dBFS RMS) start every
--spacing seconds, and each response (the stretch from its onset to the next) is compared with
the first burst's:

    diff_db = 10·log10( Σ (y_k − y_0)² / Σ y_0² )

over the whole response, its first 0.25 s (`early_db`) and the rest (`late_db`); `late_pct` is the
rest's share of the first response's energy (100·Σ y_0² after 0.25 s / Σ y_0²). Round-off gives
−100 dB or below; 0 dB means a response as different from the first as a new one of the same
energy. The spacing must outlast the effect's tail, or the tail of the burst before counts as a
difference (SoX `reverb` 3 s apart: −125 dB; 1 s apart: −60 dB). Where the late part differs by
about 0 dB, no time-invariant model (an impulse response, say) can predict that part: its error is
at least the late part's share of the output energy.
This is how Calf Reverb and caps Plate, the two LTI rows that miss their target, were shown
to be modulated reverbs (README).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from fxcore.effects import make_backend
from fxcore.errors import FxcoreError

from .pairs import parse_keys
from .tables import print_table
from .tones import ALL_ROWS

COLUMNS = ("burst", "lag_s", "diff_db", "early_db", "late_db", "late_pct")
BURST_S, EARLY_S, BURST_RMS = 0.05, 0.25, 0.1


def _ratio_db(diff: np.ndarray, ref: np.ndarray) -> float:
    """10·log10(Σdiff² / Σref²), floored at −200 dB."""
    return float(10 * np.log10(max(np.sum(diff ** 2) / max(np.sum(ref ** 2), 1e-300), 1e-20)))


def burst_table(row_key: str, spacing_s: float, count: int, sample_rate: int = 48000, seed: int = 0) -> list[dict]:
    """One line per burst after the first: its lag behind the first and how far its response differs (dB)."""
    if spacing_s <= EARLY_S or count < 2:
        raise FxcoreError(f"--spacing {spacing_s} / --count {count} leave nothing to compare", None,
                          f"give a spacing above {EARLY_S} s and at least 2 bursts")
    effect = ALL_ROWS[row_key].effect()
    backend = make_backend(effect["backend"], effect["chain"], effect.get("options", {}), effect=row_key)
    period, early = int(round(spacing_s * sample_rate)), int(EARLY_S * sample_rate)
    burst = np.random.default_rng(seed).standard_normal(int(BURST_S * sample_rate)) * BURST_RMS
    x = np.zeros(period * count, dtype=np.float32)
    for k in range(count):
        x[k * period:k * period + len(burst)] = burst
    y = np.asarray(backend.process(x, sample_rate), dtype=np.float64)
    responses = y[:period * count].reshape(count, period)
    ref = responses[0]
    lines = []
    for k in range(1, count):
        d = responses[k] - ref
        lines.append({"burst": k, "lag_s": round(k * spacing_s, 3), "diff_db": round(_ratio_db(d, ref), 1),
                      "early_db": round(_ratio_db(d[:early], ref[:early]), 1),
                      "late_db": round(_ratio_db(d[early:], ref[early:]), 1),
                      "late_pct": float(f"{100 * np.sum(ref[early:] ** 2) / np.sum(ref ** 2):.3g}")})
    return lines


def main(argv: list[str] | None = None) -> int:
    """Print the burst table for one row. Returns the exit status."""
    p = argparse.ArgumentParser(prog="python -m bench.bursts", description=__doc__.split("\n\n")[0])
    p.add_argument("--row", required=True, help=f"a key of bench/zoo.py or bench/dev.py ({', '.join(ALL_ROWS)})")
    p.add_argument("--spacing", type=float, default=3.0, help="seconds from one burst to the next")
    p.add_argument("--count", type=int, default=6, help="how many bursts")
    a = p.parse_args(argv)
    return print_table(lambda: burst_table(parse_keys(a.row, ALL_ROWS, "row")[0], a.spacing, a.count), COLUMNS)


if __name__ == "__main__":
    sys.exit(main())
