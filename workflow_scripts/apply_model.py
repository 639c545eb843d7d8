"""Snakemake adapter: run the trained model over the test split."""

from pathlib import Path

from fxcore.jobs import job
from fxcore.apply import render_test_split

with job(snakemake):  # noqa: F821
    s = snakemake  # noqa: F821
    render_test_split(s.input.model, s.input.dataset, Path(s.output.model).parent, device=s.params.device)
