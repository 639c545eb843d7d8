"""fxcore: learn models of musical effects from clean/processed audio pairs."""

__version__ = "0.1.0"
