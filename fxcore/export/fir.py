"""C emitter for the long linear families: `ir` (y = h ∗ x) and `feedback_delay` (y = dry·x + h_wet ∗ x).

Both are one FIR of L taps (feedback_delay renders its echoes as an N-tap wet response; the dry
gain joins tap 0). Choice: zero-latency *uniformly partitioned* convolution — the first P taps
in direct form, the rest in NP = ⌈(L − P)/P⌉ FFT partitions (radix-2, size 2P, written in C):
per sample ≈ P + 4·L/P multiply-adds, smallest near P = 2√L (1.5 s at 48 kHz: P = 512, ≈ 1 100
per sample, vs 72 000 in direct form). The FFT work happens once per P samples, in the run() call
that completes a block.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..models import EffectModel
from .cgen import c_array, c_defines, c_source
from .family import CModel, register_emitter


def partition(length: int) -> int:
    """P: the power of two nearest 2·√L, in [64, 4096]."""
    return int(min(4096, max(64, 2 ** round(math.log2(2.0 * math.sqrt(max(length, 1)))))))


def fir_model(h: np.ndarray, method: str) -> CModel:
    """The partitioned-convolution C model of FIR h (float32 taps)."""
    h = np.asarray(h, dtype=np.float32)
    p = partition(len(h))
    n_parts = -(-(len(h) - p) // p) if len(h) > p else 0
    code = c_defines(FIR_L=len(h), FIR_P=p, FIR_NP=n_parts) + c_array("FIR_H", h) + c_source("fir.c")
    return CModel(code, 0, f"{method}: {len(h)}-tap FIR, {p} taps direct + {n_parts} FFT partitions of {p}")


@register_emitter("ir")
def emit_ir(model: EffectModel) -> CModel:
    """h = tap_scale·taps, as the forward pass computes it (float32)."""
    with torch.no_grad():
        return fir_model(model.h.float().numpy(), "impulse response")


@register_emitter("feedback_delay")
def emit_delay(model: EffectModel) -> CModel:
    """The wet response the forward pass renders (N taps, K echoes), with dry added to tap 0."""
    with torch.no_grad():
        h = model.wet_ir().float().numpy().copy()
        h[0] += np.float32(model.dry.detach().float())
    return fir_model(h, "feedback delay as its rendered echo response")
