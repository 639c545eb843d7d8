"""Subprocess runner for the effect hosts: `run_tool` (any command line, one-line errors) and a
child process that hosts LV2 plugins (lilv via ctypes) and inspects LADSPA plugins.

This file is standalone on purpose (numpy + the standard library only, no fxcore import): the
parent runs it as `python runner.py ...`, so a plugin that crashes takes down this child only and
the parent turns the exit status into a one-line FxcoreError. Child commands answer on stdout
with one JSON object (plugin chatter on stdout is redirected to stderr):

    python runner.py lv2-describe URI [URI ...]
        → {"plugins": {URI: {name, audio_in, audio_out, controls: {symbol: [min, max, default]},
                             latency_port, required_features, missing_features}},
           "missing": [URI ...]}
    python runner.py lv2-render JOB.json
        JOB = {"chain": [{"uri": ..., "controls": {symbol: value}}], "sample_rate": 48000,
               "block_size": 512, "downmix": "mean"|"left", "compensate_latency": true,
               "input": "in.f32", "output": "out.f32", "tail_blocks": 0,
               "block_sizes": [optional list, used in turn], "reset_after_probe": false}
        → {"latencies": [int per plugin], "compensated": int}
    python runner.py ladspa-describe FILE.so LABEL [FILE.so LABEL ...]
        → {"plugins": {"FILE.so:LABEL": {name, controls: [[name, min, max, default]],
                                          audio_in, audio_out}}, "missing": [...]}

Host features offered: urid:map/unmap, options:options (min/max/nominal block length, sample
rate), buf-size:boundedBlockLength/fixedBlockLength/powerOf2BlockLength (the last block is
zero-padded, so every run() call gets exactly `block_size` frames), worker:schedule (a
synchronous worker: work() runs immediately, responses are delivered after run()), log:log.
Errors are printed as one line `FXCORE_ERROR: ...` on stderr with exit status 2.
"""

from __future__ import annotations

import ctypes as C
import ctypes.util
import json
import os
import sys

import numpy as np

LV2 = "http://lv2plug.in/ns/"
URI_AUDIO = LV2 + "lv2core#AudioPort"
URI_CONTROL = LV2 + "lv2core#ControlPort"
URI_CV = LV2 + "lv2core#CVPort"
URI_INPUT = LV2 + "lv2core#InputPort"
URI_OUTPUT = LV2 + "lv2core#OutputPort"
URI_ATOM = LV2 + "ext/atom#AtomPort"
URI_EVENT = LV2 + "ext/event#EventPort"
URI_CONNECTION_OPTIONAL = LV2 + "lv2core#connectionOptional"
F_URID_MAP = LV2 + "ext/urid#map"
F_URID_UNMAP = LV2 + "ext/urid#unmap"
F_OPTIONS = LV2 + "ext/options#options"
F_BOUNDED = LV2 + "ext/buf-size#boundedBlockLength"
F_FIXED = LV2 + "ext/buf-size#fixedBlockLength"
F_POW2 = LV2 + "ext/buf-size#powerOf2BlockLength"
F_WORKER = LV2 + "ext/worker#schedule"
F_LOG = LV2 + "ext/log#log"
F_HARDRT = LV2 + "lv2core#hardRTCapable"
F_INPLACE_BROKEN = LV2 + "lv2core#inPlaceBroken"
F_ISLIVE = LV2 + "lv2core#isLive"
WORKER_INTERFACE = LV2 + "ext/worker#interface"
ATOM_CAPACITY = 65536


class HostError(Exception):
    """A failure this host explains in one line."""


# ---------------------------------------------------------------------------------------- ctypes
class LV2_Feature(C.Structure):
    _fields_ = [("URI", C.c_char_p), ("data", C.c_void_p)]


MAP_FN = C.CFUNCTYPE(C.c_uint32, C.c_void_p, C.c_char_p)
UNMAP_FN = C.CFUNCTYPE(C.c_char_p, C.c_void_p, C.c_uint32)
SCHEDULE_FN = C.CFUNCTYPE(C.c_int, C.c_void_p, C.c_uint32, C.c_void_p)
RESPOND_FN = C.CFUNCTYPE(C.c_int, C.c_void_p, C.c_uint32, C.c_void_p)
LOG_PRINTF_FN = C.CFUNCTYPE(C.c_int, C.c_void_p, C.c_uint32, C.c_char_p)  # variadic: fixed args only


