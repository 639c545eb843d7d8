"""Snakemake adapter: one synthetic clean track."""

from fxcore.audio import write_audio
from fxcore.jobs import job
from fxcore.synth import synthesize_track

with job(snakemake) as log:  # noqa: F821
    p = snakemake.params  # noqa: F821
    index = int(snakemake.wildcards.track.split("_")[1])  # noqa: F821
    audio = synthesize_track(seed=p.seed * 10_000 + index, segments=p.segments,
                             segment_seconds=p.segment_seconds, sample_rate=p.sample_rate)
    write_audio(snakemake.output[0], audio, p.sample_rate)  # noqa: F821
    log.info("wrote %s (%.1f s)", snakemake.output[0], len(audio) / p.sample_rate)  # noqa: F821
