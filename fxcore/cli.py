"""Command line: `fxcore apply MODEL IN.wav OUT.wav`, `fxcore check-config`, `fxcore info MODEL`."""

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
    a.add_argument("model", help="model.pt written by the workflow (results/<effect>/model/model.pt)")
    a.add_argument("input", help="input audio file (at the model's sample rate)")
    a.add_argument("output", help="output audio: .wav/.aiff (32-bit float), .flac (24-bit), .ogg (Vorbis)")
    c = sub.add_parser("check-config", help="validate a workflow config file")
    c.add_argument("config", nargs="?", default="config.yaml")
    i = sub.add_parser("info", help="print a trained model's facts")
    i.add_argument("model")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "apply":
            from .render import apply_to_file

            apply_to_file(args.model, args.input, args.output)
        elif args.cmd == "check-config":
            from .config import load_config

            cfg = load_config(args.config)
            print(f"{args.config}: ok ({len(cfg.effects)} effects: {', '.join(cfg.effects)})")
        elif args.cmd == "info":
            from .train import load_model

            model = load_model(args.model)
            import torch

            facts = torch.load(args.model, map_location="cpu", weights_only=False).get("facts", {})
            print(json.dumps({"name": model.name, "parameters": model.num_parameters(),
                              "sample_rate": model.sample_rate, **facts}, indent=2, default=str))
    except FxcoreError as exc:
        print(f"fxcore: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
