"""JSON text for the hot paths (request and response bodies, JSON columns, audit batches): orjson, several
times faster than the standard library, which still answers what orjson refuses to handle.

orjson reads NaN/Infinity literals, lone surrogates and byte-order marks as errors and writes integers beyond
64 bits and non-string keys as errors: those values go through the standard library, so they behave as they
always did. Two differences remain: orjson writes NaN as ``null`` (the standard library writes ``NaN``, which
is not JSON), and reads integers beyond 64 bits as floats — which is why user documents whose numbers must
survive exactly (profile objects) are read with the standard library instead.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

Fragment = orjson.Fragment  # JSON text already written, placed as it is inside what ``dumps`` writes


def loads(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def dumps_bytes(value: Any) -> bytes:
    """Compact JSON as UTF-8 bytes (non-ASCII characters written as they are)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def dumps(value: Any) -> str:
    return dumps_bytes(value).decode()
