"""Alarm mute rules' schedules: cron and at expressions, durations, and the status of a rule at a moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from profilestack.services.cloudwatch.mute_schedules import (
    ACTIVE,
    EXPIRED,
    SCHEDULED,
    At,
    ScheduleError,
    last_start,
    parse_duration,
    parse_schedule,
    status,
)

NEW_YORK = ZoneInfo("America/New_York")


def test_cron_fields_names_ranges_and_lists() -> None:
    cron = parse_schedule("cron(0,30 9-17 * JAN-MAR,DEC MON-FRI)")
    assert cron.minutes == {0, 30} and cron.hours == set(range(9, 18)) and cron.days is None
    assert cron.months == {1, 2, 3, 12} and cron.weekdays == {1, 2, 3, 4, 5}
    # Sunday 2026-12-06 is no weekday; Monday the 7th is
    assert [cron.runs_on(datetime(2026, 12, day).date()) for day in (6, 7)] == [False, True]
    either = parse_schedule("cron(0 1 1 * SUN)")  # the first of the month, or a Sunday: either will do
    assert [either.runs_on(datetime(2026, 12, day).date()) for day in (1, 2, 6)] == [True, False, True]


@pytest.mark.parametrize(("text", "message"), [
    ("cron(0 2 * *)", "A cron expression has 5 fields (Minutes Hours Day-of-month Month Day-of-week); this one "
                      "has 4."),
    ("cron(60 2 * * *)", "60 is not a value of the minutes field (0-59; *, - and , join them)."),
    ("cron(0 2 * FOO *)", "FOO is not a value of the month field (1-12 or JAN-DEC; *, - and , join them)."),
    ("cron(0 5-2 * * *)", "The range 5-2 of the hours field runs backwards."),
    ("cron(*/5 * * * *)", "*/5 is not a value of the minutes field (0-59; *, - and , join them)."),
    ("at(2026-02-30T10:00)", "2026-02-30T10:00 is not a date and time."),
    ("rate(5 minutes)", "A schedule is cron(Minutes Hours Day-of-month Month Day-of-week) or at(yyyy-MM-ddThh:mm)."),
])
def test_what_is_no_schedule_says_why(text: str, message: str) -> None:
    with pytest.raises(ScheduleError) as raised:
        parse_schedule(text)
    assert str(raised.value) == message


def test_durations() -> None:
    assert parse_duration("P2DT12H") == timedelta(days=2, hours=12)
    assert parse_duration("PT1M") == timedelta(minutes=1) and parse_duration("P15D") == timedelta(days=15)
    for text in ("PT30S", "P16D", "P", "PT", "4h", "P1Y"):
        with pytest.raises(ScheduleError):
            parse_duration(text)


def test_a_recurring_rule_is_active_within_each_window_in_its_time_zone() -> None:
    nightly = parse_schedule("cron(0 23 * * *)")  # 23:00 in New York is 04:00 UTC the next day (EST)
    hours = timedelta(hours=2)
    at = datetime(2026, 12, 7, 4, 30, tzinfo=UTC)
    assert last_start(nightly, NEW_YORK, at) == datetime(2026, 12, 6, 23, 0, tzinfo=NEW_YORK)
    assert status(nightly, hours, NEW_YORK, None, None, at) == ACTIVE
    assert status(nightly, hours, NEW_YORK, None, None, at + timedelta(hours=2)) == SCHEDULED
    assert status(nightly, hours, NEW_YORK, at + timedelta(days=1), None, at) == SCHEDULED  # not started yet
    assert status(nightly, hours, NEW_YORK, None, at, at) == EXPIRED


def test_a_one_time_rule_expires_when_its_window_ends() -> None:
    once = parse_schedule("at(2026-12-24T18:00)")
    assert once == At(datetime(2026, 12, 24, 18, 0))
    window = timedelta(days=3)
    before, during = datetime(2026, 12, 24, 17, tzinfo=UTC), datetime(2026, 12, 25, tzinfo=UTC)
    assert [status(once, window, UTC, None, None, moment) for moment in (before, during)] == [SCHEDULED, ACTIVE]
    assert status(once, window, UTC, None, None, datetime(2026, 12, 27, 18, tzinfo=UTC)) == EXPIRED
