"""Export trained models as real-time plugins: `export_lv2` (C code + LV2 bundle, compiled here)."""

from .lv2 import export_lv2  # noqa: F401
from . import chorus, compressor, fir, flanger, hybrid, octave, phaser, rnn, series, tremolo, wavenet, wiener_hammerstein  # noqa: F401  (emitter registration)
