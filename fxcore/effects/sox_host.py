"""SoX built-in effects and LADSPA plugins (through SoX's `ladspa` effect).

    backend: sox
    chain:
      - gain: [-6]
      - overdrive: [20, 20]                               # SoX effect: [arguments]
      - ladspa: {plugin: caps.so, label: AmpVTS, controls: {gain: 0.6, bass: 0.4}}   # named controls
      - ladspa: [caps.so, CabinetIV, 12, 0]               # or SoX's own positional arguments
      - reverb: [50]
    options: {executable: sox, ladspa_path: [/usr/lib/ladspa], downmix: mean, timeout_s: 600}

Each render writes the input to a temporary 32-bit float WAV, runs `sox -V2 -R in.wav -e
floating-point -b 32 -r SR out.wav <effects>` as an argument list (never through a shell) and reads
the result back: multichannel output is down-mixed (mean or left), the length is trimmed/padded to
the input's (reverb/echo tails and `pad` lengthen SoX's output). SoX processes with 32-bit integer
samples between effects, so anything above 0 dBFS *between* effects clips: put `gain` in front of
hot stages. Clipping that SoX reports is logged (`last_clipped` holds the count).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from .base import EffectBackend, fit_length, register_backend
from ..plugin_child.ladspa import ladspa_search_path
from .child import run_child, run_tool

log = logging.getLogger("fxcore.sox")
_OPTION_KEYS = {"executable", "ladspa_path", "downmix", "timeout_s"}
_EFFECTS: dict[str, set[str]] = {}
_LADSPA: dict[tuple, dict] = {}


def slug(name: str) -> str:
    """A LADSPA port name as a config key: 'gain (dB)' → 'gain_db'."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _scalar(v: Any) -> bool:
    return isinstance(v, (str, int, float)) and not isinstance(v, bool)


