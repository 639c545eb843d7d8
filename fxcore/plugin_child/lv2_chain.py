"""Running LV2 plugins: the host features we offer, one plugin instance, and a chain rendered block by block."""

from __future__ import annotations

import ctypes as C

import numpy as np

from . import HostError
from .lilv import (
    ATOM_CAPACITY, F_BOUNDED, F_FIXED, F_LOG, F_OPTIONS, F_POW2, F_URID_MAP, F_URID_UNMAP, F_WORKER,
    LOG_PRINTF_FN, LV2, LV2_Feature, LV2_Log_Log, LV2_Options_Option, LV2_URID_Map, LV2_URID_Unmap,
    LV2_Worker_Interface, LV2_Worker_Schedule, MAP_FN, RESPOND_FN, SCHEDULE_FN, UNMAP_FN, VOID_FN,
    WORKER_INTERFACE, World
)

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
