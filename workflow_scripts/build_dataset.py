"""Snakemake adapter: align, check and shard one effect's clean/processed pairs."""

import json

from fxcore.config import SplitConfig
from fxcore.dataset import build_dataset
from fxcore.jobs import job

with job(snakemake) as log:  # noqa: F821
    s = snakemake  # noqa: F821
    pairs = dict(zip(s.params.tracks, zip(s.input.clean, s.input.processed)))
    manifest = build_dataset(s.output[0], pairs, (s.input.clicks_clean, s.input.clicks_processed),
                             SplitConfig(**json.loads(s.params.split)), s.params.sample_rate)
    log.info("latency %d samples; durations %s", manifest["latency_samples"], manifest["durations_s"])
