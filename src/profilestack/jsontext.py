"""JSON text for the hot paths (request and response bodies, JSON columns, audit batches): orjson, several
times faster than the standard library, which still answers what orjson refuses to handle.

orjson reads NaN/Infinity literals, lone surrogates and byte-order marks as errors and writes integers beyond
64 bits and non-string keys as errors: those values go through the standard library, so they behave as they
always did, except lone surrogates (refused, ``loads_exact``). Two differences remain: NaN and infinities are
written as ``null`` (the standard library would write ``NaN``, which is not JSON), and orjson reads integers
beyond 64 bits as floats — which is why user documents whose numbers must survive exactly (profile objects) are
read with the standard library instead (``loads_exact``). Text nested too deeply for either reader is a
``ValueError``, like any other malformed text.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

import orjson

Fragment = orjson.Fragment  # JSON text already written, placed as it is inside what ``dumps`` writes


def loads(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return loads_exact(text)


def loads_exact(text: str | bytes) -> Any:
    """The standard library's reading: integers of any size stay exact.

    Two kinds of text it would take are refused as malformed (``ValueError``), as orjson refuses them: text
    nested too deeply (the standard library raises ``RecursionError``) and a ``\\u`` escape of half a surrogate
    pair, which makes a string no UTF-8 can carry: it could be neither stored nor answered."""
    escapes = _SURROGATE_ESCAPE if isinstance(text, str) else _SURROGATE_ESCAPE_BYTES
    try:
        value = json.loads(text)
        if escapes.search(text) and _has_lone_surrogate(value):
            raise ValueError("JSON text with an unpaired surrogate escape")
    except RecursionError as exc:
        raise ValueError("JSON text nested too deeply") from exc
    return value


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE_ESCAPE_BYTES = re.compile(_SURROGATE_ESCAPE.pattern.encode())


def _has_lone_surrogate(value: Any) -> bool:
    return any(not text.isascii() and any("\ud800" <= char <= "\udfff" for char in text)
               for text in strings_in(value))


def strings_in(value: Any) -> Iterator[str]:
    """Every string of a decoded JSON value, object keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def dumps_bytes(value: Any) -> bytes:
    """Compact JSON as UTF-8 bytes (non-ASCII characters written as they are)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(_finite(value), separators=(",", ":"), ensure_ascii=False).encode()


def _finite(value: Any) -> Any:
    """NaN and infinities as ``null``, as orjson writes them: the standard library's ``NaN`` is not JSON, and
    PostgreSQL refuses it in a JSON column."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def dumps(value: Any) -> str:
    return dumps_bytes(value).decode()
