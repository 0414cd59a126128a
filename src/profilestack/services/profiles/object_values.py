"""Numbers and moments read from an object's text values, as event triggers and calculated attributes compare
and aggregate them."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from profilestack.utc_times import parse_utc


def number(text: str) -> float | None:
    """A finite number, or None ("nan" and "inf" are text here, not numbers)."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def moment(text: str) -> datetime | None:
    """Epoch seconds (or milliseconds, when too large for seconds) or an ISO 8601 date and time, in UTC: one
    without an offset is read as UTC, as AWS's hosts read it, whatever this server's time zone, and a date (an
    ``ON`` condition's) is the UTC one."""
    seconds = number(text)
    try:
        if seconds is not None:
            return datetime.fromtimestamp(seconds / 1000 if seconds > 1e11 else seconds, UTC)
        return parse_utc(text)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
