"""Any VST3 plugin, loaded with `pedalboard.load_plugin`, parameters set by name.

    backend: vst3
    chain:
      - plugin: /usr/lib/vst3/ZamTube.vst3        # a path, or a bundle name searched in the VST3 folders
        params: {tube_drive: 8, bass: 6, tone_stack_model: Fender}
      - plugin: ZamCompX2                          # stereo-only: gets the mono signal on both channels
        params: {threshold_db: -20, ratio: 4}
    options: {downmix: mean, search_path: [~/my-vst3], check_load: true}

Parameters are pedalboard's Python names (lower_snake_case of the plugin's own names; a bad name
fails with the list of valid ones). They are set as attributes after loading — `parameter_values=`
of `load_plugin` was seen to leave values unchanged. A plugin that refuses a mono bus gets the
signal duplicated to two channels; the chain's output is down-mixed to mono at the end (`downmix:
mean` averages the channels, `left` keeps the first). pedalboard compensates the latency a plugin
reports, so the output is aligned with the input (`plugin_latency` says how much was removed).
Plugins run in this process: one that crashes takes the render job (not the workflow) with it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from .base import EffectBackend, fit_length, register_backend

log = logging.getLogger("fxcore.vst3")
VST3_DIRS = ["~/.vst3", "/usr/local/lib/vst3", "/usr/lib/vst3"]
_STEP_KEYS = {"plugin", "params", "name"}
_OPTION_KEYS = {"downmix", "search_path", "check_load"}


def _is_param_value(v: Any) -> bool:
    return isinstance(v, (int, float, str, bool))


@register_backend("vst3")
class VST3Backend(EffectBackend):
    """A chain of VST3 plugins hosted by pedalboard (JUCE)."""

    def __init__(self, chain: list[dict[str, Any]], options: dict[str, Any], effect: str):
        super().__init__(chain, options, effect)
        self.downmix = self._check_plugin_options(_OPTION_KEYS, "add a step `- plugin: /usr/lib/vst3/NAME.vst3`")
        extra = options.get("search_path", [])
        self.search_path = [Path(p).expanduser() for p in ([extra] if isinstance(extra, str) else extra)] + \
            [Path(p).expanduser() for p in VST3_DIRS]
        self.check_load = bool(options.get("check_load", True))
        self.steps: list[tuple[str, dict[str, Any], str | None]] = []
        for i, step in enumerate(chain):
            if not isinstance(step, dict) or not isinstance(step.get("plugin"), str) or set(step) - _STEP_KEYS:
                raise self._fail(f"chain step {i} must be a mapping with `plugin:` and optional `params:`/`name:`",
                                 "write e.g. `- {plugin: /usr/lib/vst3/ZamTube.vst3, params: {tube_drive: 5}}`")
            params = step.get("params") or {}
            if not isinstance(params, dict) or not all(isinstance(k, str) and _is_param_value(v) for k, v in params.items()):
                raise self._fail(f"chain step {i} ({step['plugin']}): params must map parameter names to values",
                                 "write e.g. `params: {tube_drive: 5}`")
            self.steps.append((step["plugin"], params, step.get("name")))
        self._plugins: list | None = None
        self._channels: dict[int, int] = {}
        self.plugin_latency = 0

    def _path(self, i: int, plugin: str) -> Path:
        p = Path(plugin).expanduser()
        if p.exists():
            return p
        if not p.is_absolute() and len(p.parts) == 1:
            name = plugin if plugin.endswith(".vst3") else plugin + ".vst3"
            for d in self.search_path:
                if (d / name).exists():
                    return d / name
        raise self._fail(f"chain step {i}: VST3 plugin {plugin!r} not found "
                         f"(searched {', '.join(str(d) for d in self.search_path)})",
                         "give the full path to the .vst3 bundle, or install it (zam-plugins: .ci/install_hosts.sh)")

    def check_available(self) -> None:
        """Every plugin file exists; with `check_load` (default) also load them and check the params."""
        for i, (plugin, _, _) in enumerate(self.steps):
            self._path(i, plugin)
        if self.check_load:
            self.load()

    def load(self) -> list:
        """Load the plugins and set their parameters (once); one-line errors for bad names/values."""
        if self._plugins is not None:
            return self._plugins
        import pedalboard

        plugins = []
        for i, (plugin, params, name) in enumerate(self.steps):
            path = self._path(i, plugin)
            try:
                p = pedalboard.load_plugin(str(path), plugin_name=name) if name else pedalboard.load_plugin(str(path))
            except (ImportError, RuntimeError, ValueError, OSError) as exc:
                msg = " ".join(str(exc).split())[:300]
                raise self._fail(f"chain step {i}: cannot load {path}: {msg}",
                                 "check it is a VST3 plugin for this machine (and `name:` for multi-plugin bundles)") from None
            valid = list(p.parameters)
            for key, val in params.items():
                if key not in p.parameters:
                    raise self._fail(f"chain step {i} ({p.name}): unknown parameter {key!r}",
                                     f"use one of {', '.join(valid)}")
                try:
                    setattr(p, key, val)
                except (ValueError, TypeError, AttributeError) as exc:
                    param = p.parameters[key]
                    choices = getattr(param, "valid_values", None) or []
                    lo, hi = param.range[:2]
                    hint = (f"one of {', '.join(map(str, choices))}" if choices and isinstance(choices[0], str)
                            else f"a value in [{lo:g}, {hi:g}]" if lo is not None and hi is not None
                            else " ".join(str(exc).split())[:200])
                    raise self._fail(f"chain step {i} ({p.name}): bad value {val!r} for {key}", f"use {hint}") from None
                got = getattr(p, key)
                if isinstance(val, (int, float)) and not isinstance(val, bool) and isinstance(got, (int, float)):
                    lo, hi = p.parameters[key].range[:2]
                    span = (hi - lo) if lo is not None and hi is not None and hi > lo else 1.0
                    if abs(float(got) - float(val)) > 0.01 * span:
                        log.warning("effect %r (vst3): %s.%s set to %r but reads back %r", self.effect, p.name, key, val, got)
            plugins.append(p)
        self._plugins = plugins
        return plugins

    def _run(self, k: int, p, sig: np.ndarray, sample_rate: int) -> np.ndarray:
        """Run one plugin on (C, T); switch mono ↔ stereo once if the plugin refuses the bus."""
        want = self._channels.get(k, sig.shape[0])
        for attempt in range(2):
            x = sig if sig.shape[0] == want else (np.repeat(sig, want, axis=0) if sig.shape[0] == 1
                                                   else self._mix(sig)[None, :])
            try:
                y = p(x, sample_rate, reset=True)
                self._channels[k] = want
                return np.asarray(y, dtype=np.float32)
            except ValueError as exc:
                if attempt or "channel" not in str(exc):
                    raise self._fail(f"{p.name}: {' '.join(str(exc).split())[:300]}",
                                     "use a plugin with a mono or stereo main bus") from None
                want = 2 if want == 1 else 1
        raise AssertionError("unreachable")

    def _mix(self, y: np.ndarray) -> np.ndarray:
        return y[0] if self.downmix == "left" or y.shape[0] == 1 else y.mean(axis=0)

    def process(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        plugins = self.load()
        sig = np.ascontiguousarray(audio, dtype=np.float32)[None, :]
        for k, p in enumerate(plugins):
            p.reset()
            sig = self._run(k, p, sig, sample_rate)
        self.plugin_latency = int(sum(getattr(p, "reported_latency_samples", 0) for p in plugins))
        return fit_length(np.ascontiguousarray(self._mix(sig), dtype=np.float32), len(audio))
