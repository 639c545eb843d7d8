"""C emitter for `chorus`: the modulated delay line sample by sample, its LFO on absolute time.

The LFO phase uses the samples since activate() as the model uses samples since the track's start,
so a DAW that re-activates the plugin at transport start restarts the LFO where the model does.
"""

from __future__ import annotations

import numpy as np
import torch

from ..models.chorus import Chorus
from .cgen import c_array, c_defines, c_float, c_source
from .family import CModel, register_emitter


@register_emitter("chorus")
def emit(model: Chorus) -> CModel:
    """Parameters in the precisions the forward pass uses (rates in double, the rest float32), one per voice."""
    with torch.no_grad():
        code = c_defines(CH_HIST=model.hist, CH_LINE=model.line, CH_WRAP=int(model.wrap),
                         CH_SR=float(model.sample_rate), CH_TAPS=model.taps,
                         CH_VOICES=model.voices, CH_INTEGER=int(bool(model.integer)))
        code += "".join(f"#define {k} {c_float(float(v))}\n" for k, v in
                        {"CH_FB": model.feedback, "CH_SR_MS": torch.tensor(1e-3 * model.sample_rate)}.items())
        code += c_array("CH_RATE", model.rate, np.float64)
        for name, values in (("CH_PHASE", model.phase), ("CH_CENTRE", model.centre_ms), ("CH_DEPTH", model.depth_ms),
                             ("CH_SHAPE", model.shape), ("CH_GAIN", torch.cat([torch.ones(1), model.voice_gain])),
                             ("CH_A", torch.cat([model.dry[None], model.dry_fir])),
                             ("CH_B", torch.cat([model.wet[None], model.wet_fir]))):
            code += c_array(name, values)
    taps = "integer" if bool(model.integer) else "linear"
    taps += f" (a rounded delay of 0 reads {int(model.wrap)} back)" if int(model.wrap) else ""
    voices = f"{model.voices} voices, " if model.voices > 1 else ""
    mix = f", {model.taps}-tap dry and wet FIRs" if model.taps > 1 else ""
    return CModel(code + c_source("lfo.h") + c_source("chorus.c"), 0, f"modulated delay line, {voices}{taps} taps{mix}")
