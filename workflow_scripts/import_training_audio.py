"""Snakemake adapter: one file of the user's training_audio/ folder, resampled, mono, normalised."""

from fxcore.audio import write_audio
from fxcore.jobs import job
from fxcore.synth import prepare_training_audio

with job(snakemake) as log:  # noqa: F821
    sr = snakemake.params.sample_rate  # noqa: F821
    audio = prepare_training_audio(snakemake.input[0], sr)  # noqa: F821
    write_audio(snakemake.output[0], audio, sr)  # noqa: F821
