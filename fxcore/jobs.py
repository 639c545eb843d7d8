"""The frame around every workflow job: log to the rule's log file, one-line errors, exit 1."""

from __future__ import annotations

import logging
import os
import sys
from contextlib import contextmanager
from typing import Any, Iterator

from .errors import FxcoreError
from .logs import setup_logging


@contextmanager
def job(smk: Any) -> Iterator[logging.Logger]:
    """Wrap a Snakemake script: FxcoreError becomes one log line and exit status 1, not a traceback."""
    log_path = smk.log[0] if len(smk.log) else None
    logger = setup_logging(log_path)
    logger.info("rule %s: %s", smk.rule, dict(smk.wildcards.items()) if smk.wildcards else {})
    if os.environ.get("CUDA_VISIBLE_DEVICES") is not None:
        logger.info("CUDA_VISIBLE_DEVICES=%s", os.environ["CUDA_VISIBLE_DEVICES"])
    try:
        yield logger
    except FxcoreError as exc:
        logger.error("%s", exc)
        sys.exit(1)
