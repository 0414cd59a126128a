"""ISO 8601 times as AWS reads them: in UTC, whatever the time zone of the machine profilestack runs on."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_utc(text: str) -> datetime:
    """An ISO 8601 date, or date and time, as an aware datetime in UTC: ``Z`` is UTC, another offset is converted,
    and none is read as UTC, as AWS's hosts (which run in UTC) read it. ValueError when it is not one."""
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
