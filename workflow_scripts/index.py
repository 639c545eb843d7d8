"""Snakemake adapter: results/index.html over all effects."""

from fxcore.jobs import job
from fxcore.listen import build_index

with job(snakemake):  # noqa: F821
    build_index(snakemake.input.summary, snakemake.input.listen, snakemake.output[0])  # noqa: F821
