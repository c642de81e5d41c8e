"""A macro's given parameters checked against the ``params`` schema of its manifest (the
JSON-schema subset of ``client.types.plugins.ParamSchema``), every problem named by field:
``ValidationFailed`` with ``fields={"params.<name>": [...]}`` — a 422 before any job exists."""

from __future__ import annotations

import math
from typing import Any

from adminapp.client.types.plugins import ParamProperty, ParamSchema
from adminapp.core.errors import ValidationFailed
from adminapp.core.validation import clean_text

TYPE_NAMES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
}


def _check(name: str, prop: ParamProperty, value: Any) -> tuple[Any, str]:
    """The value as the macro gets it, or an error message."""
    if prop.type == "boolean":
        if not isinstance(value, bool):
            return None, "Must be true or false."
    elif prop.type == "integer":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None, "Must be a whole number."
        if isinstance(value, float):
            if not value.is_integer():
                return None, "Must be a whole number."
            value = int(value)
    elif prop.type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None, "Must be a number."
        if isinstance(value, float) and not math.isfinite(value):
            return None, "Must be a finite number."
    else:
        if not isinstance(value, str):
            return None, "Must be text."
        try:
            value = clean_text(
                value, field=name, max_length=prop.max_length or 10_000, required=False
            )
        except ValidationFailed as exc:
            return None, next(iter(exc.fields.values()), [exc.message])[0]
    if prop.enum is not None and value not in prop.enum:
        return None, "Must be one of " + ", ".join(repr(v) for v in prop.enum) + "."
    if prop.minimum is not None and value < prop.minimum:
        return None, f"Must be at least {prop.minimum:g}."
    if prop.maximum is not None and value > prop.maximum:
        return None, f"Must be at most {prop.maximum:g}."
    return value, ""


def params_validate(schema: dict[str, Any] | None, given: dict[str, Any] | None) -> dict[str, Any]:
    """The parameters with defaults filled in; raises ``ValidationFailed`` naming each field."""
    parsed = ParamSchema.model_validate(schema or {})
    given = given or {}
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name in given:
        if name not in parsed.properties:
            errors[f"params.{name}"] = ["This macro has no such parameter."]
    for name, prop in parsed.properties.items():
        if name not in given or given[name] is None:
            if prop.default is not None:
                values[name] = prop.default
            elif name in parsed.required:
                errors[f"params.{name}"] = ["This field is required."]
            continue
        value, error = _check(name, prop, given[name])
        if error:
            errors[f"params.{name}"] = [error]
        else:
            values[name] = value
    for name in parsed.required:
        if values.get(name) == "" and f"params.{name}" not in errors:
            errors[f"params.{name}"] = ["This field is required."]
    if errors:
        raise ValidationFailed("The macro's parameters are not valid.", fields=errors)
    return values
