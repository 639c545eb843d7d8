"""An LV2 bundle on disk: manifest.ttl, the plugin .ttl, the C source and the compiled .so.

The bundle is built in a temp folder beside the target and renamed into place (`atomic_dir`), so a
host scanning ~/.lv2 never sees half a bundle. An existing target folder is replaced only if it is
one of ours (it holds the marker file `fxcore-bundle.json`): never someone else's folder.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

from ..atomic import atomic_dir
from ..errors import FxcoreError

MARKER = "fxcore-bundle.json"
CFLAGS = ["-O2", "-ftree-vectorize", "-fno-trapping-math", "-fPIC", "-shared", "-fvisibility=hidden", "-std=c99", "-Wall"]

_PREFIXES = """@prefix doap: <http://usefulinc.com/ns/doap#> .
@prefix lv2: <http://lv2plug.in/ns/lv2core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix units: <http://lv2plug.in/ns/extensions/units#> .
"""


def manifest_ttl(uri: str, slug: str) -> str:
    """manifest.ttl: the plugin's URI, its binary and its description file."""
    return (f"{_PREFIXES}\n<{uri}>\n    a lv2:Plugin ;\n    lv2:binary <{slug}.so> ;\n"
            f"    rdfs:seeAlso <{slug}.ttl> .\n")


def plugin_ttl(uri: str, name: str, comment: str, latency: int) -> str:
    """The plugin description: mono audio in/out, output gain (dB), and a latency output if latency > 0."""
    ports = [
        '[ a lv2:AudioPort , lv2:InputPort ; lv2:index 0 ; lv2:symbol "in" ; lv2:name "In" ]',
        '[ a lv2:AudioPort , lv2:OutputPort ; lv2:index 1 ; lv2:symbol "out" ; lv2:name "Out" ]',
        '[ a lv2:ControlPort , lv2:InputPort ; lv2:index 2 ; lv2:symbol "gain" ; lv2:name "Output gain" ;\n'
        '      lv2:default 0.0 ; lv2:minimum -24.0 ; lv2:maximum 24.0 ; units:unit units:db ]',
    ]
    if latency > 0:
        ports.append('[ a lv2:ControlPort , lv2:OutputPort ; lv2:index 3 ; lv2:symbol "latency" ; '
                     'lv2:name "Latency" ;\n      lv2:designation lv2:latency ; lv2:portProperty lv2:reportsLatency , '
                     'lv2:integer ; lv2:minimum 0 ; lv2:maximum 1000000 ; units:unit units:frame ]')
    return (f"{_PREFIXES}\n<{uri}>\n    a lv2:Plugin ;\n    doap:name {json.dumps(name)} ;\n"
            f"    rdfs:comment {json.dumps(comment)} ;\n    doap:license <https://spdx.org/licenses/MIT> ;\n"
            "    lv2:optionalFeature lv2:hardRTCapable ;\n    lv2:port " + " , ".join(ports) + " .\n")


def compiler() -> list[str]:
    """The system C compiler ($CC or cc), or a one-line error saying how to get one."""
    cmd = shlex.split(os.environ.get("CC", "cc"))
    if not cmd or shutil.which(cmd[0]) is None:
        raise FxcoreError(f"no C compiler found ({' '.join(cmd) or '$CC'})", None,
                          "install one (Debian: sudo apt-get install gcc lv2-dev) or set CC")
    return cmd


def compile_plugin(source: Path, binary: Path) -> None:
    """cc -O2 -shared -fPIC source -o binary -lm, with a one-line error on failure."""
    cmd = [*compiler(), *CFLAGS, "-o", str(binary), str(source), "-lm"]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        err = res.stderr.strip().splitlines()
        first = next((ln for ln in err if "error" in ln), err[0] if err else f"exit status {res.returncode}")
        fix = ("install the LV2 headers (Debian: sudo apt-get install lv2-dev)" if "lv2.h" in first
               else "report this as an fxcore bug, with the model file")
        raise FxcoreError(f"compiling the plugin failed: {' '.join(first.split())[:200]}", source, fix)


def check_target(out: Path) -> None:
    """Refuse to replace anything but one of our own bundles."""
    if out.exists() and not (out.is_dir() and (out / MARKER).is_file()):
        raise FxcoreError("exists and is not an fxcore LV2 bundle (no fxcore-bundle.json): not overwriting it",
                          out, "pass a new folder name ending in .lv2, or remove that folder yourself")


def write_bundle(out: str | Path, slug: str, uri: str, name: str, comment: str, source: str, latency: int,
                 facts: dict[str, Any]) -> Path:
    """Write and compile the bundle into `out` atomically; returns `out`."""
    out = Path(out)
    check_target(out)
    compiler()
    with atomic_dir(out) as tmp:
        (tmp / f"{slug}.c").write_text(source)
        compile_plugin(tmp / f"{slug}.c", tmp / f"{slug}.so")
        (tmp / "manifest.ttl").write_text(manifest_ttl(uri, slug))
        (tmp / f"{slug}.ttl").write_text(plugin_ttl(uri, name, comment, latency))
        (tmp / MARKER).write_text(json.dumps({"format": "fxcore-lv2-bundle", "uri": uri, "binary": f"{slug}.so",
                                              "latency_samples": latency, **facts}, indent=2, sort_keys=True))
    return out
