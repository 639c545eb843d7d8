"""Each model's parameter schema, read from its constructor's signature, so config typos fail early.

The constructor is the declaration: `def __init__(self, sample_rate, hidden: int = 16, ...)` gives
{"hidden": {"type": "integer"}}; a name it does not take, or a value of the wrong type, is a
one-line error at config-check time, before any job runs (not after synthesis, rendering and
sharding, in the training job).
"""

from __future__ import annotations

import difflib
import inspect
import types
import typing
from collections.abc import Sequence
from typing import Any

import jsonschema

from ..errors import FxcoreError

_SCALARS = {int: {"type": "integer"}, float: {"type": "number"}, bool: {"type": "boolean"}, str: {"type": "string"},
            type(None): {"type": "null"}}


def _type_schema(tp: Any) -> dict[str, Any]:
    """JSON schema of one annotation (int, float, bool, str, X | None, sequences, tuples, dicts; else any)."""
    if tp in _SCALARS:
        return dict(_SCALARS[tp])
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [_type_schema(a) for a in args]}
    if origin is tuple and args and args[-1] is not Ellipsis:
        items = [_type_schema(a) for a in args]
        return {"type": "array", "prefixItems": items, "minItems": len(items), "maxItems": len(items)}
    if origin in (list, tuple, Sequence) or (origin is not None and isinstance(origin, type)
                                            and issubclass(origin, Sequence) and origin is not str):
        return {"type": "array", "items": _type_schema(args[0])} if args else {"type": "array"}
    if origin is dict or tp is dict:
        return {"type": "object"}
    return {}


def param_schema(cls: type) -> dict[str, Any]:
    """JSON schema of a model class's keyword parameters (all but `sample_rate`), from its __init__."""
    hints = typing.get_type_hints(cls.__init__)
    props, required = {}, []
    for name, p in inspect.signature(cls.__init__).parameters.items():
        if name in ("self", "sample_rate") or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        props[name] = _type_schema(hints.get(name, Any))
        if p.default is p.empty:
            required.append(name)
    return {"type": "object", "properties": props, "required": required, "additionalProperties": False}


def check_params(model: str, cls: type, params: dict[str, Any]) -> None:
    """Raise a one-line FxcoreError (no path) if `params` do not fit `cls`'s constructor."""
    schema = param_schema(cls)
    names = sorted(schema["properties"])
    replaced = getattr(cls, "replaced_params", {})
    for key in params:
        if key in replaced:
            raise FxcoreError(f"model {model!r} no longer has parameter {key!r}", None, replaced[key])
        if key not in schema["properties"]:
            close = difflib.get_close_matches(key, names, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise FxcoreError(f"model {model!r} has no parameter {key!r}", None,
                              f"{hint}valid parameters: {', '.join(names)}")
    for key in schema["required"]:
        if key not in params:
            raise FxcoreError(f"model {model!r} needs parameter {key!r}", None, f"set model.params.{key}")
    for key, value in params.items():
        try:
            jsonschema.validate(value, schema["properties"][key])
        except jsonschema.ValidationError:
            want = _describe(schema["properties"][key])
            raise FxcoreError(f"model {model!r} parameter {key!r} must be {want}, not {value!r}", None,
                              f"write {key}: as {want} (no quotes around numbers)") from None


_PLURAL = {"integer": "integers", "number": "numbers", "boolean": "booleans", "string": "strings"}


def _describe(s: dict[str, Any]) -> str:
    if "anyOf" in s:
        return " or ".join(_describe(a) for a in s["anyOf"])
    if s.get("type") == "array":
        inner = s.get("prefixItems") or ([s["items"]] if "items" in s else [])
        kinds = sorted({_PLURAL.get(i.get("type", ""), "values") for i in inner})
        size = f"{s['minItems']} " if "minItems" in s else ""
        return f"a list of {size}{'/'.join(kinds) or 'values'}"
    return {"integer": "an integer", "number": "a number", "boolean": "true or false", "string": "a string",
            "null": "null", "object": "a mapping"}.get(s.get("type", ""), "any value")
