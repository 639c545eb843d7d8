"""C emitter for `series`: each stage's own emitter's C (renamed First*/Second*), then c/series.c."""

from __future__ import annotations

from ..errors import FxcoreError
from ..models.series import Series
from .cgen import c_source
from .family import CModel, emitter, register_emitter
from .hybrid import renamed


def _families(model) -> set[str]:
    """The C parts a stage brings (a hybrid brings its block's too)."""
    inner = getattr(model, "block", None)
    return {model.name} | (_families(inner) if inner is not None else set())


@register_emitter("series")
def emit(model: Series) -> CModel:
    """Both stages in one plugin; the same family twice would define its C helpers twice, so it is refused."""
    shared = _families(model.first) & _families(model.second)
    if shared:
        raise FxcoreError(f"a series of two {', '.join(sorted(shared))} stages cannot be exported yet", None,
                          "export chains of two different families (e.g. wiener_hammerstein then ir)")
    first, second = emitter(model.first.name)(model.first), emitter(model.second.name)(model.second)
    code = renamed(first.code, "first") + renamed(second.code, "second") + c_source("series.c")
    return CModel(code, first.latency + second.latency, f"{first.method}; then {second.method}")
