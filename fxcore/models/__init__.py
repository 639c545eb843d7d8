"""Effect models, registered by name; importing this package registers all of them."""

from .base import EffectModel, build_model, model_class, model_names, register_model  # noqa: F401
from . import cnn, rnn, wavenet, wiener_hammerstein  # noqa: F401  (registration side effects)
from . import chorus, compressor, feedback_delay, flanger, hybrid, ir, octave, phaser, tremolo  # noqa: F401  (grey-box: registration)
from . import series  # noqa: F401  (compositions: two models in a row)
from . import auto  # noqa: F401,E402  (`model: auto`: the selection step's name and parameters)
