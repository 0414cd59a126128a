"""A metric alarm's verdict on its most recent datapoints: which state, and why (pure; alarms.py reads the data).

The last ``EvaluationPeriods`` periods ending at the evaluation are compared with the threshold. ``M`` of them
breaching (``DatapointsToAlarm``, by default all of them) is ALARM; otherwise, with any datapoint known, OK.
Missing datapoints count as ``TreatMissingData`` says: breaching, not breaching, or not at all — and when none is
left, ``missing`` gives INSUFFICIENT_DATA and ``ignore`` keeps the current state.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from profilestack.services.cloudwatch.statistics import percentile_rank

OK, ALARM, INSUFFICIENT_DATA = "OK", "ALARM", "INSUFFICIENT_DATA"

COMPARISONS: dict[str, tuple[str, Callable[[float, float], bool]]] = {
    "GreaterThanOrEqualToThreshold": ("greater than or equal to", lambda value, limit: value >= limit),
    "GreaterThanThreshold": ("greater than", lambda value, limit: value > limit),
    "LessThanThreshold": ("less than", lambda value, limit: value < limit),
    "LessThanOrEqualToThreshold": ("less than or equal to", lambda value, limit: value <= limit),
}
# an anomaly detection alarm's: its value against the (lower, upper) band of its period
BAND_COMPARISONS: dict[str, tuple[str, Callable[[float, tuple[float, float]], bool]]] = {
    "LessThanLowerOrGreaterThanUpperThreshold": ("outside", lambda value, band: not band[0] <= value <= band[1]),
    "LessThanLowerThreshold": ("less than the lower edge of", lambda value, band: value < band[0]),
    "GreaterThanUpperThreshold": ("greater than the upper edge of", lambda value, band: value > band[1]),
}
MISSING_DATA = ("breaching", "notBreaching", "ignore", "missing")


@dataclass(frozen=True, slots=True)
class Verdict:
    state: str
    reason: str
    reason_data: str


def warm_up_over(definition: dict[str, Any], until: datetime | None, points: list[tuple[datetime, float | None]],
                 now: datetime) -> bool:
    """Whether an alarm's warm-up period (running until ``until``; None: none runs) is over: at its end, or, unless
    the alarm waits for that (``OnlyStartEvaluatingAfterWarmUpPeriodEnds``), once data fills every evaluated
    period."""
    if until is None or now >= until:
        return True
    waits = (definition.get("WarmUpConfiguration") or {}).get("OnlyStartEvaluatingAfterWarmUpPeriodEnds", False)
    return not waits and bool(points) and all(value is not None for _, value in points)


def warming_up(until: datetime) -> Verdict:
    return Verdict(INSUFFICIENT_DATA, f"Warming up: the alarm is in its warm-up period until "
                                      f"{until.isoformat(timespec='seconds')}.", "")


def too_few_samples(statistic: str, samples: float) -> float | None:
    """The samples a percentile needs to be significant (10/(1-p) from p50 up, 10/p below, as CloudWatch
    documents), when ``samples`` fall short of it; None when they do not, or ``statistic`` is no such percentile."""
    rank = percentile_rank(statistic)
    share = 0.0 if rank is None else rank / 100
    if not 0 < share < 1:
        return None
    needed = round(10 / (1 - share) if share >= 0.5 else 10 / share, 6)  # p90 needs 100, not 100.00000000000001
    return needed if samples < needed else None


def _stamp(moment: datetime) -> str:
    return moment.strftime("%d/%m/%y %H:%M:%S")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def judge(definition: dict[str, Any], points: list[tuple[datetime, float | None]], current: str,
          evaluated_at: datetime, statistic: str, period: int,
          bands: dict[datetime, tuple[float, float]] | None = None) -> Verdict:
    """``points``: (period start, value or None) for the evaluated periods, oldest first; ``statistic`` and
    ``period`` as the reason data shows them. ``bands``: an anomaly detection alarm's (lower, upper) band of each
    period it is known for; a period without one counts as missing."""
    period_count = len(points)
    needed = definition.get("DatapointsToAlarm") or period_count
    treat = definition.get("TreatMissingData") or "missing"
    if bands is None:
        wording, breaches = COMPARISONS[definition["ComparisonOperator"]]
        threshold = float(definition["Threshold"])
        known = [(moment, value) for moment, value in points if value is not None]
        counted = [breaches(value, threshold) for _, value in known]
        title, limits, shown_limits = "Threshold Crossed", f"the threshold ({threshold})", {"threshold": threshold}
    else:
        wording, inside = BAND_COMPARISONS[definition["ComparisonOperator"]]
        known = [(moment, value) for moment, value in points if value is not None and moment in bands]
        counted = [inside(value, bands[moment]) for moment, value in known]
        edges = [bands[moment] for moment, _ in reversed(known)]
        title = "Thresholds Crossed"
        limits = "the band [" + ", ".join(f"{low:g} to {high:g}" for low, high in edges) + "]"
        shown_limits = {"recentLowerThresholds": [low for low, _ in reversed(edges)],
                        "recentUpperThresholds": [high for _, high in reversed(edges)]}
    if treat in ("breaching", "notBreaching"):
        counted += [treat == "breaching"] * (period_count - len(known))
    data = json.dumps({
        "version": "1.0", "queryDate": evaluated_at.isoformat(timespec="milliseconds"),
        "startDate": points[0][0].isoformat(timespec="milliseconds") if points else None,
        "statistic": statistic, "period": period,
        "recentDatapoints": [value for _, value in known], **shown_limits,
        "evaluatedDatapoints": [{"timestamp": moment.isoformat(timespec="seconds"), "value": value}
                                for moment, value in reversed(known)]})
    if not counted:
        if treat == "ignore":
            return Verdict(current, "Unchanged: no datapoints, and missing data is ignored.", data)
        return Verdict(INSUFFICIENT_DATA, f"Insufficient Data: {_plural(period_count, 'datapoint')} "
                                          f"{'was' if period_count == 1 else 'were'} unknown.", data)
    shown = ", ".join(f"{float(value)} ({_stamp(moment)})" for moment, value in reversed(known))
    breaching = sum(counted)

    def crossed(count: int, how: str, transition: str) -> str:
        return (f"{title}: {count} out of the last {_plural(period_count, 'datapoint')} [{shown}] "
                f"{'was' if count == 1 else 'were'} {how} {limits} (minimum {_plural(needed, 'datapoint')} for "
                f"{transition} transition).")

    if breaching >= needed:
        return Verdict(ALARM, crossed(breaching, wording, "OK -> ALARM"), data)
    if breaching == len(counted):  # too few to alarm, none against it
        return Verdict(OK, crossed(breaching, wording, "OK -> ALARM"), data)
    return Verdict(OK, crossed(len(counted) - breaching, f"not {wording}", "ALARM -> OK"), data)
