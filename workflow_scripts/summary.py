"""Snakemake adapter: results/summary.csv and summary.pdf over all effects."""

from fxcore.report import make_summary
from fxcore.jobs import job

with job(snakemake):  # noqa: F821
    make_summary(snakemake.input.metrics, snakemake.input.facts, snakemake.output.csv, snakemake.output.pdf)  # noqa: F821
