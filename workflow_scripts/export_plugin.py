"""Snakemake adapter: export the trained model as an LV2 plugin bundle."""

from fxcore.export import export_lv2
from fxcore.jobs import job

with job(snakemake) as log:  # noqa: F821
    s = snakemake  # noqa: F821
    info = export_lv2(s.input.model, s.output.bundle)
    log.info("exported %s → %s (%s; latency %d samples)", s.input.model, info["bundle"], info["uri"],
             info["latency_samples"])
