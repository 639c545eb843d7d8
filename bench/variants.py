"""Validation ESR of model variants, each trained from its own initialisation on one workflow dataset.

    python -m bench.variants --dataset results/fuzz/dataset \\
        --variant 'wh_16_128=wiener_hammerstein:{"taps_in": 16, "taps_out": 128}' \\
        --variant 'wh_64_512=wiener_hammerstein:{"taps_in": 64, "taps_out": 512}' --out bench/results/fuzz_taps.csv

Every variant gets the training recipe the workflow's own model was trained with (the `train` of
`<dataset>/../model/train.json`, or --train-json), the effect's seed, and --steps optimiser steps
(default: the recipe's max_steps). Only the validation split is scored: this is for choosing
settings, and the held-out split stays the workflow's report's. A step count, not a time budget, so
the numbers do not depend on the machine's load.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from fxcore.atomic import write_text
from fxcore.config import ModelConfig, Recipe
from fxcore.errors import FxcoreError
from fxcore.train import train_effect

from .stamp import stamp as stamp_row
from .tables import format_table, to_csv

COLUMNS = ("variant", "model", "params", "steps", "best_val", "best_step", "seconds", "dataset",
           "date", "machine", "commit")


def parse_variant(text: str) -> tuple[str, ModelConfig]:
    """'NAME=MODEL:{json params}' (or 'NAME=MODEL') → (NAME, ModelConfig)."""
    name, sep, spec = text.partition("=")
    model, _, params = spec.partition(":")
    try:
        parsed = json.loads(params) if params else {}
    except json.JSONDecodeError as exc:
        raise FxcoreError(f"--variant {text!r}: params are not JSON ({exc.msg})", None,
                          'write it as NAME=MODEL:{"key": value}') from None
    if not sep or not name or not model or not isinstance(parsed, dict):
        raise FxcoreError(f"--variant {text!r} is not NAME=MODEL:{{json params}}", None,
                          'e.g. --variant \'short=wiener_hammerstein:{"taps_out": 128}\'')
    return name, ModelConfig(model, parsed)


def workflow_recipe(train_json: str | Path) -> Recipe:
    """The effect name and training recipe a workflow model was trained with (its train.json)."""
    path = Path(train_json)
    if not path.exists():
        raise FxcoreError("no train.json of a trained workflow model here", path,
                          "build the effect's model first (snakemake … results/<effect>/model/model.safetensors) "
                          "or pass --train-json")
    facts = json.loads(path.read_text())
    return Recipe.from_json(json.dumps({"name": facts["effect"], "model": {"name": facts["model"], "params": {}},
                                        "train": facts["train"]}))


def main(argv: list[str] | None = None) -> int:
    """Train every variant; print the table; write the CSV if --out. Returns the exit status."""
    p = argparse.ArgumentParser(prog="python -m bench.variants", description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", required=True, help="a workflow dataset folder (results/<effect>/dataset)")
    p.add_argument("--train-json", default=None, help="recipe source (default: <dataset>/../model/train.json)")
    p.add_argument("--variant", action="append", required=True, help="NAME=MODEL:{json params}, repeatable")
    p.add_argument("--steps", type=int, default=None, help="optimiser steps (default: the recipe's max_steps)")
    p.add_argument("--seed", type=int, default=1234, help="the workflow's master seed (config.yaml `seed`)")
    p.add_argument("--out", default=None, help="write the rows to this CSV too")
    a = p.parse_args(argv)
    try:
        variants = dict(parse_variant(v) for v in a.variant)
        base = workflow_recipe(a.train_json or Path(a.dataset).parent / "model" / "train.json")
        steps = a.steps if a.steps is not None else base.train.max_steps
        train = replace(base.train, max_steps=steps, max_seconds=10**9)  # a step count, never a time
        stamp = stamp_row(COLUMNS)
        rows: list[dict] = []
        for name, model in variants.items():
            print(f"[{name}] {model.name} {json.dumps(model.params)}: {steps} steps ...", file=sys.stderr, flush=True)
            with tempfile.TemporaryDirectory(prefix="fxcore-variant-") as tmp:
                f = train_effect(a.dataset, replace(base, model=model, train=train), tmp, a.seed, progress=False)
            rows.append({"variant": name, "model": model.name, "params": json.dumps(model.params, sort_keys=True),
                         "steps": f["steps"], "best_val": f["best_val"], "best_step": f["best_step"],
                         "seconds": f["seconds"], "dataset": str(a.dataset), **stamp})
            if a.out:  # after every variant: a stopped run keeps what it measured
                write_text(a.out, to_csv(rows, COLUMNS))
    except FxcoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"validation ESR of {base.name}'s dataset after {steps} steps, seed {a.seed}")
    print(format_table(rows, COLUMNS[:7]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
