"""C emitter for `compressor`: the level follower in double (as the model's numba loop), the gain curve in float."""

from __future__ import annotations

import numpy as np

from ..models.compressor import TINY, Compressor
from .cgen import c_array, c_defines, c_source
from .family import CModel, register_emitter


@register_emitter("compressor")
def emit(model: Compressor) -> CModel:
    """Detector power, attack/release coefficients and knot grid as doubles; the knot gains as float32."""
    alpha_a, alpha_r = model._alphas()
    code = c_defines(CO_P=int(model.detector), CO_K=model.knots, CO_AA=float(alpha_a), CO_AR=float(alpha_r),
                     CO_FLOOR=model.floor_db, CO_STEP=model.knot_db, CO_TINY=TINY)
    code += c_array("CO_CURVE", model.curve, np.float32)
    kind = {1: "peak level follower", 2: "RMS level follower", 3: "gain smoothed in dB"}[int(model.detector)]
    return CModel(code + c_source("compressor.c"), 0, f"{kind} and a {model.knots}-knot gain curve")
