"""Where the periods an alarm evaluates lie (pure): a sliding window ends at the evaluation, the current period
included; a wall clock window ends at the last clock boundary of the alarm's period — the minute, the five
minutes, the top of the hour, midnight, Monday's midnight — in its time zone, and so holds complete periods only."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WALL_CLOCK_PERIODS = (60, 300, 3600, 86400, 604800)
_OFFSET = re.compile(r"(?:UTC)?([+-])(\d\d):(\d\d)\Z")
_DAY, _WEEK = 86400, 604800


def window_zone(text: str | None) -> tzinfo:
    """A WallClockWindow's Timezone: an IANA name (``America/New_York``), a fixed offset (``+05:30``) or an
    offset-prefixed one (``UTC+05:30``) in whole multiples of 5 minutes; UTC when none is given. ValueError says why
    another is not one."""
    if text is None:
        return UTC
    found = _OFFSET.match(text)
    if found is not None:
        hours, minutes = int(found.group(2)), int(found.group(3))
        if minutes > 59 or minutes % 5 or hours > 14:
            raise ValueError("an offset is at most 14 hours, in whole multiples of 5 minutes")
        offset = timedelta(hours=hours, minutes=minutes)
        return timezone(-offset if found.group(1) == "-" else offset)
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("it is neither an IANA time zone name nor an offset such as +05:30") from None


def evaluated_periods(now: datetime, period: int, count: int, wall_clock: tzinfo | None = None
                      ) -> list[tuple[datetime, datetime]]:
    """(start, end) of each evaluated period, oldest first, in UTC; ``wall_clock``: the window's time zone, None for
    a sliding window."""
    if wall_clock is None:
        starts = [now - timedelta(seconds=period * (count - index)) for index in range(count)]
        return [(start, start + timedelta(seconds=period)) for start in starts]
    local = now.astimezone(wall_clock)
    if period < _DAY:  # minutes and hours keep their length across daylight saving time: step in absolute time
        minutes = period // 60
        boundary = local.replace(minute=local.minute - local.minute % minutes if minutes < 60 else 0, second=0,
                                 microsecond=0)
        ends = [boundary.astimezone(UTC) - timedelta(seconds=period * back) for back in range(count + 1)]
    else:  # days and weeks are calendar ones: step in local time, each boundary at local midnight
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
        if period == _WEEK:
            midnight -= timedelta(days=midnight.weekday())
        step = timedelta(days=period // _DAY)
        ends = [_aware(midnight - step * back, wall_clock).astimezone(UTC) for back in range(count + 1)]
    ends.reverse()
    return list(itertools.pairwise(ends))


def _aware(wall: datetime, zone: tzinfo) -> datetime:
    """A local wall time in ``zone`` (the earlier of two, when clocks go back; the one after a gap, when they go
    forward, as ZoneInfo reads it)."""
    return wall.replace(tzinfo=zone)
