"""LV2 plugins by URI, with control values by port symbol — hosted out of process.

    backend: lv2
    chain:
      - uri: http://guitarix.sourceforge.net/plugins/gxts9#ts9sim
        controls: {fslider2_: 0.8}          # port symbol: value (see `lv2info URI`)
      - uri: http://calf.sourceforge.net/plugins/Reverb
    options: {downmix: mean, block_size: 512, compensate_latency: true, timeout_s: 600, lv2_path: []}

Every render runs in a child process (`python -m fxcore.plugin_child lv2-render`): lilv (Debian `liblilv-0-0`) over
ctypes, with urid:map/unmap, options, bounded/fixed block length, a synchronous worker and log.
A plugin that crashes or hangs fails that render with a one-line FxcoreError; the workflow lives.
Mono/stereo: every audio input gets the (mono) signal; outputs are averaged (`downmix: mean`) or
the first is taken (`downmix: left`). The latency the plugins report on their `latency` port is
removed from the output (`compensate_latency: true`), so the rendered pair is aligned.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from .base import EffectBackend, fit_length, register_backend
from .child import run_child

DEFAULT_LV2_PATH = ["~/.lv2", "/usr/local/lib/lv2", "/usr/lib/x86_64-linux-gnu/lv2", "/usr/lib/lv2"]
_STEP_KEYS = {"uri", "controls"}
_OPTION_KEYS = {"downmix", "block_size", "compensate_latency", "timeout_s", "lv2_path"}


def _env(lv2_path: tuple[str, ...]) -> dict[str, str]:
    env = dict(os.environ)
    if lv2_path:
        base = env.get("LV2_PATH") or ":".join(os.path.expanduser(p) for p in DEFAULT_LV2_PATH)
        env["LV2_PATH"] = ":".join([*(str(Path(p).expanduser()) for p in lv2_path), base])
    return env


_DESCRIBED: dict[tuple, dict] = {}


def _describe(uris: tuple[str, ...], lv2_path: tuple[str, ...], fail) -> dict:
    """Plugin facts from a child process (cached per process: config checks run it once per effect)."""
    key = (uris, lv2_path, os.environ.get("LV2_PATH"))
    if key not in _DESCRIBED:
        _DESCRIBED[key] = run_child(["lv2-describe", *uris], "LV2 plugin lookup", fail, timeout=120,
                                    env=_env(lv2_path))
    return _DESCRIBED[key]


@register_backend("lv2")
class LV2Backend(EffectBackend):
    """A chain of LV2 plugins, rendered block by block in a child process."""

    def __init__(self, chain: list[dict[str, Any]], options: dict[str, Any], effect: str):
        super().__init__(chain, options, effect)
        self.downmix = self._check_plugin_options(_OPTION_KEYS, "add at least one step `- uri: <plugin URI>`")
        self.block_size = options.get("block_size", 512)
        if not isinstance(self.block_size, int) or isinstance(self.block_size, bool) or not 16 <= self.block_size <= 8192:
            raise self._fail(f"block_size must be an integer in [16, 8192], not {self.block_size!r}",
                             "set options.block_size: 512")
        self.compensate = bool(options.get("compensate_latency", True))
        self.timeout_s = float(options.get("timeout_s", 600))
        lv2_path = options.get("lv2_path", [])
        if isinstance(lv2_path, str):
            lv2_path = [lv2_path]
        self.lv2_path = tuple(str(p) for p in lv2_path)
        self.steps: list[tuple[str, dict[str, float]]] = []
        for i, step in enumerate(chain):
            if not isinstance(step, dict) or "uri" not in step or set(step) - _STEP_KEYS:
                raise self._fail(f"chain step {i} must be a mapping with `uri:` and optional `controls:`",
                                 "write e.g. `- {uri: http://calf.sourceforge.net/plugins/Reverb, controls: {room_size: 2}}`")
            uri, controls = step["uri"], step.get("controls") or {}
            if not isinstance(uri, str) or ":" not in uri:
                raise self._fail(f"chain step {i}: uri {uri!r} is not a plugin URI",
                                 "copy the URI from `lv2ls` (Debian package lilv-utils)")
            if not isinstance(controls, dict) or not all(
                    isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool)
                    for k, v in controls.items()):
                raise self._fail(f"chain step {i} ({uri}): controls must map port symbols to numbers",
                                 "write e.g. `controls: {drive: 0.5}` (symbols from `lv2info URI`)")
            self.steps.append((uri, {k: float(v) for k, v in controls.items()}))
        self._checked = False
        self.plugin_latency = 0  # what the plugins reported (and, with compensate_latency, was removed)

    def check_available(self) -> None:
        """Plugins installed, control symbols known and in range, host features sufficient."""
        info = _describe(tuple(dict.fromkeys(u for u, _ in self.steps)), self.lv2_path, self._fail)
        if info["missing"]:
            raise self._fail(f"LV2 plugin(s) not installed: {', '.join(info['missing'])}",
                             "install the package that ships it (e.g. guitarix-lv2, calf-plugins; "
                             "see .ci/install_hosts.sh) or pick a URI that `lv2ls` lists")
        for i, (uri, controls) in enumerate(self.steps):
            d = info["plugins"][uri]
            if d["missing_features"]:
                raise self._fail(f"{uri} requires host features this host lacks: {', '.join(d['missing_features'])}",
                                 "pick another plugin")
            if d["audio_in"] < 1 or d["audio_out"] < 1:
                raise self._fail(f"{uri} ({d['name']}) has {d['audio_in']} audio inputs and {d['audio_out']} "
                                 "outputs; an effect needs at least one of each", "pick an effect plugin, not an instrument")
            for sym, val in controls.items():
                if sym not in d["controls"]:
                    raise self._fail(f"chain step {i} ({d['name']}): unknown control {sym!r}",
                                     f"use one of {', '.join(d['controls'])}")
                lo, hi, _ = d["controls"][sym]
                if not lo - 1e-6 <= val <= hi + 1e-6:
                    raise self._fail(f"chain step {i} ({d['name']}): control {sym}={val:g} is outside [{lo:g}, {hi:g}]",
                                     f"set {sym} within [{lo:g}, {hi:g}]")
        self._checked = True

    def describe(self) -> dict:
        """Name and controls ({symbol: [min, max, default]}) of each plugin in the chain."""
        return _describe(tuple(dict.fromkeys(u for u, _ in self.steps)), self.lv2_path, self._fail)["plugins"]

    def process(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        if not self._checked:
            self.check_available()
        x = np.ascontiguousarray(audio, dtype=np.float32)
        with tempfile.TemporaryDirectory(prefix="fxcore-lv2-") as tmp:
            job = {"chain": [{"uri": u, "controls": c} for u, c in self.steps], "sample_rate": int(sample_rate),
                   "block_size": self.block_size, "downmix": self.downmix, "compensate_latency": self.compensate,
                   "input": str(Path(tmp) / "in.f32"), "output": str(Path(tmp) / "out.f32")}
            x.tofile(job["input"])
            (Path(tmp) / "job.json").write_text(json.dumps(job))
            res = run_child(["lv2-render", str(Path(tmp) / "job.json")], "LV2 render", self._fail,
                            timeout=self.timeout_s, env=_env(self.lv2_path),
                            fix="check the plugin's controls, or try another plugin or block_size")
            y = np.fromfile(job["output"], dtype=np.float32)
        self.plugin_latency = int(sum(res["latencies"]))
        return fit_length(y, len(x))

    @property
    def reported_latency(self) -> int:
        """Latency left in the output: 0 when compensated, else what the plugins reported (after a render)."""
        return 0 if self.compensate else self.plugin_latency
