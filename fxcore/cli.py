"""Command line: `fxcore apply MODEL IN.wav OUT.wav`, `fxcore check-config`, `fxcore info MODEL`,
`fxcore export-lv2 MODEL OUT.lv2`, `fxcore export-nam MODEL OUT.nam`."""

from __future__ import annotations

import argparse
import json
import sys

from .errors import FxcoreError


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `fxcore` command."""
    ap = argparse.ArgumentParser(prog="fxcore", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("apply", help="process an audio file with a trained model")
    a.add_argument("model", help="model file written by the workflow (results/<effect>/model/model.safetensors)")
    a.add_argument("input", help="input audio file (at the model's sample rate)")
    a.add_argument("output", help="output audio: .wav/.aiff (32-bit float), .flac (24-bit), .ogg (Vorbis)")
    a.add_argument("--device", default="cpu", choices=("cpu", "cuda", "auto"),
                   help="cpu (default), cuda, or auto: the GPU when one is visible")
    c = sub.add_parser("check-config", help="validate a workflow config file")
    c.add_argument("config", nargs="?", default="config.yaml")
    i = sub.add_parser("info", help="print a model file's header (name, params, sample rate, facts) without loading it")
    i.add_argument("model")
    e = sub.add_parser("export-lv2", help="export a trained model as a compiled LV2 plugin bundle (needs cc, lv2-dev)")
    e.add_argument("model")
    e.add_argument("bundle", help="output folder, e.g. results/<effect>/plugin.lv2 (copy it to ~/.lv2)")
    n = sub.add_parser("export-nam", help="write a Neural Amp Modeler .nam file (lstm with skip: false only)")
    n.add_argument("model")
    n.add_argument("output", help="output file, e.g. results/<effect>/model.nam")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "apply":
            from .apply import apply_to_file

            apply_to_file(args.model, args.input, args.output, device=args.device)
        elif args.cmd == "check-config":
            from .validate import load_config

            cfg = load_config(args.config)
            print(f"{args.config}: ok ({len(cfg.effects)} effects: {', '.join(cfg.effects)})")
        elif args.cmd == "info":
            from .model_io import read_header

            print(json.dumps(read_header(args.model), indent=2))
        elif args.cmd == "export-lv2":
            from .export import export_lv2

            info = export_lv2(args.model, args.bundle)
            print(f"{info['bundle']}: {info['uri']} ({info['name']}; latency {info['latency_samples']} samples)")
        elif args.cmd == "export-nam":
            from .export.nam import export_nam

            info = export_nam(args.model, args.output)
            print(f"{info['file']}: NAM {info['architecture']} {info['config']} ({info['weights']} weights, "
                  f"{info['sample_rate']} Hz)")
    except FxcoreError as exc:
        print(f"fxcore: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
