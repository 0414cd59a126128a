"""Scalar conversions shared by every codec: timestamps, blobs, floats."""

from __future__ import annotations

import base64
import binascii
import math
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from profilestack.gateway.errors import AwsError
from profilestack.utc_times import parse_utc


class MalformedInput(AwsError):
    """A value on the wire that cannot be read as its modelled type."""

    def __init__(self, message: str) -> None:
        super().__init__("SerializationException", message, 400)


def to_datetime(value: object) -> datetime:
    """Accept what handlers and tests hand us: datetimes or epoch seconds."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return from_epoch(value)
    if isinstance(value, str):
        return parse_timestamp(value, None)
    raise TypeError(f"not a timestamp: {value!r}")


def from_epoch(seconds: float) -> datetime:
    """Epoch seconds as a date; a number no date can hold (past year 9999, infinite, NaN) is malformed input."""
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise MalformedInput(f"Invalid timestamp value: {seconds!r}") from exc


def parse_timestamp(text: str, fmt: str | None) -> datetime:
    """Read a timestamp in the modelled format, or in any format AWS accepts."""
    text = text.strip()
    try:
        if fmt == "unixTimestamp" or (fmt is None and _looks_numeric(text)):
            return datetime.fromtimestamp(float(text), UTC)
        if fmt == "rfc822" or (fmt is None and "," in text):
            return parsedate_to_datetime(text).astimezone(UTC)
        return parse_utc(text)
    except (ValueError, OverflowError, TypeError) as exc:
        raise MalformedInput(f"Invalid timestamp value: {text!r}") from exc


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def format_iso8601(value: datetime) -> str:
    """``2026-11-26T03:40:00Z``, with milliseconds when there are any (isoformat: strftime costs five times more)."""
    value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="milliseconds" if value.microsecond else "seconds") + "Z"


def format_rfc822(value: datetime) -> str:
    return format_datetime(value.astimezone(UTC), usegmt=True)


def epoch_seconds(value: datetime) -> int | float:
    seconds = value.timestamp()
    return int(seconds) if seconds == int(seconds) else round(seconds, 3)


def format_timestamp(value: object, fmt: str) -> str | int | float:
    moment = to_datetime(value)
    if fmt == "unixTimestamp":
        return epoch_seconds(moment)
    if fmt == "rfc822":
        return format_rfc822(moment)
    return format_iso8601(moment)


def decode_base64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedInput("Invalid base64 value") from exc


def encode_base64(value: bytes | str) -> str:
    if isinstance(value, str):
        value = value.encode()
    return base64.b64encode(value).decode()


_SPECIAL_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def parse_float(value: object) -> float:
    if isinstance(value, str):
        if value in _SPECIAL_FLOATS:
            return _SPECIAL_FLOATS[value]
        try:
            return float(value)
        except ValueError as exc:
            raise MalformedInput(f"Invalid number: {value!r}") from exc
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:  # an integer past the largest double (CBOR bignums, JSON's long literals)
            raise MalformedInput("Number out of range: it is larger than a double can hold.") from None
    raise MalformedInput(f"Expected a number, got {value!r}")


def float_text(value: float) -> str | float:
    """Floats that JSON cannot carry travel as the strings Smithy defines."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


_INTEGER_BITS = {"byte": 8, "short": 16, "integer": 32, "long": 64}


def parse_int(value: object, kind: str) -> int:
    """An integer of the Smithy type ``kind``: one outside the type's range is malformed, as a number no
    client could have serialized from it."""
    number = _parse_int(value)
    bits = _INTEGER_BITS[kind]
    if not -(1 << (bits - 1)) <= number < 1 << (bits - 1):
        raise MalformedInput(f"Number out of range for {kind}, a {bits}-bit integer.")
    return number


def _parse_int(value: object) -> int:
    if isinstance(value, bool):
        raise MalformedInput(f"Expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError as exc:
            raise MalformedInput(f"Invalid integer: {value!r}") from exc
    raise MalformedInput(f"Expected an integer, got {value!r}")


def parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise MalformedInput(f"Expected a boolean, got {value!r}")
