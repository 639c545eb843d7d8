"""REAPER's command-line batch converter (the 2018 report's route): `reaper -batchconvert filelist.txt`.

    backend: reaper
    options:
      executable: /opt/REAPER/reaper          # default: `reaper` on PATH
      fxchain: ~/.config/REAPER/FXChains/amp.RfxChain   # an FX chain saved in REAPER (any plugin) …
    chain:                                    # … or JSFX effects, written into a generated .RfxChain
      - js: Guitar/distortion
        sliders: [24, -12]                    # slider1, slider2, …; null keeps a slider's default

Per render, in a temporary folder: `in.wav` (32-bit float), `chain.RfxChain` (generated, unless
options.fxchain names a saved one) and `filelist.txt` in the batch converter's format (see
`write_batch_files`); then `reaper -nosplash -batchconvert filelist.txt` writes `out.wav`, which is
read back, down-mixed to mono and trimmed/padded to the input length. REAPER's log
(`filelist.txt.log`) is quoted when no output appears. REAPER is not a Debian package: without it
`check_available()` fails with one line naming the option to set.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import soundfile as sf

from .base import EffectBackend, fit_length, register_backend
from .child import run_tool

JS_SLIDERS = 64
_OPTION_KEYS = {"executable", "fxchain", "fx_channels", "output_channels", "outfmt", "downmix", "timeout_s",
                "extra_args"}


def rfxchain_text(steps: Sequence[tuple[str, Sequence[float | None]]]) -> str:
    """An .RfxChain (REAPER FX chain) holding JSFX effects with their slider values.

    Each effect is written the way REAPER stores a JS plugin in a chain:
        BYPASS 0 0 0
        <JS "Guitar/distortion" ""
        24 -12 - - … (one field per slider, `-` = unused/default)
        >
        FLOATPOS 0 0 0 0
        WAK 0 0
    """
    out = []
    for name, sliders in steps:
        vals = [("-" if v is None else f"{float(v):.6g}") for v in sliders]
        vals += ["-"] * (JS_SLIDERS - len(vals))
        out += ["BYPASS 0 0 0", f'<JS "{name}" ""', " ".join(vals), ">", "FLOATPOS 0 0 0 0", "WAK 0 0"]
    return "\n".join(out) + "\n"


def write_batch_files(workdir: str | Path, pairs: Sequence[tuple[str | Path, str | Path]], fxchain: str | Path,
                      sample_rate: int, fx_channels: int = 2, output_channels: int | None = None,
                      outfmt: str | None = None) -> Path:
    """Write REAPER's batch-converter file list; return its path.

    Format (as `reaper -h` documents `-batchconvert`): one input per line, optionally a TAB and the
    output file name, then a `<CONFIG … >` block:
        /abs/in.wav<TAB>/abs/out.wav
        <CONFIG
        SRATE 48000                      output sample rate
        NCH 2                            output channels (omitted: as the source)
        DITHER 0                         no dither / noise shaping
        USESRCSTART 0
        USESRCMETADATA 0
        PAD_START 0                      leading / trailing silence in seconds
        PAD_END 0
        OUTPATH '/abs/outdir'
        FXCHAIN '/abs/chain.RfxChain'    full path (else REAPER's FxChains folder)
        FX_NCH 2                         channels the FX chain runs with (REAPER's default: 4)
        <OUTFMT                          optional: base64 render format (a project's <RENDER_CFG>)
        ZXZhdyAAAA==
        >
        >
    """
    workdir = Path(workdir)
    lines = []
    for src, dst in pairs:
        for p in (str(src), str(dst)):
            if any(c in p for c in "\t\n\r'"):
                raise ValueError(f"path {p!r} contains a tab, newline or quote, which the file list cannot hold")
        lines.append(f"{Path(src).resolve()}\t{Path(dst).resolve()}")
    outdir = Path(pairs[0][1]).resolve().parent if pairs else workdir.resolve()
    cfg = ["<CONFIG", f"SRATE {int(sample_rate)}"]
    if output_channels:
        cfg.append(f"NCH {int(output_channels)}")
    cfg += ["DITHER 0", "USESRCSTART 0", "USESRCMETADATA 0", "PAD_START 0", "PAD_END 0",
            f"OUTPATH '{outdir}'", f"FXCHAIN '{Path(fxchain).resolve()}'", f"FX_NCH {int(fx_channels)}"]
    if outfmt:
        cfg += ["<OUTFMT", outfmt.strip(), ">"]
    cfg.append(">")
    path = workdir / "filelist.txt"
    path.write_text("\n".join(lines + cfg) + "\n")
    return path


@register_backend("reaper")
class ReaperBackend(EffectBackend):
    """An FX chain rendered by REAPER's batch converter."""

    def __init__(self, chain: list[dict[str, Any]], options: dict[str, Any], effect: str):
        super().__init__(chain, options, effect)
        unknown = set(options) - _OPTION_KEYS
        if unknown:
            raise self._fail(f"unknown option(s) {', '.join(sorted(unknown))}", f"use only {', '.join(sorted(_OPTION_KEYS))}")
        self.fxchain = Path(options["fxchain"]).expanduser() if options.get("fxchain") else None
        if bool(self.fxchain) == bool(chain):
            raise self._fail("give either options.fxchain (a saved .RfxChain) or a chain of JSFX steps, not both/neither",
                             "save the chain in REAPER (FX window → FX → Save chain) and set options.fxchain")
        self.js_steps: list[tuple[str, list[float | None]]] = []
        for i, step in enumerate(chain):
            if not isinstance(step, dict) or not isinstance(step.get("js"), str) or set(step) - {"js", "sliders"}:
                raise self._fail(f"chain step {i} must be {{js: EFFECT, sliders: [values]}}",
                                 "write e.g. `- {js: Guitar/distortion, sliders: [24, -12]}`")
            sliders = step.get("sliders") or []
            if not isinstance(sliders, list) or len(sliders) > JS_SLIDERS or not all(
                    v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in sliders):
                raise self._fail(f"chain step {i} ({step['js']}): sliders must be a list of at most {JS_SLIDERS} numbers/null",
                                 "write e.g. `sliders: [24, null, -12]`")
            if any(c in step["js"] for c in '"\n'):
                raise self._fail(f"chain step {i}: JS effect name {step['js']!r} contains a quote or newline",
                                 "use the effect's path as REAPER lists it, e.g. Guitar/distortion")
            self.js_steps.append((step["js"], sliders))
        self.executable = options.get("executable")
        self.fx_channels = int(options.get("fx_channels", 2))
        self.output_channels = options.get("output_channels", 2)
        self.outfmt = options.get("outfmt")
        self.downmix = options.get("downmix", "mean")
        if self.downmix not in ("mean", "left"):
            raise self._fail(f"downmix must be mean or left, not {self.downmix!r}", "set options.downmix: mean")
        self.timeout_s = float(options.get("timeout_s", 600))
        self.extra_args = [str(a) for a in options.get("extra_args", [])]

    def _exe(self) -> str:
        name = str(Path(self.executable).expanduser()) if self.executable else "reaper"
        exe = shutil.which(name)
        if exe is None:
            where = f"options.executable ({self.executable})" if self.executable else "`reaper` on PATH"
            raise self._fail(f"REAPER not found: {where} is missing",
                             "install REAPER (reaper.fm) and set options.executable to its `reaper` program, "
                             "or use backend vst3/lv2/sox")
        return exe

    def check_available(self) -> None:
        """REAPER is installed (configured or on PATH) and the saved FX chain exists."""
        self._exe()
        if self.fxchain is not None and not self.fxchain.is_file():
            raise self._fail(f"options.fxchain {self.fxchain} not found", "save the chain from REAPER and fix the path")

    def write_files(self, workdir: Path, pairs: Sequence[tuple[Path, Path]], sample_rate: int) -> Path:
        """FX chain (generated or the saved one) + file list in `workdir`; returns the file list's path."""
        chain = self.fxchain
        if chain is None:
            chain = workdir / "chain.RfxChain"
            chain.write_text(rfxchain_text(self.js_steps))
        return write_batch_files(workdir, pairs, chain, sample_rate, self.fx_channels, self.output_channels, self.outfmt)

    def process(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        exe = self._exe()
        x = np.ascontiguousarray(audio, dtype=np.float32)
        with tempfile.TemporaryDirectory(prefix="fxcore-reaper-") as tmp:
            src, dst = Path(tmp) / "in.wav", Path(tmp) / "out.wav"
            sf.write(str(src), x, sample_rate, subtype="FLOAT", format="WAV")
            filelist = self.write_files(Path(tmp), [(src, dst)], sample_rate)
            run_tool([exe, "-nosplash", *self.extra_args, "-batchconvert", str(filelist)], "REAPER batch convert",
                     self._fail, timeout=self.timeout_s, cwd=tmp)
            if not dst.is_file():
                logf = Path(str(filelist) + ".log")
                last = [ln.strip() for ln in logf.read_text(errors="replace").splitlines() if ln.strip()] \
                    if logf.is_file() else []
                raise self._fail("REAPER wrote no output" + (f" (log: {last[-1][:200]})" if last else ""),
                                 "open the FX chain in REAPER and check every plugin loads; run REAPER once interactively")
            y, _ = sf.read(str(dst), dtype="float32", always_2d=True)
        y = y[:, 0] if self.downmix == "left" else y.mean(axis=1)
        return fit_length(np.ascontiguousarray(y, dtype=np.float32), len(x))
