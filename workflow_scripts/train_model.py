"""Snakemake adapter: train one effect's model."""

from pathlib import Path

import torch

from fxcore.config import Recipe
from fxcore.jobs import job
from fxcore.auto import fit_effect

with job(snakemake) as log:  # noqa: F821
    s = snakemake  # noqa: F821
    cfg = Recipe.from_json(s.params.recipe)
    if cfg.train.threads == 0:
        torch.set_num_threads(max(1, s.threads))
    facts = fit_effect(s.input[0], cfg, Path(s.output.model).parent, s.params.seed,
                       checkpoint_dir=s.params.checkpoints)
    log.info("trained on %s: %d steps, %.1f s, best val %s %.4g (%s)", facts["device"], facts["steps"],
             facts["seconds"], facts["val_metric"], facts["best_val"], facts["stop_reason"])
