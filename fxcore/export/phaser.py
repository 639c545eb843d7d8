"""C emitter for `phaser`: the all-pass cascade per sample in double, as the model's numba recursion computes it."""

from __future__ import annotations

import torch

from ..models.phaser import Phaser
from .cgen import c_defines, c_float, c_source
from .family import CModel, register_emitter


@register_emitter("phaser")
def emit(model: Phaser) -> CModel:
    """The LFO and sweep (float64 buffers: rate, phase, f0, depth, feedback, shape; spread) as doubles; dry, wet float32."""
    rate, phase, f0, depth, fb, shape = (float(v) for v in model.lfo.tolist())
    k, voices = int(model.stages), int(model.voices)
    with torch.no_grad():
        code = c_defines(PH_K=k, PH_V=voices, PH_SR=float(model.sample_rate), PH_RATE=rate, PH_PHASE=phase,
                         PH_SPREAD=float(model.spread), PH_F0=f0, PH_DEPTH=depth, PH_FB=fb, PH_SHAPE=shape)
        code += f"#define PH_DRY {c_float(float(model.dry))}\n#define PH_WET {c_float(float(model.wet))}\n"
    return CModel(code + c_source("lfo.h") + c_source("phaser.c"), 0,
                  f"{voices} × {k}-stage swept all-pass cascade with feedback, per sample in double")
