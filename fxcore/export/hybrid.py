"""C emitter for `hybrid`: the block's own emitter's C (renamed Block*), then the correction net (c/hybrid.c)."""

from __future__ import annotations

import numpy as np
import torch

from ..models.hybrid import Hybrid
from .cgen import c_array, c_defines, c_source
from .family import CModel, emitter, register_emitter

_ENTRY_POINTS = ("init", "free", "reset", "process")


def renamed(code: str, prefix: str = "block") -> str:
    """A family's C with its Model and model_* defined as <Prefix>Model and <prefix>_* (by the
    preprocessor), so a composite's Model can hold it: the hybrid's block, a series' stages."""
    names = {"Model": f"{prefix.capitalize()}Model", **{f"model_{e}": f"{prefix}_{e}" for e in _ENTRY_POINTS}}
    on = "".join(f"#define {a} {b}\n" for a, b in names.items())
    off = "".join(f"#undef {a}\n" for a in names)
    return on + code + "\n" + off


@register_emitter("hybrid")
def emit(model: Hybrid) -> CModel:
    """Conv weights (out, in, K) → rows tap-major (out, K·in), oldest tap first, as c/hybrid.c reads them."""
    block = emitter(model.block.name)(model.block)
    net = model.net
    c, k, nl = net.inp.out_channels, net.kernel, len(net.dilations)
    with torch.no_grad():
        code = c_defines(HY_C=c, HY_K=k, HY_NL=nl)
        code += "static const int HY_DIL[%d] = {%s};\n" % (max(nl, 1), ",".join(map(str, net.dilations)) or "0")
        code += c_array("HY_INW", net.inp.weight[:, :, 0]) + c_array("HY_INB", net.inp.bias)
        cw = [conv.weight.permute(0, 2, 1).reshape(-1) for conv in net.dil]
        code += c_array("HY_CW", torch.cat(cw) if cw else np.zeros(1))
        code += c_array("HY_CB", torch.cat([conv.bias for conv in net.dil]) if nl else np.zeros(1))
        code += c_array("HY_MW", torch.cat([mix.weight.reshape(-1) for mix in net.mix]) if nl else np.zeros(1))
        code += c_array("HY_MB", torch.cat([mix.bias for mix in net.mix]) if nl else np.zeros(1))
        code += c_array("HY_OW", net.out.weight.reshape(-1)) + c_array("HY_OB", net.out.bias)
    return CModel(renamed(block.code) + code + c_source("hybrid.c"), block.latency,
                  f"{block.method}; then a dilated causal conv correction ({c} channels, {nl} layers)")
