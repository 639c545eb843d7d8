"""Effect hosts ("backends"), registered by name; importing this package registers all of them."""

from .base import EffectBackend, backend_names, make_backend, register_backend  # noqa: F401
from . import pedalboard_host  # noqa: F401  (registration side effect)
from . import lv2_host, recorded, reaper_host, sox_host, vst3_host  # noqa: F401,E401  (real effect hosts)
