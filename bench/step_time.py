"""Milliseconds per optimiser step of each `model: auto` family, on its own training windows.

    python -m bench.step_time
    python -m bench.step_time --families wiener_hammerstein,wiener_hammerstein_flat --steps 50

A step is what the trainer does per batch: the forward pass over the family's window
(segment_samples + its warm-up, batch_size rows of seeded noise at −20 dBFS RMS), an MSE loss,
backward, gradient clipping and an Adam update; no data loading and no validation. `auto`'s
trials are counted in steps (fxcore/families.py), so a trial costs about `trial_s` = ms × steps
plus the family's closed-form fit. Run it alone: two CPU-heavy processes on two cores slow each
other several-fold.
"""

from __future__ import annotations

import argparse
import sys
import time

import torch

from fxcore.config import TrainConfig
from fxcore.families import FAMILIES
from fxcore.models import build_model

from .pairs import parse_keys
from .tables import print_table

COLUMNS = ("family", "model", "window", "batch", "ms_per_step", "trial_steps", "trial_s")
SAMPLE_RATE = 48000


def step_ms(family: str, steps: int, seed: int = 0) -> dict:
    """Time `steps` optimiser steps (after 3 untimed ones) of one family; one table line."""
    fam = FAMILIES[family]
    tc = TrainConfig(**fam.train)
    torch.manual_seed(seed)
    model = build_model(fam.model.name, dict(fam.model.params), SAMPLE_RATE)
    warmup = tc.warmup(model.receptive_field)
    window = tc.segment_samples + warmup
    x = 0.1 * torch.randn(tc.batch_size, window)
    y = 0.1 * torch.randn(tc.batch_size, window)
    opt = torch.optim.Adam(model.parameters(), tc.lr)

    def step() -> None:
        y_hat, _ = model(x)
        loss = torch.mean((y_hat[:, warmup:] - y[:, warmup:]) ** 2)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    for _ in range(3):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    ms = 1000 * (time.perf_counter() - t0) / steps
    return {"family": family, "model": fam.model.name, "window": window, "batch": tc.batch_size,
            "ms_per_step": round(ms, 1), "trial_steps": fam.trial_steps, "trial_s": round(ms * fam.trial_steps / 1000, 1)}


def main(argv: list[str] | None = None) -> int:
    """Print the step-time table. Returns the exit status."""
    p = argparse.ArgumentParser(prog="python -m bench.step_time", description=__doc__.split("\n\n")[0])
    p.add_argument("--families", default=",".join(FAMILIES), help=f"comma-separated from {', '.join(FAMILIES)}")
    p.add_argument("--steps", type=int, default=20, help="timed steps per family")
    a = p.parse_args(argv)
    return print_table(lambda: [step_ms(f, max(1, a.steps)) for f in parse_keys(a.families, FAMILIES, "family")],
                       COLUMNS)


if __name__ == "__main__":
    sys.exit(main())
