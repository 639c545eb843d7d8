"""Write and read the per-effect dataset: one memory-mappable `.npy` per track and signal.

Layout of `results/<effect>/dataset/`:
    manifest.json               sample rate, latency, split regions, checks
    <track>.clean.npy           float32 (T,)
    <track>.target.npy          float32 (T,), latency removed
A region is (track, split, start, stop) in samples; splits are contiguous in time within each
track (train first, then val, then test), so a model can be given the audio *before* a region as
pre-roll without seeing any target it is judged on.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_dir, write_json
from ..audio import read_audio
from ..config import SplitConfig
from ..errors import FxcoreError, config_source
from .align import measure_latency, shift_left
from .capture import prepare_recorded_pair
from .checks import check_pair

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class Region:
    """A contiguous stretch of one track that belongs to one split."""

    track: str
    split: str
    start: int
    stop: int

    @property
    def length(self) -> int:
        return self.stop - self.start


def split_regions(track: str, n: int, split: SplitConfig) -> list[Region]:
    """Cut [0, n) into train/val/test regions by the split fractions, in time order."""
    a = int(round(n * split.train))
    b = int(round(n * (split.train + split.val)))
    return [Region(track, "train", 0, a), Region(track, "val", a, b), Region(track, "test", b, n)]


def build_dataset(out_dir: str | Path, pairs: dict[str, tuple[Path, Path]], clicks: tuple[Path, Path],
                  split: SplitConfig, sample_rate: int, max_latency_s: float = 0.1,
                  latency_override: int | None = None) -> dict:
    """Align (latency from the click train), check and split rendered pairs into `out_dir`."""
    click_clean, _ = read_audio(clicks[0], sample_rate)
    click_proc, _ = read_audio(clicks[1], sample_rate)
    measured = measure_latency(click_clean, click_proc, int(max_latency_s * sample_rate))
    latency = measured if latency_override is None else int(latency_override)
    tracks, checks = {}, {}
    for track, (clean_path, proc_path) in sorted(pairs.items()):
        clean, _ = read_audio(clean_path, sample_rate)
        proc, _ = read_audio(proc_path, sample_rate)
        clean, proc, checks[track] = check_pair(clean, proc, clean_path, proc_path)
        tracks[track] = (clean, shift_left(proc, latency), str(clean_path), str(proc_path))
    return write_dataset(out_dir, tracks, split, sample_rate, latency, measured, checks)


def build_recorded_dataset(out_dir: str | Path, options: dict[str, Any], split: SplitConfig,
                           sample_rate: int) -> dict:
    """A user's recorded clean/processed capture as a one-track dataset (latency = onset of the estimated response)."""
    keys = {k: options[k] for k in ("latency", "repeat", "max_latency_s", "repeat_max_esr", "channel")
            if k in options}
    clean, target, report = prepare_recorded_pair(options["clean"], options["processed"], sample_rate, **keys)
    tracks = {"recorded": (clean, target, str(options["clean"]), str(options["processed"]))}
    return write_dataset(out_dir, tracks, split, sample_rate, int(report["latency"]),
                         int(report["detected_latency"]), {"recorded": report})


def write_dataset(out_dir: str | Path, tracks: dict[str, tuple[np.ndarray, np.ndarray, str, str]],
                  split: SplitConfig, sample_rate: int, latency: int, measured: int,
                  checks: dict[str, Any]) -> dict:
    """Write aligned (clean, target) tracks + manifest into `out_dir`, atomically as a folder."""
    with atomic_dir(out_dir) as tmp:
        entries, regions = [], []
        for track, (clean, target, clean_path, proc_path) in tracks.items():
            np.save(tmp / f"{track}.clean.npy", np.asarray(clean, dtype=np.float32))
            np.save(tmp / f"{track}.target.npy", np.asarray(target, dtype=np.float32))
            entries.append({"name": track, "samples": len(clean), "clean": clean_path, "processed": proc_path})
            regions += split_regions(track, len(clean), split)
        durations = {s: sum(r.length for r in regions if r.split == s) / sample_rate for s in SPLITS}
        if min(durations.values()) <= 0:
            raise FxcoreError(f"a split is empty ({durations})", config_source(), "make more audio or larger split fractions")
        manifest = {
            "sample_rate": sample_rate,
            "latency_samples": latency,
            "latency_measured_samples": measured,
            "latency_ms": round(1000 * latency / sample_rate, 3),
            "tracks": entries,
            "regions": [asdict(r) for r in regions],
            "durations_s": durations,
            "checks": checks,
        }
        write_json(tmp / "manifest.json", manifest)
    return manifest


class Dataset:
    """Read side of `build_dataset`: memory-mapped tracks and their split regions."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        path = self.folder / "manifest.json"
        if not path.exists():
            raise FxcoreError("dataset manifest not found", path, "rebuild it with the shard rule (snakemake ...)")
        self.manifest = json.loads(path.read_text())
        self.sample_rate: int = self.manifest["sample_rate"]
        self.regions = [Region(**r) for r in self.manifest["regions"]]
        self._clean = {t["name"]: np.load(self.folder / f"{t['name']}.clean.npy", mmap_mode="r")
                       for t in self.manifest["tracks"]}
        self._target = {t["name"]: np.load(self.folder / f"{t['name']}.target.npy", mmap_mode="r")
                        for t in self.manifest["tracks"]}

    @property
    def tracks(self) -> list[str]:
        """Track names, in manifest order."""
        return list(self._clean)

    def clean(self, track: str) -> np.ndarray:
        """The whole clean track (memory-mapped)."""
        return self._clean[track]

    def target(self, track: str) -> np.ndarray:
        """The whole aligned target track (memory-mapped)."""
        return self._target[track]

    def split(self, name: str) -> list[Region]:
        """Regions of one split."""
        return [r for r in self.regions if r.split == name]

    def concat(self, name: str, which: str = "target") -> np.ndarray:
        """All regions of a split joined end to end (for evaluation on the test split)."""
        get = self._target if which == "target" else self._clean
        return np.concatenate([np.asarray(get[r.track][r.start:r.stop]) for r in self.split(name)])
