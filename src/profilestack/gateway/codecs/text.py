"""Scalars carried as text — query form fields, XML elements, URI labels, query strings, headers."""

from __future__ import annotations

import json
from typing import Any

from botocore.model import Shape

from profilestack import jsontext
from profilestack.gateway.codecs.values import (
    MalformedInput,
    decode_base64,
    encode_base64,
    float_text,
    format_timestamp,
    parse_bool,
    parse_float,
    parse_int,
    parse_timestamp,
)


def scalar_from_text(shape: Shape, text: str, time_format: str | None) -> Any:
    """A typed value from its text form; ``time_format`` applies unless the shape names its own."""
    kind = shape.type_name
    if kind == "string" and shape.serialization.get("jsonvalue"):
        try:
            return jsontext.loads_exact(decode_base64(text))
        except ValueError as exc:
            raise MalformedInput("Invalid JSON value") from exc
    if kind in ("integer", "long", "short", "byte"):
        return parse_int(text, kind)
    if kind in ("float", "double"):
        return parse_float(text)
    if kind == "boolean":
        return parse_bool(text)
    if kind == "blob":
        return decode_base64(text)
    if kind == "timestamp":
        return parse_timestamp(text, shape.serialization.get("timestampFormat", time_format))
    return text


def scalar_to_text(shape: Shape, value: Any, time_format: str) -> str:
    """The text form of a typed value; ``time_format`` applies unless the shape names its own."""
    kind = shape.type_name
    if kind == "string" and shape.serialization.get("jsonvalue"):
        return encode_base64(json.dumps(value, separators=(",", ":")))
    if kind == "boolean":
        return "true" if parse_bool(value) else "false"
    if kind in ("float", "double"):
        return str(float_text(float(value)))
    if kind == "timestamp":
        return str(format_timestamp(value, shape.serialization.get("timestampFormat", time_format)))
    if kind == "blob":
        return encode_base64(value)
    return str(value)
