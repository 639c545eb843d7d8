"""Where models run: the GPU the scheduler gives a job (CUDA_VISIBLE_DEVICES), else the CPU."""

from __future__ import annotations

import logging

import torch

from .errors import FxcoreError, config_source

log = logging.getLogger("fxcore.device")


def select_device(requested: str, task: str = "training") -> torch.device:
    """'auto' → the GPU Slurm/CUDA_VISIBLE_DEVICES gives us, else the CPU (said in the log)."""
    if requested == "cuda" and not torch.cuda.is_available():
        raise FxcoreError("device 'cuda' was asked for but no CUDA GPU is visible", config_source(),
                          "set train.device: auto, or run on a GPU node")
    if requested in ("auto", "cuda") and torch.cuda.is_available():
        return torch.device("cuda")
    if requested == "auto":
        log.info("no CUDA GPU visible: %s on the CPU", task)
    return torch.device("cpu")
