"""The child's command line (see the package docstring): one JSON answer on stdout, errors as FXCORE_ERROR."""

from __future__ import annotations

import json
import os
import sys

from . import HostError
from .ladspa import ladspa_describe
from .lilv import World
from .lv2_chain import render


def main(argv: list[str]) -> int:
    """Answer one command (lv2-describe, lv2-render, ladspa-describe); exit status 2 on a HostError."""
    # Plugins print chatter on stdout; keep the real stdout for our one JSON line.
    result_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = os.fdopen(1, "w", closefd=False)
    out = os.fdopen(result_fd, "w")
    try:
        if len(argv) >= 2 and argv[0] == "lv2-describe":
            world = World()
            plugins, missing = {}, []
            for uri in argv[1:]:
                d = world.describe(uri)
                if d is None:
                    missing.append(uri)
                else:
                    d.pop("ports")
                    plugins[uri] = d
            print(json.dumps({"plugins": plugins, "missing": missing}), file=out)
        elif len(argv) >= 3 and argv[0] == "ladspa-describe" and len(argv) % 2 == 1:
            plugins, missing = {}, []
            for so, label in zip(argv[1::2], argv[2::2]):
                d = ladspa_describe(so, label)
                if d.get("missing_label"):
                    missing.append({"file": so, "label": label, "labels": d["labels"]})
                else:
                    plugins[f"{so}:{label}"] = d
            print(json.dumps({"plugins": plugins, "missing": missing}), file=out)
        elif len(argv) == 2 and argv[0] == "lv2-render":
            with open(argv[1]) as fh:
                print(json.dumps(render(json.load(fh))), file=out)
        else:
            raise HostError("usage: python -m fxcore.plugin_child lv2-describe URI... | lv2-render JOB.json | "
                            "ladspa-describe FILE.so LABEL...")
    except HostError as exc:
        print(f"FXCORE_ERROR: {exc}", file=sys.stderr)
        return 2
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
