"""C emitter for `lstm` and `gru`: the recurrence sample by sample, gate weights column-major."""

from __future__ import annotations

import torch

from ..models import EffectModel
from .cgen import c_array, c_defines, c_source
from .family import CModel, register_emitter


@register_emitter("lstm", "gru")
def emit(model: EffectModel) -> CModel:
    """PyTorch's weight_ih_l{k} (G × in) and weight_hh_l{k} (G × H), transposed to in × G."""
    rnn = model.rnn
    lstm = isinstance(rnn, torch.nn.LSTM)
    n_l, h = rnn.num_layers, rnn.hidden_size
    with torch.no_grad():
        w = {k: [getattr(rnn, f"{k}_l{i}") for i in range(n_l)] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
        code = c_defines(RN_H=h, RN_NL=n_l, RN_G=(4 if lstm else 3) * h, RN_LSTM=int(lstm), RN_SKIP=int(model.skip))
        code += c_array("RN_IH", torch.cat([t.t().reshape(-1) for t in w["weight_ih"]]))
        code += c_array("RN_HH", torch.cat([t.t().reshape(-1) for t in w["weight_hh"]]))
        code += c_array("RN_BIH", torch.cat(w["bias_ih"])) + c_array("RN_BHH", torch.cat(w["bias_hh"]))
        code += c_array("RN_W", model.head.weight) + c_array("RN_B", model.head.bias)
    return CModel(code + c_source("rnn.c"), 0, f"{'LSTM' if lstm else 'GRU'} recurrence per sample")
