"""The child process that hosts LV2 plugins (lilv via ctypes) and inspects LADSPA plugins.

This package is standalone on purpose (numpy + the standard library only, no other fxcore import):
the parent (fxcore.effects.child.run_child) runs `python -m fxcore.plugin_child ...`, so a plugin
that crashes takes down this child only and the parent turns the exit status into a one-line
FxcoreError. Modules: lilv (ctypes bindings and plugin descriptions), lv2_chain (host features,
instances, rendering a chain), ladspa (the LADSPA inspector), __main__ (the command line). Child commands answer on stdout
with one JSON object (plugin chatter on stdout is redirected to stderr):

    python -m fxcore.plugin_child lv2-describe URI [URI ...]
        → {"plugins": {URI: {name, audio_in, audio_out, controls: {symbol: [min, max, default]},
                             latency_port, required_features, missing_features}},
           "missing": [URI ...]}
    python -m fxcore.plugin_child lv2-render JOB.json
        JOB = {"chain": [{"uri": ..., "controls": {symbol: value}}], "sample_rate": 48000,
               "block_size": 512, "downmix": "mean"|"left", "compensate_latency": true,
               "input": "in.f32", "output": "out.f32", "tail_blocks": 0,
               "block_sizes": [optional list, used in turn], "reset_after_probe": false}
        → {"latencies": [int per plugin], "compensated": int}
    python -m fxcore.plugin_child ladspa-describe FILE.so LABEL [FILE.so LABEL ...]
        → {"plugins": {"FILE.so:LABEL": {name, controls: [[name, min, max, default]],
                                          audio_in, audio_out}}, "missing": [...]}

Host features offered: urid:map/unmap, options:options (min/max/nominal block length, sample
rate), buf-size:boundedBlockLength/fixedBlockLength/powerOf2BlockLength (the last block is
zero-padded, so every run() call gets exactly `block_size` frames), worker:schedule (a
synchronous worker: work() runs immediately, responses are delivered after run()), log:log.
Errors are printed as one line `FXCORE_ERROR: ...` on stderr with exit status 2.
"""


class HostError(Exception):
    """A failure this host explains in one line."""
