"""Benchmarks that drive fxcore (and, when installed, Neural Amp Modeler) on the same audio.

`python -m bench.accuracy` — held-out accuracy and inference speed per pair and system.
"""
