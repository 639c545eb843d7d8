"""C emitter for `octave`: the model's streaming phase vocoder (c/octave.c), in float64 like the model.

The model is local (per-frame resampling into L-point grains), so the plugin computes exactly what
`render` computes, delayed by the model's look-ahead (L + n_fft)/2 − 1, which it reports as latency.
"""

from __future__ import annotations

import numpy as np
import torch

from ..models.octave import OctaveShift
from .cgen import c_array, c_defines, c_source
from .family import CModel, register_emitter


def bluestein_size(length: int) -> int:
    """0 if `length` is a power of two (radix 2 directly), else the power of two P ≥ 2·length − 1."""
    if length & (length - 1) == 0:
        return 0
    p = 1
    while p < 2 * length - 1:
        p <<= 1
    return p


@register_emitter("octave")
def emit(model: OctaveShift) -> CModel:
    """Windows, per-bin gains (the float32 gain curve, exactly) and the hops as the model uses them."""
    w_a, w_s = model.windows()
    with torch.no_grad():
        gain = model.gain_curve().double().numpy()
    big_l = model.grain
    code = c_defines(OC_N=model.n_fft, OC_HA=model.hop, OC_L=big_l, OC_M0=model.first_frame,
                     OC_LOCK=model.phase_lock, OC_HS=float(model.synthesis_hop), OC_P=bluestein_size(big_l))
    code += c_array("OC_WA", w_a, np.float64) + c_array("OC_WS", w_s, np.float64) + c_array("OC_GAIN", gain, np.float64)
    fft = "radix-2" if bluestein_size(big_l) == 0 else f"Bluestein via radix-2 {bluestein_size(big_l)}"
    method = (f"streaming phase vocoder, ratio {model.ratio:.6g}, {model.n_fft}-point frames at hop {model.hop} "
              f"→ {big_l}-point grains ({fft}), float64")
    return CModel(code + c_source("octave.c"), model.lookahead, method)