class LV2_URID_Map(C.Structure):
    _fields_ = [("handle", C.c_void_p), ("map", MAP_FN)]


class LV2_URID_Unmap(C.Structure):
    _fields_ = [("handle", C.c_void_p), ("unmap", UNMAP_FN)]


class LV2_Worker_Schedule(C.Structure):
    _fields_ = [("handle", C.c_void_p), ("schedule_work", SCHEDULE_FN)]


class LV2_Worker_Interface(C.Structure):
    _fields_ = [("work", C.CFUNCTYPE(C.c_int, C.c_void_p, RESPOND_FN, C.c_void_p, C.c_uint32, C.c_void_p)),
                ("work_response", C.CFUNCTYPE(C.c_int, C.c_void_p, C.c_uint32, C.c_void_p)),
                ("end_run", C.CFUNCTYPE(C.c_int, C.c_void_p))]


class LV2_Log_Log(C.Structure):
    _fields_ = [("handle", C.c_void_p), ("printf", LOG_PRINTF_FN), ("vprintf", LOG_PRINTF_FN)]


class LV2_Options_Option(C.Structure):
    _fields_ = [("context", C.c_int), ("subject", C.c_uint32), ("key", C.c_uint32), ("size", C.c_uint32),
                ("type", C.c_uint32), ("value", C.c_void_p)]


class LV2_Descriptor(C.Structure):
    _fields_ = [("URI", C.c_char_p),
                ("instantiate", C.c_void_p),
                ("connect_port", C.CFUNCTYPE(None, C.c_void_p, C.c_uint32, C.c_void_p)),
                ("activate", C.c_void_p),
                ("run", C.CFUNCTYPE(None, C.c_void_p, C.c_uint32)),
                ("deactivate", C.c_void_p),
                ("cleanup", C.c_void_p),
                ("extension_data", C.CFUNCTYPE(C.c_void_p, C.c_char_p))]


class LilvInstanceImpl(C.Structure):  # lilv.h: struct LilvInstanceImpl (the lilv_instance_* are inline)
    _fields_ = [("lv2_descriptor", C.POINTER(LV2_Descriptor)), ("lv2_handle", C.c_void_p), ("pimpl", C.c_void_p)]


VOID_FN = C.CFUNCTYPE(None, C.c_void_p)


def _load_lilv() -> C.CDLL:
    name = ctypes.util.find_library("lilv-0") or "liblilv-0.so.0"
    try:
        lib = C.CDLL(name)
    except OSError:
        raise HostError("liblilv-0 (the LV2 host library) is not installed; "
                        "install it: apt-get install liblilv-0-0 (or run .ci/install_hosts.sh)") from None
    p, u32, f = C.c_void_p, C.c_uint32, C.c_float
    sig = {
        "lilv_world_new": (p, []), "lilv_world_load_all": (None, [p]), "lilv_world_free": (None, [p]),
        "lilv_new_uri": (p, [p, C.c_char_p]), "lilv_node_free": (None, [p]),
        "lilv_node_as_string": (C.c_char_p, [p]), "lilv_node_as_uri": (C.c_char_p, [p]),
        "lilv_world_get_all_plugins": (p, [p]), "lilv_plugins_get_by_uri": (p, [p, p]),
        "lilv_plugin_get_name": (p, [p]), "lilv_plugin_get_num_ports": (u32, [p]),
        "lilv_plugin_get_port_by_index": (p, [p, u32]), "lilv_port_is_a": (C.c_bool, [p, p, p]),
        "lilv_port_has_property": (C.c_bool, [p, p, p]),
        "lilv_port_get_symbol": (p, [p, p]),
        "lilv_plugin_get_port_ranges_float": (None, [p, C.POINTER(f), C.POINTER(f), C.POINTER(f)]),
        "lilv_plugin_has_latency": (C.c_bool, [p]), "lilv_plugin_get_latency_port_index": (u32, [p]),
        "lilv_plugin_get_required_features": (p, [p]),
        "lilv_nodes_size": (u32, [p]), "lilv_nodes_begin": (p, [p]), "lilv_nodes_next": (p, [p, p]),
        "lilv_nodes_is_end": (C.c_bool, [p, p]), "lilv_nodes_get": (p, [p, p]), "lilv_nodes_free": (None, [p]),
        "lilv_plugin_instantiate": (C.POINTER(LilvInstanceImpl), [p, C.c_double, p]),
        "lilv_instance_free": (None, [C.POINTER(LilvInstanceImpl)]),
        "lilv_plugin_verify": (C.c_bool, [p]),
    }
    for fn, (res, args) in sig.items():
        getattr(lib, fn).restype = res
        getattr(lib, fn).argtypes = args
    return lib


