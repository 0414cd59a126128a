"""Where an alarm's evaluated periods lie: sliding windows end now, wall clock windows at the last boundary of the
period in their time zone — across daylight saving time too."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from profilestack.services.cloudwatch.alarm_windows import evaluated_periods, window_zone

NOW = datetime(2026, 3, 8, 10, 37, 42, tzinfo=UTC)  # New York moved its clocks forward at 07:00 UTC that day


def shown(periods: list[tuple[datetime, datetime]]) -> list[str]:
    return [f"{start:%m-%d %H:%M:%S}/{end:%m-%d %H:%M:%S}" for start, end in periods]


def test_a_sliding_window_ends_now() -> None:
    assert shown(evaluated_periods(NOW, 60, 2)) == ["03-08 10:35:42/03-08 10:36:42", "03-08 10:36:42/03-08 10:37:42"]


@pytest.mark.parametrize(("period", "count", "zone", "expected"), [
    (60, 2, None, ["03-08 10:35:00/03-08 10:36:00", "03-08 10:36:00/03-08 10:37:00"]),
    (300, 1, "+05:30", ["03-08 10:30:00/03-08 10:35:00"]),
    (3600, 2, "UTC+05:30", ["03-08 08:30:00/03-08 09:30:00", "03-08 09:30:00/03-08 10:30:00"]),  # India's hours
    (3600, 1, "America/New_York", ["03-08 09:00:00/03-08 10:00:00"]),
    # calendar days in New York: the 7th was 24 hours long, the 8th (not complete yet) will be 23
    (86400, 2, "America/New_York", ["03-06 05:00:00/03-07 05:00:00", "03-07 05:00:00/03-08 05:00:00"]),
    (604800, 1, None, ["02-23 00:00:00/03-02 00:00:00"]),  # weeks start on Monday; the 8th is a Sunday
])
def test_a_wall_clock_window_holds_the_last_complete_periods(period: int, count: int, zone: str | None,
                                                             expected: list[str]) -> None:
    assert shown(evaluated_periods(NOW, period, count, window_zone(zone))) == expected


def test_a_calendar_day_across_the_change_of_time_is_23_hours_long() -> None:
    [(start, end)] = evaluated_periods(datetime(2026, 3, 9, 12, tzinfo=UTC), 86400, 1, window_zone("America/New_York"))
    assert (start, end) == (datetime(2026, 3, 8, 5, tzinfo=UTC), datetime(2026, 3, 9, 4, tzinfo=UTC))


@pytest.mark.parametrize("text", ["+5:30", "+05:31", "UTC+15:00", "Mars/Olympus", "../etc/passwd", ""])
def test_what_is_no_time_zone_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        window_zone(text)
