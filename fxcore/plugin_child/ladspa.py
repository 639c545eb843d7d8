"""LADSPA plugins inspected over ctypes: where they are installed, their ports, ranges and default values."""

from __future__ import annotations

import ctypes as C
import os

import numpy as np

from . import HostError

class LADSPA_PortRangeHint(C.Structure):
    _fields_ = [("hint", C.c_int), ("lower", C.c_float), ("upper", C.c_float)]


class LADSPA_Descriptor(C.Structure):
    _fields_ = [("UniqueID", C.c_ulong), ("Label", C.c_char_p), ("Properties", C.c_int), ("Name", C.c_char_p),
                ("Maker", C.c_char_p), ("Copyright", C.c_char_p), ("PortCount", C.c_ulong),
                ("PortDescriptors", C.POINTER(C.c_int)), ("PortNames", C.POINTER(C.c_char_p)),
                ("PortRangeHints", C.POINTER(LADSPA_PortRangeHint))]  # (function pointers follow; unused)


def ladspa_search_path() -> list[str]:
    """LADSPA_PATH, else the directories Debian and most distributions install plugins to."""
    env = os.environ.get("LADSPA_PATH")
    dirs = env.split(":") if env else []
    dirs += ["/usr/lib/ladspa", "/usr/local/lib/ladspa", "/usr/lib/x86_64-linux-gnu/ladspa", os.path.expanduser("~/.ladspa")]
    return list(dict.fromkeys(d for d in dirs if d))


def _ladspa_default(hint: int, lo: float, hi: float) -> float:
    """The LADSPA default-value hint (ladspa.h), the same rule hosts such as SoX apply."""
    log = bool(hint & 0x10) and lo > 0 and hi > 0
    mix = (lambda a, b, w: float(np.exp(np.log(a) * (1 - w) + np.log(b) * w))) if log else \
        (lambda a, b, w: a * (1 - w) + b * w)
    d = hint & 0x3C0
    table = {0x40: lo, 0x140: hi, 0x200: 0.0, 0x240: 1.0, 0x280: 100.0, 0x2C0: 440.0}
    if d in table:
        return float(table[d])
    if d in (0x80, 0xC0, 0x100):
        return float(mix(lo, hi, {0x80: 0.25, 0xC0: 0.5, 0x100: 0.75}[d]))
    return float(max(lo, min(hi, 0.0)))


def ladspa_describe(filename: str, label: str, sample_rate: float = 48000.0) -> dict | None:
    path = filename if os.path.isabs(filename) else next(
        (os.path.join(d, filename) for d in ladspa_search_path() if os.path.isfile(os.path.join(d, filename))), None)
    if path is None or not os.path.isfile(path):
        raise HostError(f"LADSPA plugin file {filename} not found in {':'.join(ladspa_search_path())}")
    try:
        lib = C.CDLL(path)
        fn = lib.ladspa_descriptor
    except (OSError, AttributeError):
        raise HostError(f"{path} is not a LADSPA plugin library") from None
    fn.restype, fn.argtypes = C.POINTER(LADSPA_Descriptor), [C.c_ulong]
    labels, i = [], 0
    while True:
        dp = fn(i)
        if not dp:
            break
        d = dp.contents
        labels.append(d.Label.decode())
        if d.Label.decode() == label:
            controls, ain, aout = [], 0, 0
            for k in range(d.PortCount):
                pd, name, h = d.PortDescriptors[k], d.PortNames[k].decode(errors="replace"), d.PortRangeHints[k]
                if pd & 0x8:  # audio
                    ain += bool(pd & 0x1)
                    aout += bool(pd & 0x2)
                elif pd & 0x4 and pd & 0x1:  # control input
                    scale = sample_rate if h.hint & 0x8 else 1.0
                    lo = h.lower * scale if h.hint & 0x1 else -np.inf
                    hi = h.upper * scale if h.hint & 0x2 else np.inf
                    lo_f, hi_f = (float(lo) if np.isfinite(lo) else None), (float(hi) if np.isfinite(hi) else None)
                    dflt = _ladspa_default(h.hint, lo_f if lo_f is not None else 0.0,
                                           hi_f if hi_f is not None else 1.0)
                    controls.append([name, _round(lo_f), _round(hi_f), _round(dflt)])
            return {"name": d.Name.decode(errors="replace"), "path": path, "controls": controls,
                    "audio_in": ain, "audio_out": aout}
        i += 1
    return {"missing_label": True, "labels": labels, "path": path}


def _round(v: float | None) -> float | None:
    return None if v is None else float(f"{v:.7g}")