class World:
    """The lilv world with every installed bundle loaded (LV2_PATH is honoured)."""

    def __init__(self) -> None:
        self.lib = _load_lilv()
        self.world = self.lib.lilv_world_new()
        self.lib.lilv_world_load_all(self.world)
        self.plugins = self.lib.lilv_world_get_all_plugins(self.world)
        self._nodes: dict[str, int] = {}

    def uri(self, s: str) -> int:
        if s not in self._nodes:
            self._nodes[s] = self.lib.lilv_new_uri(self.world, s.encode())
        return self._nodes[s]

    def plugin(self, uri: str):
        return self.lib.lilv_plugins_get_by_uri(self.plugins, self.uri(uri))

    def _str(self, node) -> str:
        return self.lib.lilv_node_as_string(node).decode("utf-8", "replace") if node else ""

    def describe(self, uri: str) -> dict | None:
        lib, plug = self.lib, self.plugin(uri)
        if not plug:
            return None
        n = lib.lilv_plugin_get_num_ports(plug)
        mins, maxs, defs = (C.c_float * n)(), (C.c_float * n)(), (C.c_float * n)()
        lib.lilv_plugin_get_port_ranges_float(plug, mins, maxs, defs)
        ports = []
        for i in range(n):
            port = lib.lilv_plugin_get_port_by_index(plug, i)
            kind = next((k for k, u in (("audio", URI_AUDIO), ("control", URI_CONTROL), ("cv", URI_CV),
                                        ("atom", URI_ATOM), ("event", URI_EVENT))
                         if lib.lilv_port_is_a(plug, port, self.uri(u))), "other")
            ports.append({
                "index": i, "kind": kind,
                "input": bool(lib.lilv_port_is_a(plug, port, self.uri(URI_INPUT))),
                "symbol": self._str(lib.lilv_port_get_symbol(plug, port)),
                "optional": bool(lib.lilv_port_has_property(plug, port, self.uri(URI_CONNECTION_OPTIONAL))),
                "range": [_finite(mins[i], 0.0), _finite(maxs[i], 1.0), _finite(defs[i], _finite(mins[i], 0.0))],
            })
        latency = int(lib.lilv_plugin_get_latency_port_index(plug)) if lib.lilv_plugin_has_latency(plug) else None
        name_node = lib.lilv_plugin_get_name(plug)
        name = self._str(name_node)
        lib.lilv_node_free(name_node)
        req = lib.lilv_plugin_get_required_features(plug)
        required = []
        it = lib.lilv_nodes_begin(req)
        while not lib.lilv_nodes_is_end(req, it):
            required.append(self._str(lib.lilv_nodes_get(req, it)))
            it = lib.lilv_nodes_next(req, it)
        lib.lilv_nodes_free(req)
        return {
            "name": name, "ports": ports, "latency_port": latency,
            "audio_in": sum(p["kind"] == "audio" and p["input"] for p in ports),
            "audio_out": sum(p["kind"] == "audio" and not p["input"] for p in ports),
            "controls": {p["symbol"]: p["range"] for p in ports if p["kind"] == "control" and p["input"]},
            "required_features": required,
            "missing_features": [f for f in required if f not in SUPPORTED_FEATURES],
        }


def _finite(v: float, fallback: float) -> float:
    return float(f"{v:.7g}") if np.isfinite(v) else fallback


SUPPORTED_FEATURES = {F_URID_MAP, F_URID_UNMAP, F_OPTIONS, F_BOUNDED, F_FIXED, F_POW2, F_WORKER, F_LOG,
                      F_HARDRT, F_INPLACE_BROKEN, F_ISLIVE}


