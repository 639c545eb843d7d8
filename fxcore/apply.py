"""Run a trained model: on any file (`fxcore apply`), and on the dataset's test split."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm import tqdm

from .audio import check_output_path, read_audio, write_audio
from .dataset.shards import Dataset
from .errors import FxcoreError
from .model_io import load_model
from .device import select_device


def apply_to_file(model_path: str | Path, in_path: str | Path, out_path: str | Path, device: str = "cpu") -> None:
    """Process a whole audio file with a trained model; the output format follows its extension.

    .wav/.aiff are 32-bit float (no clipping); .flac is 24-bit and .ogg Vorbis, refused if the
    result peaks above 0 dBFS. The output is checked before the model runs; the input is never
    overwritten. `device`: cpu, cuda or auto (the GPU when visible; same output within float tolerance).
    """
    check_output_path(out_path, in_path)
    model = load_model(model_path, select_device(device, "rendering"))
    x, sr = read_audio(in_path)
    if sr != model.sample_rate:
        raise FxcoreError(f"sample rate is {sr} Hz but the model was trained at {model.sample_rate} Hz", in_path,
                          f"resample the input to {model.sample_rate} Hz")
    y = model.render(x)
    if not np.isfinite(y).all():
        raise FxcoreError("the model output has NaN/inf samples for this input", in_path,
                          "check the model with `fxcore info` or retrain it")
    write_audio(out_path, y, sr, subtype="FLOAT")


def render_test_split(model_path: str | Path, dataset_dir: str | Path, out_dir: str | Path,
                      progress: bool = True, device: str = "cpu") -> dict[str, np.ndarray]:
    """Write clean.wav, target.wav, model.wav: the test regions joined, the model run with full context.

    Each track is rendered from its first sample, so long-memory effects (reverb tails, LFO phase)
    see the same history the target had; then the test regions are cut out. `device`: cpu, cuda
    or auto (the GPU when one is visible; the same output within float tolerance).
    """
    model = load_model(model_path, select_device(device, "rendering"))
    data = Dataset(dataset_dir)
    out_dir = Path(out_dir)
    outputs: dict[str, list[np.ndarray]] = {"clean": [], "target": [], "model": []}
    regions = data.split("test")
    for r in tqdm(regions, desc="render test split", disable=not progress, unit="track"):
        clean = np.asarray(data.clean(r.track))
        y_hat = model.render(clean[:r.stop])
        outputs["clean"].append(clean[r.start:r.stop])
        outputs["target"].append(np.asarray(data.target(r.track)[r.start:r.stop]))
        outputs["model"].append(y_hat[r.start:r.stop])
    joined = {k: np.concatenate(v).astype(np.float32) for k, v in outputs.items()}
    for k, v in joined.items():
        write_audio(out_dir / f"{k}.wav", v, data.sample_rate, subtype="FLOAT")
    return joined
