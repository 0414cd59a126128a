"""Shape-driven conversion between JSON/CBOR document trees and typed parameters.

JSON and CBOR bodies are both trees of maps, lists and scalars; they differ only
in how blobs and timestamps travel. ``TreeFormat`` captures that difference, and
one reader/writer pair serves json, rest-json and smithy-rpc-v2-cbor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from botocore.model import Shape

from profilestack.gateway.codecs.compiled import PerShape, each_item, each_value
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
    to_datetime,
)
from profilestack.gateway.encoded import EncodedJson
from profilestack.jsontext import Fragment


@dataclass(frozen=True)
class TreeFormat:
    read_blob: Callable[[Any], bytes]
    write_blob: Callable[[Any], Any]
    read_timestamp: Callable[[Any, str | None], datetime]
    write_timestamp: Callable[[Any, str | None], Any]
    write_float: Callable[[float], Any]
    keeps_json_text: bool  # pre-encoded structures (gateway.encoded) go out as their text


def _json_timestamp_in(value: Any, fmt: str | None) -> datetime:
    if isinstance(value, str):
        return parse_timestamp(value, fmt)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return to_datetime(value)
    raise MalformedInput(f"Invalid timestamp value: {value!r}")


def _json_blob_in(value: Any) -> bytes:
    if not isinstance(value, str):
        raise MalformedInput("Expected a base64-encoded string")
    return decode_base64(value)


JSON_FORMAT = TreeFormat(
    read_blob=_json_blob_in,
    write_blob=encode_base64,
    read_timestamp=_json_timestamp_in,
    write_timestamp=lambda value, fmt: format_timestamp(value, fmt or "unixTimestamp"),
    write_float=float_text,
    keeps_json_text=True,
)


def _cbor_timestamp_in(value: Any, fmt: str | None) -> datetime:
    if isinstance(value, datetime):
        return to_datetime(value)
    return _json_timestamp_in(value, fmt)


def _cbor_blob_in(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    raise MalformedInput("Expected a byte string")


CBOR_FORMAT = TreeFormat(
    read_blob=_cbor_blob_in,
    write_blob=lambda value: value.encode() if isinstance(value, str) else bytes(value),
    read_timestamp=_cbor_timestamp_in,
    write_timestamp=lambda value, fmt: to_datetime(value),
    write_float=lambda value: value,
    keeps_json_text=False,
)


def wire_name(member: Shape, name: str) -> str:
    return member.serialization.get("name", name)


def read_tree(shape: Shape, value: Any, fmt: TreeFormat) -> Any:
    """A wire tree as typed params; unknown members are dropped, nulls are absent."""
    kind = shape.type_name
    if kind == "structure":
        if shape.metadata.get("document"):
            return value
        if not isinstance(value, dict):
            raise MalformedInput(f"Expected an object for {shape.name}")
        result: dict[str, Any] = {}
        for name, member in shape.members.items():
            item = value.get(wire_name(member, name))
            if item is not None:
                result[name] = read_tree(member, item, fmt)
        return result
    if kind == "list":
        if not isinstance(value, list):
            raise MalformedInput(f"Expected a list for {shape.name}")
        return [read_tree(shape.member, item, fmt) for item in value if item is not None]
    if kind == "map":
        if not isinstance(value, dict):
            raise MalformedInput(f"Expected a map for {shape.name}")
        return {key: read_tree(shape.value, item, fmt) for key, item in value.items() if item is not None}
    return read_scalar(shape, value, fmt)


def read_scalar(shape: Shape, value: Any, fmt: TreeFormat) -> Any:
    kind = shape.type_name
    if kind == "string":
        if not isinstance(value, str):
            raise MalformedInput(f"Expected a string for {shape.name}")
        return value
    if kind in ("integer", "long", "short", "byte"):
        return parse_int(value, kind) if not isinstance(value, str) else _strict_int(value)
    if kind in ("float", "double"):
        return parse_float(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise MalformedInput(f"Expected a boolean for {shape.name}")
        return value
    if kind == "blob":
        return fmt.read_blob(value)
    if kind == "timestamp":
        return fmt.read_timestamp(value, shape.serialization.get("timestampFormat"))
    return value


def _strict_int(value: str) -> int:
    raise MalformedInput(f"Expected an integer, got the string {value!r}")


Writer = Callable[[Any], Any]


def write_tree(shape: Shape, value: Any, fmt: TreeFormat) -> Any:
    """Typed result values as a wire tree, following the shape."""
    writer = _writer(shape, fmt)
    return value if writer is None else writer(value)


def _build_writer(shape: Shape, fmt: TreeFormat) -> Writer | None:
    """How to write the shape's values; None when a value goes on the wire as it is."""
    kind = shape.type_name
    if kind == "structure" and not shape.metadata.get("document"):
        return _StructureWriter(shape, fmt)
    if kind == "list":
        item_writer = _writer(shape.member, fmt)
        return partial(each_item, item_writer) if item_writer is not None else None
    if kind == "map":
        item_writer = _writer(shape.value, fmt)
        return partial(each_value, item_writer) if item_writer is not None else None
    if kind == "blob":
        return fmt.write_blob
    if kind == "timestamp":
        return partial(fmt.write_timestamp, fmt=shape.serialization.get("timestampFormat"))
    if kind in ("float", "double"):
        return partial(_write_float, fmt.write_float)
    if kind == "boolean":
        return parse_bool
    return None


_writer: PerShape[Writer | None] = PerShape(_build_writer)


class _StructureWriter:
    """Writes one structure shape's values; members are compiled on first use (shapes may be recursive)."""

    def __init__(self, shape: Shape, fmt: TreeFormat) -> None:
        self.shape, self.fmt = shape, fmt
        self.fields: dict[str, tuple[str, Writer | None]] | None = None

    def _compile(self) -> dict[str, tuple[str, Writer | None]]:
        fields = {name: (wire_name(member, name), _writer(member, self.fmt))
                  for name, member in self.shape.members.items()}
        self.renamed = any(wire != name for name, (wire, _) in fields.items())
        self.converted = [(name, writer) for name, (_, writer) in fields.items() if writer is not None]
        self.fields = fields  # last: another thread uses the writer once it sees the fields
        return fields

    def __call__(self, value: dict[str, Any] | EncodedJson) -> Any:
        if type(value) is EncodedJson:
            if self.fmt.keeps_json_text:
                return Fragment(value.text)
            value = value.decoded()
        fields = self.fields or self._compile()
        if not self.renamed and value.keys() <= fields.keys() and None not in value.values():
            # the value is already its wire form but for the members that convert (a profile: its addresses)
            out = value
            for name, writer in self.converted:
                item = value.get(name)
                if item is not None:
                    written = writer(item)
                    if written is not item:
                        out = dict(value) if out is value else out
                        out[name] = written
            return out
        out = {}
        for name, item in value.items():
            field = fields.get(name)
            if field is None or item is None:
                continue
            wire, writer = field
            out[wire] = item if writer is None else writer(item)
        return out


def _write_float(write_float: Callable[[float], Any], value: Any) -> Any:
    return write_float(float(value))