# ---------------------------------------------------------------------------------- host features
class Features:
    """The feature structs, kept alive (with their callbacks) for the lifetime of the instances."""

    def __init__(self, sample_rate: int, block_size: int, fixed: bool = True) -> None:
        self.urids: dict[str, int] = {}
        self.names: dict[int, bytes] = {}
        self.map_s = LV2_URID_Map(None, MAP_FN(self._map))
        self.unmap_s = LV2_URID_Unmap(None, UNMAP_FN(self._unmap))
        self.log_s = LV2_Log_Log(None, LOG_PRINTF_FN(self._log), LOG_PRINTF_FN(self._log))
        self.worker_iface: LV2_Worker_Interface | None = None
        self.handle = None
        self.responses: list[bytes] = []
        self.schedule_s = LV2_Worker_Schedule(None, SCHEDULE_FN(self._schedule))
        self.respond_cb = RESPOND_FN(self._respond)
        self.ints = (C.c_int32 * 3)(1 if not fixed else block_size, block_size, block_size)
        self.rate = (C.c_float * 1)(float(sample_rate))
        self.seq_size = (C.c_int32 * 1)(ATOM_CAPACITY)
        atom_int, atom_float = self.map("http://lv2plug.in/ns/ext/atom#Int"), self.map("http://lv2plug.in/ns/ext/atom#Float")
        opts = [
            (LV2 + "ext/buf-size#minBlockLength", 4, atom_int, C.addressof(self.ints)),
            (LV2 + "ext/buf-size#maxBlockLength", 4, atom_int, C.addressof(self.ints) + 4),
            (LV2 + "ext/buf-size#nominalBlockLength", 4, atom_int, C.addressof(self.ints) + 8),
            (LV2 + "ext/buf-size#sequenceSize", 4, atom_int, C.addressof(self.seq_size)),
            (LV2 + "ext/parameters#sampleRate", 4, atom_float, C.addressof(self.rate)),
        ]
        self.options = (LV2_Options_Option * (len(opts) + 1))(
            *[LV2_Options_Option(0, 0, self.map(k), size, typ, val) for k, size, typ, val in opts],
            LV2_Options_Option(0, 0, 0, 0, 0, None))
        feats = [(F_URID_MAP, C.addressof(self.map_s)), (F_URID_UNMAP, C.addressof(self.unmap_s)),
                 (F_OPTIONS, C.addressof(self.options)), (F_BOUNDED, None),
                 (F_LOG, C.addressof(self.log_s)), (F_WORKER, C.addressof(self.schedule_s))]
        if fixed:
            feats.append((F_FIXED, None))
        if fixed and block_size & (block_size - 1) == 0:
            feats.append((F_POW2, None))
        self.feature_structs = [LV2_Feature(u.encode(), d) for u, d in feats]
        self.array = (C.POINTER(LV2_Feature) * (len(feats) + 1))(
            *[C.pointer(f) for f in self.feature_structs], None)

    def map(self, uri: str) -> int:
        if uri not in self.urids:
            self.urids[uri] = len(self.urids) + 1
            self.names[self.urids[uri]] = uri.encode()
        return self.urids[uri]

    def _map(self, _handle, uri: bytes) -> int:
        return self.map(uri.decode("utf-8", "replace"))

    def _unmap(self, _handle, urid: int):
        return self.names.get(urid)

    def _log(self, _handle, _type, fmt) -> int:  # the format string only; arguments are not expanded
        return 0

    # Synchronous worker: the plugin's work() runs at once; its responses wait until after run().
    def _schedule(self, _handle, size: int, data) -> int:
        if self.worker_iface is None or self.handle is None:
            return 1  # LV2_WORKER_ERR_UNKNOWN
        return self.worker_iface.work(self.handle, self.respond_cb, None, size, data)

    def _respond(self, _handle, size: int, data) -> int:
        self.responses.append(C.string_at(data, size) if size else b"")
        return 0

    def deliver(self) -> None:
        if self.worker_iface is None:
            return
        while self.responses:
            body = self.responses.pop(0)
            buf = C.create_string_buffer(body, len(body) or 1)
            self.worker_iface.work_response(self.handle, len(body), buf)
        if self.worker_iface.end_run:
            self.worker_iface.end_run(self.handle)


