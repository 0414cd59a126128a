"""Anomaly detection bands: the range a metric's value is expected in, from its values of the two weeks before
(pure; alarms read the data). CloudWatch does not publish its model; this one is plain and explainable: the mean
of the values at the same hour of the day (in the detector's time zone) when that hour has three values or more,
else of them all, give or take ``width`` standard deviations."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta, tzinfo

TRAINING = timedelta(days=14)
MIN_POINTS = 3  # values a band needs: fewer and the period's band is unknown


def band(history: dict[datetime, float], moments: Iterable[datetime], width: float, zone: tzinfo,
         excluded: list[tuple[datetime, datetime]]) -> dict[datetime, tuple[float, float]]:
    """(lower, upper) for each of ``moments`` that enough of ``history`` (outside the ``excluded`` ranges) speaks
    for."""
    kept = {moment: value for moment, value in history.items()
            if not any(start <= moment < end for start, end in excluded)}
    if len(kept) < MIN_POINTS:
        return {}
    by_hour: dict[int, list[float]] = defaultdict(list)
    for moment, value in kept.items():
        by_hour[moment.astimezone(zone).hour].append(value)
    overall = _mean_and_deviation(list(kept.values()))
    bands = {}
    for moment in moments:
        hour = by_hour.get(moment.astimezone(zone).hour, [])
        mean, deviation = _mean_and_deviation(hour) if len(hour) >= MIN_POINTS else overall
        bands[moment] = (mean - width * deviation, mean + width * deviation)
    return bands


def _mean_and_deviation(values: list[float]) -> tuple[float, float]:
    mean = math.fsum(values) / len(values)
    return mean, math.sqrt(math.fsum((value - mean) ** 2 for value in values) / len(values))
