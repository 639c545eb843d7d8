"""Snakemake adapter: align, check and shard one effect's clean/processed pairs."""

import json

from fxcore.config import SplitConfig
from fxcore.dataset import build_dataset, build_recorded_dataset
from fxcore.jobs import job

with job(snakemake) as log:  # noqa: F821
    s = snakemake  # noqa: F821
    split = SplitConfig(**json.loads(s.params.split))
    if s.params.capture:  # a recorded effect: its capture options
        manifest = build_recorded_dataset(s.output[0], json.loads(s.params.capture), split, s.params.sample_rate)
        for warning in manifest["checks"]["recorded"].get("warnings", []):
            log.warning("%s", warning)
    else:
        pairs = dict(zip(s.params.tracks, zip(s.input.clean, s.input.processed)))
        manifest = build_dataset(s.output[0], pairs, (s.input.clicks_clean, s.input.clicks_processed), split,
                                 s.params.sample_rate)
    log.info("latency %d samples; durations %s", manifest["latency_samples"], manifest["durations_s"])
