#!/usr/bin/env bash
# Install the Debian packages the real effect hosts (fxcore/effects/*_host.py) and
# tests/test_backends.py need. Idempotent and non-interactive; safe to re-run.
#   sox + caps/tap/swh     → backend `sox` (SoX built-ins + LADSPA plugins)
#   liblilv-0-0 + plugins  → backend `lv2` (in-process lilv host via ctypes, in a subprocess)
#   zam-plugins            → backend `vst3` (pedalboard.load_plugin on /usr/lib/vst3/*.vst3)
#   fluidsynth + GM sf2    → fxcore.material (instrument audio for bench/generalise.py)
# REAPER is not packaged by Debian: backend `reaper` needs it installed by hand.
set -euo pipefail

PACKAGES=(
  sox libsox-fmt-base          # SoX with WAV/float I/O and the `ladspa` effect
  caps tap-plugins swh-plugins # LADSPA plugins (AmpVTS, CabinetIV, TAP reverb, SWH …)
  liblilv-0-0 lv2-dev          # lilv (LV2 host library) + LV2 spec bundles (core, urid, options …)
  lilv-utils                   # lv2ls / lv2info: list and inspect installed LV2 plugins
  guitarix-lv2 calf-plugins    # LV2 plugins: guitarix amps/pedals/cabinets, calf reverb/chorus/…
  zam-plugins                  # VST3 (and LV2) plugins: ZamTube, ZamComp, ZamVerb …
  gcc libc6-dev                # C compiler for `fxcore export-lv2` (plugins built against lv2-dev's headers)
  fluidsynth fluid-soundfont-gm # real playing material (fxcore/material.py): MIDI → FluidR3 GM instruments
)

exec bash "$(dirname "$0")/apt_install.sh" install_hosts "${PACKAGES[@]}"