# -------------------------------------------------------------------------------------- plugins
class Instance:
    """One instantiated, connected and activated plugin with its own buffers and worker."""

    def __init__(self, world: World, uri: str, controls: dict[str, float], sample_rate: int, block: int,
                 fixed: bool = True):
        desc = world.describe(uri)
        if desc is None:
            raise HostError(f"LV2 plugin {uri} is not installed (lv2ls lists the installed ones)")
        if desc["missing_features"]:
            raise HostError(f"LV2 plugin {uri} requires host features this host lacks: "
                            f"{', '.join(desc['missing_features'])}")
        if desc["audio_in"] < 1 or desc["audio_out"] < 1:
            raise HostError(f"LV2 plugin {uri} has {desc['audio_in']} audio inputs and "
                            f"{desc['audio_out']} outputs; an effect needs at least one of each")
        self.desc, self.block = desc, block
        self.features = Features(sample_rate, block, fixed)
        self.inst = world.lib.lilv_plugin_instantiate(world.plugin(uri), float(sample_rate),
                                                      C.cast(self.features.array, C.c_void_p))
        if not self.inst:
            raise HostError(f"LV2 plugin {uri} failed to instantiate at {sample_rate} Hz")
        self.lib = world.lib
        d = self.inst.contents.lv2_descriptor.contents
        self.handle = self.inst.contents.lv2_handle
        self._connect, self._run = d.connect_port, d.run
        self.features.handle = self.handle
        if d.extension_data:
            iface = d.extension_data(WORKER_INTERFACE.encode())
            if iface:
                self.features.worker_iface = C.cast(iface, C.POINTER(LV2_Worker_Interface)).contents
        self.audio_in: list[np.ndarray] = []
        self.audio_out: list[np.ndarray] = []
        self.atom_out: list[np.ndarray] = []
        self.atom_in: list[np.ndarray] = []
        self.control: dict[str, np.ndarray] = {}
        self.buffers: list[np.ndarray] = []
        by_index: dict[int, np.ndarray] = {}
        seq_urid = self.features.map("http://lv2plug.in/ns/ext/atom#Sequence")
        self.chunk_urid = self.features.map("http://lv2plug.in/ns/ext/atom#Chunk")
        self.seq_urid = seq_urid
        for p in desc["ports"]:
            if p["kind"] == "control":
                buf = np.array([p["range"][2]], dtype=np.float32)
                if p["input"]:
                    self.control[p["symbol"]] = buf
            elif p["kind"] in ("audio", "cv"):
                buf = np.zeros(block, dtype=np.float32)
                if p["kind"] == "audio":
                    (self.audio_in if p["input"] else self.audio_out).append(buf)
            elif p["kind"] in ("atom", "event"):
                buf = np.zeros(ATOM_CAPACITY // 4, dtype=np.uint32)
                (self.atom_in if p["input"] else self.atom_out).append(buf)
            elif p["optional"]:
                continue
            else:
                raise HostError(f"LV2 plugin {uri}: port {p['symbol']!r} has a type this host cannot connect")
            self.buffers.append(buf)
            by_index[p["index"]] = buf
            self._connect(self.handle, p["index"], buf.ctypes.data)
        for sym, val in controls.items():
            self.control[sym][0] = float(val)
        self.latency_buf = by_index.get(desc["latency_port"])
        if d.activate:
            VOID_FN(d.activate)(self.handle)
        self._activate_ptr, self._deactivate_ptr = d.activate, d.deactivate

    def run(self, frames: int | None = None) -> None:
        for buf in self.atom_in:  # empty sequence: atom {size = 8 (body), type = Sequence}, body {unit, pad}
            buf[0], buf[1], buf[2], buf[3] = 8, self.seq_urid, 0, 0
        for buf in self.atom_out:  # output capacity, as a Chunk
            buf[0], buf[1] = ATOM_CAPACITY - 8, self.chunk_urid
        self._run(self.handle, self.block if frames is None else frames)
        self.features.deliver()

    @property
    def latency(self) -> int:
        return int(round(float(self.latency_buf[0]))) if self.latency_buf is not None else 0

    def reset(self) -> None:
        """Deactivate and re-activate: the plugin starts its stream again."""
        if self._deactivate_ptr:
            VOID_FN(self._deactivate_ptr)(self.handle)
        if self._activate_ptr:
            VOID_FN(self._activate_ptr)(self.handle)

    def close(self) -> None:
        if self._deactivate_ptr:
            VOID_FN(self._deactivate_ptr)(self.handle)
        self.lib.lilv_instance_free(self.inst)


def render(job: dict) -> dict:
    """Run the mono input through the chain block by block; write the (compensated) mono output.

    `block_sizes` (a list, used in turn) replaces the fixed `block_size`: run() then gets those
    frame counts (bounded by their maximum; no fixed/power-of-2 block length is promised).
    `reset_after_probe` deactivates and re-activates each plugin after the silent probe block, so
    the signal meets them as at the start of a stream (time-variant and recurrent plugins).
    """
    world = World()
    sizes = [int(b) for b in job.get("block_sizes") or []]
    sr, block = int(job["sample_rate"]), (max(sizes) if sizes else int(job.get("block_size", 512)))
    x = np.fromfile(job["input"], dtype=np.float32)
    insts = [Instance(world, step["uri"], step.get("controls", {}), sr, block, fixed=not sizes)
             for step in job["chain"]]
    # One silent block first: plugins update their latency port (and load resources via the worker).
    for inst in insts:
        for b in inst.audio_in:
            b[:] = 0.0
        inst.run()
        if job.get("reset_after_probe"):
            inst.reset()
    latencies = [inst.latency for inst in insts]
    comp = sum(latencies) if job.get("compensate_latency", True) else 0
    n = len(x)
    total = n + comp + int(job.get("tail_blocks", 0)) * block
    frames, pos = [], 0
    while pos < total:
        frames.append(sizes[len(frames) % len(sizes)] if sizes else block)
        pos += frames[-1]
    padded = np.zeros(pos, dtype=np.float32)
    padded[:n] = x
    out = np.empty_like(padded)
    left = job.get("downmix", "mean") == "left"
    pos = 0
    for m in frames:
        sig = padded[pos:pos + m]
        for inst in insts:
            for b in inst.audio_in:
                b[:m] = sig
            inst.run(m)
            sig = inst.audio_out[0][:m].copy() if left or len(inst.audio_out) == 1 else \
                np.mean([o[:m] for o in inst.audio_out], axis=0, dtype=np.float32)
        out[pos:pos + m] = sig
        pos += m
    for inst in insts:
        inst.close()
    y = out[comp:comp + n]
    if not np.isfinite(y).all():
        raise HostError("the LV2 chain produced NaN/inf samples; check the control values")
    y.astype(np.float32).tofile(job["output"])
    return {"latencies": latencies, "compensated": comp}


# --------------------------------------------------------------------------------------- LADSPA
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


# ------------------------------------------------------------------------------------- parent side
def run_tool(cmd: list[str], what: str, fail, timeout: float | None = None, env: dict | None = None,
             cwd: str | None = None, fix: str = "check the effect chain against the tool's message"):
    """Run an argument list (never a shell string); any failure → `fail(message, fix)` (raised).

    `fail` builds the exception (a backend's `_fail`), so errors name the effect and config.yaml.
    The message is one line: the tool's last `FXCORE_ERROR:` line, else its last stderr line.
    """
    import signal
    import subprocess

    try:
        proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout,
                              env=env, cwd=cwd, stdin=subprocess.DEVNULL, errors="replace")
    except FileNotFoundError:
        raise fail(f"{what}: program {cmd[0]!r} not found", "install it (see .ci/install_hosts.sh)") from None
    except subprocess.TimeoutExpired:
        raise fail(f"{what} did not finish within {timeout:g} s",
                   "raise options.timeout_s, or check that the plugin does not hang") from None
    if proc.returncode < 0:
        try:
            sig = signal.Signals(-proc.returncode).name
        except ValueError:
            sig = f"signal {-proc.returncode}"
        raise fail(f"{what} crashed ({sig}){_tail(proc.stderr, ': ')}",
                   "the plugin is broken or was given values it cannot handle; try other values or another plugin")
    if proc.returncode != 0:
        lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip()]
        ours = [ln[len("FXCORE_ERROR: "):] for ln in lines if ln.startswith("FXCORE_ERROR: ")]
        msg = ours[-1] if ours else (lines[-1] if lines else f"exit status {proc.returncode}")
        raise fail(f"{what} failed: {msg}", fix)
    return proc


def _tail(text: str, prefix: str) -> str:
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    return f"{prefix}{lines[-1][:200]}" if lines else ""


def run_child(args: list[str], what: str, fail, timeout: float | None = None, env: dict | None = None,
              fix: str = "check the plugin name and values in the chain") -> dict:
    """Run this file as a child process with `args`; return its JSON answer."""
    proc = run_tool([sys.executable, os.path.abspath(__file__), *args], what, fail, timeout, env, fix=fix)
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise fail(f"{what}: no answer from the host process{_tail(proc.stderr, ': ')}",
                   "report this host bug") from None


def main(argv: list[str]) -> int:
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
            raise HostError("usage: runner.py lv2-describe URI... | lv2-render JOB.json | "
                            "ladspa-describe FILE.so LABEL...")
    except HostError as exc:
        print(f"FXCORE_ERROR: {exc}", file=sys.stderr)
        return 2
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
