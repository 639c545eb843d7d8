"""C emitter for `wiener_hammerstein` (± dynamics): direct-form FIRs and the MLPs, 64 samples at a time.

Per sample: 3 per input or output high-pass section (a recursion: the model applies its impulse response), C·taps_in + C·taps_out + linear_taps multiply-adds for the filters and
C·H + H² + H·C for the MLP (+ the gain computer's K·H + H² + H with dynamics). Every inner loop
runs over the samples of a chunk, so it vectorises; the model's own FFT convolution would not pay
off at these filter lengths and would need a block of latency.
"""

from __future__ import annotations

import numpy as np
import torch

from ..models.wiener_hammerstein import WienerHammerstein, highpass_coefficients
from .cgen import c_array, c_defines, c_source
from .family import CModel, register_emitter


def _mlp_arrays(prefix: str, bias_prefix: str, mlp: torch.nn.Sequential) -> str:
    """The three Linear layers of an MLP as PREFIX1..3 weights (out × in) and BIAS_PREFIX1..3 biases."""
    layers = [m for m in mlp if isinstance(m, torch.nn.Linear)]
    return "".join(c_array(f"{prefix}{i + 1}", lin.weight) + c_array(f"{bias_prefix}{i + 1}", lin.bias)
                   for i, lin in enumerate(layers))


@register_emitter("wiener_hammerstein")
def emit(model: WienerHammerstein) -> CModel:
    """Weights exactly as the forward pass scales them (a·tap_scale, b·tap_scale, lin·lin_scale), float32."""
    with torch.no_grad():
        a = (model.a * model.tap_scale).flip(-1)  # conv1d correlates: reversed, the C code convolves
        b = model.b * model.tap_scale
        lin = model.lin * model.lin_scale
    k = int(model.attack.shape[0]) if model.dynamics else 0
    cascades = {"WH_HP": model.hp_log_hz, "WH_HPO": model.hp_out_log_hz}
    code = c_defines(WH_C=a.shape[0], WH_H=model.mlp[0].out_features, WH_TI=a.shape[1], WH_TO=b.shape[1],
                     WH_LT=lin.shape[0], WH_K=k, **{n: 0 if c is None else c.shape[0] for n, c in cascades.items()})
    for name, log_hz in cascades.items():  # the sections whose impulse response the model applies, in double
        if log_hz is not None:
            g, p = highpass_coefficients(log_hz.detach().double(), model.sample_rate)
            code += c_array(name + "G", g, dtype=np.float64) + c_array(name + "P", p, dtype=np.float64)
    code += c_array("WH_A", a) + c_array("WH_B", b) + c_array("WH_LIN", lin)
    code += _mlp_arrays("WH_W", "WH_B", model.mlp)
    if k:
        code += c_array("WH_ATT", model.attack.double(), dtype=np.float64) + c_array("WH_REL", model.release.double(), dtype=np.float64)
        code += _mlp_arrays("WH_G", "WH_GB", model.gain)
    code += c_source("wiener_hammerstein.c")
    return CModel(code, 0, "direct-form FIRs and MLP" + (" with peak-envelope gain computer" if k else ""))
