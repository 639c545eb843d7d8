"""lilv (the LV2 host library) over ctypes: the LV2 structs, the URIs we speak, and plugin descriptions."""

from __future__ import annotations

import ctypes as C
import ctypes.util

import numpy as np

from . import HostError


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
