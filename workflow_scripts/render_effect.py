"""Snakemake adapter: render the clean tracks and the click train through one effect."""

from fxcore.config import RenderConfig
from fxcore.effects.render import render_files
from fxcore.jobs import job

with job(snakemake):  # noqa: F821
    s = snakemake  # noqa: F821
    cfg = RenderConfig.from_json(s.params.render)
    render_files(cfg, s.params.sample_rate, [*s.input.clean, s.input.clicks], [*s.output.processed, s.output.clicks])
