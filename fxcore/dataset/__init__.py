"""Pairs of clean/processed audio → aligned, checked, split, memory-mapped training data."""

from .align import measure_latency, shift_left  # noqa: F401
from .checks import check_pair  # noqa: F401
from .shards import Dataset, Region, build_dataset, build_recorded_dataset  # noqa: F401
