"""Snakemake adapter: results/<effect>/report.pdf."""

from pathlib import Path

from fxcore.config import EffectConfig
from fxcore.report import make_report
from fxcore.jobs import job

with job(snakemake):  # noqa: F821
    s = snakemake  # noqa: F821
    make_report(EffectConfig.from_json(s.params.effect), s.input.metrics, s.input.plots,
                Path(s.input.dataset) / "manifest.json", s.input.facts, s.output[0], notes=s.params.notes)
