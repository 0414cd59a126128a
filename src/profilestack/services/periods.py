"""The periods something was on — an event data store ingesting, a trail logging, a Contributor Insights rule
enabled — kept in a JSON column as ``[[began, ended or None], ...]`` (ISO 8601), so that what came while it was
on can be told from what came while it was off."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

Periods = list[list[str | None]]


def begun(periods: Periods, now: datetime) -> Periods:
    """The periods once it is on from ``now`` (as they were, if it is on already)."""
    if on(periods):
        return periods
    return [*periods, [now.isoformat(), None]]


def ended(periods: Periods, now: datetime) -> Periods:
    """The periods once it is off from ``now``."""
    return [[began, stopped if stopped is not None else now.isoformat()] for began, stopped in periods]


def on(periods: Periods) -> bool:
    """Whether it is on now (its last period not ended)."""
    return bool(periods) and periods[-1][1] is None


def first_began(periods: Periods) -> datetime | None:
    """When it was first on; None if it never was."""
    return datetime.fromisoformat(periods[0][0]) if periods and periods[0][0] else None


def covering(periods: Periods) -> Callable[[datetime], bool]:
    """Whether it was on at a moment (read once, asked for many moments)."""
    spans = [(datetime.fromisoformat(began), datetime.fromisoformat(stopped) if stopped else None)
             for began, stopped in periods if began]
    return lambda moment: any(began <= moment and (stopped is None or moment < stopped) for began, stopped in spans)
