"""Snakemake adapter: the click train used to measure each effect's latency."""

from fxcore.audio import write_audio
from fxcore.jobs import job
from fxcore.synth import click_train

with job(snakemake):  # noqa: F821
    p = snakemake.params  # noqa: F821
    write_audio(snakemake.output[0], click_train(p.sample_rate, seed=p.seed), p.sample_rate)  # noqa: F821
