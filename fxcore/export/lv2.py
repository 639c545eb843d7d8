"""`export_lv2`: a trained model file → a compiled LV2 bundle whose run() computes the model's render().

The plugin is one portable C file (fxcore/export/c/prelude.h, the family's constants and streaming
code, c/plugin.c): weights as constant float arrays, the streaming state in the instance struct,
all memory allocated in instantiate(), nothing allocated or locked in run(). Output = the model's
output × the output-gain control (0 dB: bit-for-bit the model's arithmetic, in float32).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from ..model_io import load_model, read_header
from .bundle import write_bundle
from .cgen import c_defines, c_source
from .family import emitter


def plugin_uri(slug: str, digest: str) -> str:
    """A URI unique to this model file: two models exported under one name do not clash in a host."""
    return f"urn:fxcore:plugin:{slug}:{digest[:16]}"


def export_lv2(model_path: str | Path, out: str | Path) -> dict[str, Any]:
    """Write OUT (a folder, conventionally *.lv2) holding the plugin for MODEL; returns its facts."""
    model_path, out = Path(model_path), Path(out)
    header = read_header(model_path)
    emit = emitter(header["name"])  # an unsupported family fails before any work
    model = load_model(model_path)
    digest = hashlib.sha256(model_path.read_bytes()).hexdigest()
    effect = (header.get("facts") or {}).get("effect")
    # The effect's name when the workflow trained it (results/<effect>/plugin.lv2), else the folder's.
    slug = re.sub(r"[^A-Za-z0-9_]+", "_", str(effect or out.name.removesuffix(".lv2"))).strip("_") or "fxcore_model"
    uri = plugin_uri(slug, digest)
    cm = emit(model)
    name = f"fxcore {slug} ({header['name']})"
    comment = (f"fxcore model {header['name']} {header['params']} at {header['sample_rate']} Hz, "
               f"exported as C ({cm.method}); model sha256 {digest[:16]}")
    source = (c_source("prelude.h") + "\n"
              + c_defines(FX_URI=f'"{uri}"', FX_RATE=float(header["sample_rate"]), FX_LATENCY=cm.latency)
              + cm.code + "\n" + c_source("plugin.c"))
    facts = {"model": header["name"], "params": header["params"], "sample_rate": header["sample_rate"],
             "model_sha256": digest, "method": cm.method, "name": name}
    write_bundle(out, slug, uri, name, comment, source, cm.latency, facts)
    return {"bundle": str(out), "uri": uri, **facts, "latency_samples": cm.latency}
