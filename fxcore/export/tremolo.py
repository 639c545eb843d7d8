"""C emitter for `tremolo`: y = x·(centre + amp·lfo(θ)), the LFO on samples since activate() (c/lfo.h, shared with chorus)."""

from __future__ import annotations

import torch

from ..models.tremolo import Tremolo
from .cgen import c_defines, c_float, c_source
from .family import CModel, register_emitter


@register_emitter("tremolo")
def emit(model: Tremolo) -> CModel:
    """Parameters in the precisions the forward pass uses (rate in double, the rest float32)."""
    with torch.no_grad():
        vals = {"TR_PHASE": model.phase, "TR_CENTRE": model.centre, "TR_AMP": model.amp, "TR_SHAPE": model.shape}
        code = c_defines(TR_SR=float(model.sample_rate), TR_RATE=float(model.rate))
        code += "".join(f"#define {k} {c_float(float(v))}\n" for k, v in vals.items())
    return CModel(code + c_source("lfo.h") + c_source("tremolo.c"), 0, "LFO-modulated gain")
