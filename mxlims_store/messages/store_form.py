"""Validators that give an object's store form straight away: the models' own pydantic-core
schemas with each model turned into a typed dict.

``Model.model_validate(doc).model_dump(mode="json", exclude_unset=True, exclude_none=True)``
builds a model instance per object (and per nested model) only to turn it back into a dict.
Validating against the same core schema with every ``model`` node made a ``typed-dict`` node
gives that dict at once, from the very validators (strictness, patterns, literals, bounds, int
read as float, discriminated unions, extra fields), about four times faster. The rewrite keeps
every rule of the model:

* ``X | None = None`` fields become optional keys whose value may not be null (the models
  refuse null in standard JSON through ``StrictModel._refuse_nulls``, which this replaces);
  fields without a default stay required; an absent key stays absent (``exclude_unset``).
* ``mode="after"`` model validators (one origin for a Dataset, a reachable Person ...) run on
  a read-only view of the dict with every unset field None, as on the model.
* Anything else wrapped around a model (a ``before`` or ``wrap`` validator other than the null
  refusal, a dataclass) is not rewritten: that type keeps the model path (``None`` here).

The clean path of reading relies on it; its equality test runs both over every fixture,
official example, generated message and random variants.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic_core import SchemaValidator

from mxlims_store.model.base import MxlimsObject
from mxlims_store.model.basic_types import StrictModel

_REFUSE_NULLS = StrictModel._refuse_nulls.__func__
# keys of a core schema that hold no schema to rewrite
_OPAQUE = frozenset(
    {"metadata", "cls", "function", "ref", "config", "serialization", "default", "expected"}
)
_MODEL_WRAPPERS = frozenset(
    {"model-fields", "model-field", "dataclass", "dataclass-args", "function-wrap"}
)


class _Unsupported(Exception):
    """A schema node this rewrite does not know to keep the model's meaning for."""


def store_form_validator(model: type[MxlimsObject]) -> SchemaValidator | None:
    """A validator of a list of store-form documents of ``model`` giving their dumps; None
    when the model holds something the rewrite cannot carry over."""
    model.model_rebuild()  # the validators are deferred: build the schema now
    try:
        schema = _rewrite({"type": "list", "items_schema": model.__pydantic_core_schema__})
    except _Unsupported:
        return None
    return SchemaValidator(schema)


def _rewrite(node: Any) -> Any:
    if isinstance(node, list):
        return [_rewrite(item) for item in node]
    if not isinstance(node, dict):
        return node
    kind = node.get("type")
    if kind == "model":
        return _typed_dict(node)
    if kind == "function-after":
        return _after(node)
    if kind in _MODEL_WRAPPERS or (kind == "function-before" and _model_under(node)):
        raise _Unsupported(kind)
    return {k: v if k in _OPAQUE else _rewrite(v) for k, v in node.items()}


def _model_under(node: dict[str, Any]) -> bool:
    inner = node.get("schema")
    return isinstance(inner, dict) and inner.get("type") in ("model", "model-fields")


def _typed_dict(node: dict[str, Any]) -> dict[str, Any]:
    inner = node["schema"]
    if inner["type"] == "function-before":  # the null refusal: done by the fields below
        if getattr(inner["function"]["function"], "__func__", None) is not _REFUSE_NULLS:
            raise _Unsupported("a before validator")
        inner = inner["schema"]
    if inner["type"] != "model-fields" or inner.get("computed_fields"):
        raise _Unsupported(inner["type"])
    fields = {}
    for name, field in inner["fields"].items():
        if set(field) - {"type", "schema", "metadata"}:  # aliases, exclusions ...
            raise _Unsupported(f"field {name}")
        schema, required = field["schema"], True
        if schema["type"] == "default":
            schema, required = schema["schema"], False
        if schema["type"] == "nullable":  # absent, never null
            schema = schema["schema"]
        fields[name] = {
            "type": "typed-dict-field",
            "schema": _rewrite(schema),
            "required": required,
        }
    config = dict(node.get("config", {}))
    typed: dict[str, Any] = {
        "type": "typed-dict",
        "fields": fields,
        "config": config,
        "extra_behavior": config.get("extra_fields_behavior", "ignore"),
    }
    if "extras_schema" in inner:
        typed["extras_schema"] = _rewrite(inner["extras_schema"])
    if "ref" in node:
        typed["ref"] = node["ref"]
    return typed


def _after(node: dict[str, Any]) -> dict[str, Any]:
    """A model's ``mode="after"`` validator, run on a view of the dict."""
    inner = node["schema"]
    while inner.get("type") == "function-after":
        inner = inner["schema"]
    if inner.get("type") != "model":
        return {k: v if k in _OPAQUE else _rewrite(v) for k, v in node.items()}
    function = node["function"]
    if function["type"] != "no-info":  # one that reads the validation info: not rewritten
        raise _Unsupported("an after validator with info")
    check = _on_view(function["function"], list(inner["cls"].model_fields))
    rewritten = {**node, "function": {"type": "no-info", "function": check}}
    rewritten["schema"] = _rewrite(node["schema"])
    return rewritten


def _on_view(
    validator: Callable[[Any], Any], fields: list[str]
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    # A validated dict read as its model would be: the dict itself is the view's __dict__ (a
    # field's value read at C speed, no copy), an unset field reads the class's None, and a
    # name the model does not have raises AttributeError. (A Python ``__getattr__`` per read
    # cost ~1 us; a results return runs such a rule on 3,200 datasets.)
    view_type = type("_View", (), {"__slots__": ("__dict__",), **dict.fromkeys(fields)})
    new_view = object.__new__

    def check(data: dict[str, Any]) -> dict[str, Any]:
        view: Any = new_view(view_type)
        view.__dict__ = data
        validator(view)  # raises when the rule is broken
        return data

    return check
