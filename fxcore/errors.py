"""The one exception type users see: a single line naming the file and the fix."""

from __future__ import annotations

from pathlib import Path


class FxcoreError(ValueError):
    """A user-facing error; its message is one line: what is wrong, where, and how to fix it."""

    def __init__(self, message: str, path: str | Path | None = None, fix: str | None = None):
        parts = [f"{path}: {message}" if path is not None else message]
        if fix:
            parts.append(f"fix: {fix}")
        super().__init__(" — ".join(p.replace("\n", " ") for p in parts))
