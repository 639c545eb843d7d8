"""C emitter for `wavenet`: gated dilated convolutions, one small GEMM per layer per 64-sample chunk."""

from __future__ import annotations

import numpy as np
import torch

from ..models.wavenet import WaveNet
from .cgen import c_array, c_defines, c_source
from .family import CModel, register_emitter


@register_emitter("wavenet")
def emit(model: WaveNet) -> CModel:
    """Weights as stored (nn.Linear: out × in; conv inputs ordered tap-major, oldest tap first)."""
    layers = list(model.layers)
    c = model.inp.out_features
    lin = model.linear
    with torch.no_grad():
        code = c_defines(WN_C=c, WN_K=layers[0].k, WN_NL=len(layers), WN_HC=model.head[1].out_features,
                         WN_LT=0 if lin is None else lin.kernel_size[0])
        code += "static const int WN_DIL[%d] = {%s};\n" % (len(layers), ",".join(str(m.d) for m in layers))
        code += c_array("WN_INW", model.inp.weight[:, 0]) + c_array("WN_INB", model.inp.bias)
        code += c_array("WN_CW", torch.cat([m.conv.weight.reshape(-1) for m in layers]))
        code += c_array("WN_CB", torch.cat([m.conv.bias for m in layers]))
        code += c_array("WN_OW", torch.cat([m.out.weight.reshape(-1) for m in layers]))
        code += c_array("WN_OB", torch.cat([m.out.bias for m in layers]))
        code += c_array("WN_H1W", model.head[1].weight) + c_array("WN_H1B", model.head[1].bias)
        code += c_array("WN_H2W", model.head[3].weight) + c_array("WN_H2B", model.head[3].bias)
        code += c_array("WN_LW", np.zeros(1) if lin is None else lin.weight.reshape(-1))
    return CModel(code + c_source("wavenet.c"), 0, "gated dilated convolutions, per-layer GEMM per chunk")
