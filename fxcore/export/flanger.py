"""C emitter for `flanger`: each voice's delay line and loop per sample in double, as the model's numba recursion."""

from __future__ import annotations

import torch

from ..models.flanger import Flanger
from .cgen import c_defines, c_float, c_source
from .family import CModel, register_emitter


@register_emitter("flanger")
def emit(model: Flanger) -> CModel:
    """The LFO and loop (float64 buffers: rate, phase, centre, depth, feedback, shape; spread) as doubles; dry, wet float32."""
    rate, phase, centre, depth, fb, shape = (float(v) for v in model.lfo.tolist())
    voices = int(model.voices)
    with torch.no_grad():
        code = c_defines(FL_V=voices, FL_LINE=model.line, FL_INTEGER=bool(model.integer),
                         FL_SR=float(model.sample_rate), FL_RATE=rate, FL_PHASE=phase, FL_SPREAD=float(model.spread),
                         FL_CENTRE=centre, FL_DEPTH=depth, FL_FB=fb, FL_SHAPE=shape)
        code += f"#define FL_DRY {c_float(float(model.dry))}\n#define FL_WET {c_float(float(model.wet))}\n"
    taps = "rounded" if bool(model.integer) else "linear"
    return CModel(code + c_source("lfo.h") + c_source("flanger.c"), 0,
                  f"{voices} × modulated delay line ({taps} taps) in its own feedback loop, per sample in double")
