"""C emitter for `phaser`: the all-pass cascade per sample in double, as the model's numba recursion computes it."""

from __future__ import annotations

import torch

from ..models.phaser import Phaser
from .cgen import c_defines, c_float, c_source
from .family import CModel, register_emitter


@register_emitter("phaser")
def emit(model: Phaser) -> CModel:
    """The LFO and sweep (float64 buffer: rate, phase, f0, depth, feedback) as doubles; dry and wet as float32."""
    rate, phase, f0, depth, fb = (float(v) for v in model.lfo.tolist())
    k = int(model.stages)
    with torch.no_grad():
        code = c_defines(PH_K=k, PH_SR=float(model.sample_rate), PH_RATE=rate, PH_PHASE=phase, PH_F0=f0,
                         PH_DEPTH=depth, PH_FB=fb)
        code += f"#define PH_DRY {c_float(float(model.dry))}\n#define PH_WET {c_float(float(model.wet))}\n"
    return CModel(code + c_source("phaser.c"), 0, f"{k}-stage swept all-pass cascade with feedback, per sample in double")
