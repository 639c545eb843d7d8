"""Snakemake adapter: metrics.json and figures for one effect."""

from pathlib import Path

from fxcore.evaluate import evaluate_effect
from fxcore.jobs import job

with job(snakemake) as log:  # noqa: F821
    s = snakemake  # noqa: F821
    m = evaluate_effect(Path(s.input.test[0]).parent, s.input.model, s.input.history, s.input.facts,
                        s.output.metrics, s.output.plots)
    log.info("ESR %.4g (clean %.4g), mel distance %.3g (clean %.3g)", m["esr"], m["esr_clean"],
             m["mel_distance"], m["mel_distance_clean"])
