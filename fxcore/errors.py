"""The one exception type users see: a single line naming the file and the fix."""

from __future__ import annotations

import os
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Iterator


class FxcoreError(ValueError):
    """A user-facing error; its message is one line: what is wrong, where, and how to fix it."""

    def __init__(self, message: str, path: str | Path | None = None, fix: str | None = None):
        parts = [f"{path}: {message}" if path is not None else message]
        if fix:
            parts.append(f"fix: {fix}")
        super().__init__(" — ".join(p.replace("\n", " ") for p in parts))


# The config file that errors should name: set while a config is checked (`naming_config`), else
# FXCORE_CONFIGFILE (which the workflow exports to its jobs), else the default config.yaml.
_CONFIG_SOURCE: ContextVar[str | None] = ContextVar("fxcore_config_source", default=None)


def config_source() -> str:
    """The config file being used, for error messages."""
    return _CONFIG_SOURCE.get() or os.environ.get("FXCORE_CONFIGFILE") or "config.yaml"


@contextmanager
def naming_config(source: str | Path) -> Iterator[None]:
    """Within the block, `config_source()` is `source`."""
    token = _CONFIG_SOURCE.set(str(source))
    try:
        yield
    finally:
        _CONFIG_SOURCE.reset(token)
