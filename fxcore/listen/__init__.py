"""Judging a model by ear: loudness-matched excerpts, a blind ABX page per effect, and the results index."""

from .build import build_listen, read_manifest
from .index import build_index, index_html

__all__ = ["build_listen", "read_manifest", "index_html", "build_index"]