@register_backend("sox")
class SoxBackend(EffectBackend):
    """A chain of SoX effects, rendered by the `sox` program."""

    def __init__(self, chain: list[dict[str, Any]], options: dict[str, Any], effect: str):
        super().__init__(chain, options, effect)
        self.downmix = self._check_plugin_options(_OPTION_KEYS, "add at least one step like `- overdrive: [20, 20]`")
        self.executable = str(options.get("executable", "sox"))
        self.timeout_s = float(options.get("timeout_s", 600))
        lp = options.get("ladspa_path")
        lp = [lp] if isinstance(lp, str) else lp
        self.ladspa_path = [str(Path(p).expanduser()) for p in lp] if lp else ladspa_search_path()
        self.steps: list[tuple[str, Any]] = []
        for i, step in enumerate(chain):
            if not isinstance(step, dict) or len(step) != 1:
                raise self._fail(f"chain step {i} must be a one-key mapping like {{overdrive: [20, 20]}}",
                                 "write each step as `- effect: [arguments]`")
            (name, args), = step.items()
            if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
                raise self._fail(f"chain step {i}: {name!r} is not a SoX effect name", "see `sox --help` for the list")
            if name == "ladspa" and isinstance(args, dict):
                self._check_ladspa_mapping(i, args)
            elif args is None:
                args = []
            elif _scalar(args):
                args = [args]
            elif not (isinstance(args, list) and all(_scalar(a) for a in args)):
                raise self._fail(f"chain step {i} ({name}): arguments must be a list of numbers/strings",
                                 f"write e.g. `- {name}: [20, 20]`")
            self.steps.append((name, args))
        self._args: list[str] | None = None
        self.last_clipped = 0

    def _check_ladspa_mapping(self, i: int, args: dict) -> None:
        if set(args) - {"plugin", "label", "controls"} or not isinstance(args.get("plugin"), str) \
                or not isinstance(args.get("label"), str):
            raise self._fail(f"chain step {i} (ladspa): use {{plugin: FILE.so, label: LABEL, controls: {{name: value}}}}",
                             "or give SoX's own arguments as a list: [FILE.so, LABEL, value, ...]")
        controls = args.get("controls") or {}
        if not isinstance(controls, dict) or not all(isinstance(k, str) and _scalar(v) and not isinstance(v, str)
                                                     for k, v in controls.items()):
            raise self._fail(f"chain step {i} (ladspa {args['plugin']}): controls must map port names to numbers",
                             "write e.g. `controls: {gain: 0.5}`")

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "LADSPA_PATH": ":".join(self.ladspa_path)}

    def _exe(self) -> str:
        exe = shutil.which(self.executable)
        if exe is None:
            raise self._fail(f"SoX program {self.executable!r} not found",
                             "install it: apt-get install sox (or run .ci/install_hosts.sh), or set options.executable")
        return exe

    def _known_effects(self, exe: str) -> set[str]:
        if exe not in _EFFECTS:
            out = run_tool([exe, "-h"], "sox -h", self._fail, timeout=30).stdout
            line = next((ln for ln in out.splitlines() if ln.startswith("EFFECTS:")), "")
            _EFFECTS[exe] = {w.rstrip("*+#") for w in line.split()[1:]}
        return _EFFECTS[exe]

    def _ladspa_args(self, i: int, spec: dict) -> list[str]:
        label = spec["label"]
        key = (spec["plugin"], label, tuple(self.ladspa_path))
        if key not in _LADSPA:
            _LADSPA[key] = run_child(["ladspa-describe", spec["plugin"], label], f"LADSPA lookup of {spec['plugin']}",
                                     self._fail, timeout=60, env=self.env,
                                     fix="install the plugin package (caps, tap-plugins, swh-plugins) or set options.ladspa_path")
        info = _LADSPA[key]
        if info["missing"]:
            labels = info["missing"][0]["labels"]
            raise self._fail(f"chain step {i} (ladspa): {spec['plugin']} has no plugin labelled {label!r}",
                             f"set label to one of {', '.join(labels)}")
        d = next(iter(info["plugins"].values()))
        ports = d["controls"]
        values = [p[3] for p in ports]
        for name, val in (spec.get("controls") or {}).items():
            k = next((j for j, p in enumerate(ports) if name in (p[0], slug(p[0]))), None)
            if k is None:
                raise self._fail(f"chain step {i} ({d['name']}): unknown control {name!r}",
                                 f"use one of {', '.join(slug(p[0]) for p in ports)}")
            lo, hi = ports[k][1], ports[k][2]
            if (lo is not None and val < lo - 1e-6) or (hi is not None and val > hi + 1e-6):
                raise self._fail(f"chain step {i} ({d['name']}): control {name}={val:g} is outside [{lo:g}, {hi:g}]",
                                 f"set {name} within [{lo:g}, {hi:g}]")
            values[k] = float(val)
        return [d["path"], label, *(f"{v:.9g}" for v in values)]

    def effect_args(self) -> list[str]:
        """The effects part of the SoX command line (LADSPA mappings resolved to positional values)."""
        if self._args is None:
            args: list[str] = []
            for i, (name, a) in enumerate(self.steps):
                args += [name, *(self._ladspa_args(i, a) if isinstance(a, dict) else [str(v) for v in a])]
            self._args = args
        return self._args

    def check_available(self) -> None:
        """SoX installed, effect names known, and the whole chain accepted on 50 ms of test tone."""
        exe = self._exe()
        known = self._known_effects(exe)
        for i, (name, _) in enumerate(self.steps):
            if name not in known:
                raise self._fail(f"chain step {i}: SoX has no effect {name!r}", f"use one of {', '.join(sorted(known))}")
        run_tool([exe, "-V1", "-R", "-r", "48000", "-c", "1", "-n", "-n", "synth", "0.05", "sine", "440",
                  *self.effect_args()], "SoX chain check", self._fail, timeout=60, env=self.env,
                 fix="fix the effect's arguments (see `sox --help-effect NAME`)")

    def command(self, src: str | Path, dst: str | Path, sample_rate: int) -> list[str]:
        """The full SoX argument list for one render."""
        return [self._exe(), "-V2", "-R", str(src), "-e", "floating-point", "-b", "32", "-r", str(int(sample_rate)),
                str(dst), *self.effect_args()]

    def process(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        x = np.ascontiguousarray(audio, dtype=np.float32)
        with tempfile.TemporaryDirectory(prefix="fxcore-sox-") as tmp:
            src, dst = Path(tmp) / "in.wav", Path(tmp) / "out.wav"
            sf.write(str(src), x, sample_rate, subtype="FLOAT", format="WAV")
            proc = run_tool(self.command(src, dst, sample_rate), "SoX render", self._fail, timeout=self.timeout_s,
                            env=self.env, fix="fix the effect's arguments (see `sox --help-effect NAME`)")
            y, _ = sf.read(str(dst), dtype="float32", always_2d=True)
        clipped = [int(m) for m in re.findall(r"clipped (\d+) samples", proc.stderr)]
        self.last_clipped = sum(clipped)
        if self.last_clipped:
            log.warning("effect %r (sox): SoX clipped %d samples; lower the gain in front of hot effects",
                        self.effect, self.last_clipped)
        y = y[:, 0] if self.downmix == "left" else y.mean(axis=1)
        return fit_length(np.ascontiguousarray(y, dtype=np.float32), len(x))
