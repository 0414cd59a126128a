"""Alarm mute rules' schedules, as CloudWatch documents them: ``cron(Minutes Hours Day-of-month Month
Day-of-week)`` for recurring mute windows (``*``, ``-`` and ``,`` in every field, JAN to DEC and SUN to SAT by
name), ``at(yyyy-MM-ddThh:mm)`` for one window, read in the rule's time zone; ISO 8601 durations from one minute to
fifteen days; and whether a rule is SCHEDULED, ACTIVE or EXPIRED at a moment. Pure: no storage, no HTTP."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

ONE_TIME, RECURRING = "ONE_TIME", "RECURRING"
SCHEDULED, ACTIVE, EXPIRED = "SCHEDULED", "ACTIVE", "EXPIRED"
SHORTEST, LONGEST = timedelta(minutes=1), timedelta(days=15)
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# field: (name, lowest, highest, names counted from ``lowest``)
_FIELDS = (("minutes", 0, 59, ()), ("hours", 0, 23, ()), ("day-of-month", 1, 31, ()), ("month", 1, 12, _MONTHS),
           ("day-of-week", 0, 6, _WEEKDAYS))
_DURATION = re.compile(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?")
_AT = re.compile(r"at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2})\)")
_CRON = re.compile(r"cron\(([^)]*)\)")


class ScheduleError(ValueError):
    """A schedule or duration that cannot be read (its message says why)."""


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int] | None  # None: any day of the month
    months: frozenset[int]
    weekdays: frozenset[int] | None  # 0 is Sunday; None: any day of the week

    def runs_on(self, day: date) -> bool:
        """As cron: with both a day of the month and a day of the week given, either one will do."""
        if day.month not in self.months:
            return False
        on_day = self.days is not None and day.day in self.days
        on_weekday = self.weekdays is not None and (day.isoweekday() % 7) in self.weekdays
        if self.days is not None and self.weekdays is not None:
            return on_day or on_weekday
        return (self.days is None or on_day) and (self.weekdays is None or on_weekday)


@dataclass(frozen=True)
class At:
    moment: datetime  # local wall-clock time, naive


Schedule = Cron | At


def mute_type(schedule: Schedule) -> str:
    return ONE_TIME if isinstance(schedule, At) else RECURRING


def parse_schedule(text: str) -> Schedule:
    at = _AT.fullmatch(text.strip())
    if at is not None:
        try:
            return At(datetime.fromisoformat(at.group(1)))
        except ValueError:
            raise ScheduleError(f"{at.group(1)} is not a date and time.") from None
    cron = _CRON.fullmatch(text.strip())
    if cron is None:
        raise ScheduleError("A schedule is cron(Minutes Hours Day-of-month Month Day-of-week) or "
                            "at(yyyy-MM-ddThh:mm).")
    parts = cron.group(1).split()
    if len(parts) != len(_FIELDS):
        raise ScheduleError(f"A cron expression has {len(_FIELDS)} fields (Minutes Hours Day-of-month Month "
                            f"Day-of-week); this one has {len(parts)}.")
    fields = [_field(part, *spec) for part, spec in zip(parts, _FIELDS, strict=True)]
    minutes, hours, days, months, weekdays = fields
    return Cron(minutes or frozenset(range(60)), hours or frozenset(range(24)), days,
                months or frozenset(range(1, 13)), weekdays)


def _field(text: str, name: str, lowest: int, highest: int, names: tuple[str, ...]) -> frozenset[int] | None:
    """The values a cron field allows; None for ``*``."""
    if text == "*":
        return None
    values: set[int] = set()
    for item in text.split(","):
        first, dash, last = item.partition("-")
        start, end = _value(first, name, lowest, highest, names), _value(last if dash else first, name, lowest,
                                                                         highest, names)
        if start > end:
            raise ScheduleError(f"The range {item} of the {name} field runs backwards.")
        values.update(range(start, end + 1))
    return frozenset(values)


def _value(text: str, name: str, lowest: int, highest: int, names: tuple[str, ...]) -> int:
    if text.upper() in names:
        return names.index(text.upper()) + lowest
    if not text.isdigit() or not lowest <= int(text) <= highest:
        allowed = f"{lowest}-{highest}" + (f" or {names[0]}-{names[-1]}" if names else "")
        raise ScheduleError(f"{text or 'Nothing'} is not a value of the {name} field ({allowed}; *, - and , join "
                            "them).")
    return int(text)


def iso_duration(text: str) -> timedelta | None:
    """An ISO 8601 duration of weeks, days, hours, minutes and seconds (``PT4H``, ``P2DT12H``); None for another
    text."""
    found = _DURATION.fullmatch(text)
    if found is None or not any(found.groups()) or text.endswith("T"):
        return None
    weeks, days, hours, minutes, seconds = (int(group or 0) for group in found.groups())
    try:
        return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    except OverflowError:
        return None


def parse_duration(text: str) -> timedelta:
    duration = iso_duration(text)
    if duration is None:
        raise ScheduleError("A duration is written in ISO 8601, such as PT4H or P2DT12H.")
    if not SHORTEST <= duration <= LONGEST:
        raise ScheduleError("A duration is at least one minute (PT1M) and at most fifteen days (P15D).")
    return duration


def last_start(schedule: Schedule, zone: tzinfo, now: datetime) -> datetime | None:
    """When the schedule last began a mute window, at or before ``now`` (within the longest window for a cron)."""
    if isinstance(schedule, At):
        begun = schedule.moment.replace(tzinfo=zone)
        return begun if begun <= now else None
    local = now.astimezone(zone)
    for back in range(LONGEST.days + 2):
        day = local.date() - timedelta(days=back)
        if not schedule.runs_on(day):
            continue
        for hour in sorted(schedule.hours, reverse=True):
            for minute in sorted(schedule.minutes, reverse=True):
                begun = datetime.combine(day, time(hour, minute), zone)
                if begun <= now:
                    return begun
    return None


def status(schedule: Schedule, duration: timedelta, zone: tzinfo, start: datetime | None, expire: datetime | None,
           now: datetime) -> str:
    """EXPIRED past the expiry date (or a one-time window's end), ACTIVE within a window begun since the start
    date, SCHEDULED otherwise."""
    if expire is not None and now >= expire:
        return EXPIRED
    if isinstance(schedule, At) and now >= schedule.moment.replace(tzinfo=zone) + duration:
        return EXPIRED
    if start is not None and now < start:
        return SCHEDULED
    begun = last_start(schedule, zone, now)
    return ACTIVE if begun is not None and now < begun + duration else SCHEDULED
