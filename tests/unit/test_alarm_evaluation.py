"""Metric alarms' verdicts: comparisons, M out of N, and each treatment of missing data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from profilestack.services.cloudwatch.alarm_evaluation import (
    ALARM,
    INSUFFICIENT_DATA,
    OK,
    judge,
    too_few_samples,
    warm_up_over,
)

START = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def verdict(values: list[float | None], current: str = OK, **definition) -> tuple[str, str]:
    points = [(START + timedelta(minutes=index), value) for index, value in enumerate(values)]
    found = judge({"ComparisonOperator": "GreaterThanThreshold", "Threshold": 10, **definition}, points, current,
                  START + timedelta(minutes=len(values)), "Sum", 60)
    return found.state, found.reason


@pytest.mark.parametrize(("operator", "value", "state"), [
    ("GreaterThanThreshold", 10, OK), ("GreaterThanThreshold", 11, ALARM),
    ("GreaterThanOrEqualToThreshold", 10, ALARM), ("LessThanThreshold", 10, OK),
    ("LessThanThreshold", 9, ALARM), ("LessThanOrEqualToThreshold", 10, ALARM)])
def test_comparisons(operator: str, value: float, state: str) -> None:
    assert verdict([value], ComparisonOperator=operator)[0] == state


def test_m_out_of_n() -> None:
    assert verdict([20, 5, 20])[0] == OK  # all three must breach by default
    assert verdict([20, 5, 20], DatapointsToAlarm=2)[0] == ALARM
    state, reason = verdict([20, 5, 20], DatapointsToAlarm=3)
    assert state == OK
    assert reason.startswith("Threshold Crossed: 1 out of the last 3 datapoints [20.0 (02/12/26 12:02:00), "
                             "5.0 (02/12/26 12:01:00), 20.0 (02/12/26 12:00:00)] was not greater than")
    assert reason.endswith("(minimum 3 datapoints for ALARM -> OK transition).")


def test_missing_data() -> None:
    assert verdict([None, None, 20], DatapointsToAlarm=2)[0] == OK  # missing: neither breaching nor not
    assert verdict([None, None, 20], DatapointsToAlarm=2, TreatMissingData="breaching")[0] == ALARM
    assert verdict([None, None, 20], DatapointsToAlarm=2, TreatMissingData="notBreaching")[0] == OK
    assert verdict([None, None], current=ALARM) == (INSUFFICIENT_DATA, "Insufficient Data: 2 datapoints were unknown.")
    assert verdict([None], current=ALARM, TreatMissingData="ignore")[0] == ALARM
    assert verdict([None], TreatMissingData="breaching")[0] == ALARM
    assert verdict([None], current=ALARM, TreatMissingData="notBreaching")[0] == OK


@pytest.mark.parametrize(("statistic", "samples", "needed"), [
    ("p99", 999, 1000), ("p99", 1000, None), ("p90", 5, 100), ("p90", 100, None), ("p50", 19, 20),
    ("p25", 39, 40), ("p10", 99, 100), ("p100", 1, None), ("p0", 1, None), ("Average", 1, None),
])
def test_a_percentile_needs_10_over_its_distance_from_an_end(statistic: str, samples: float, needed) -> None:
    assert too_few_samples(statistic, samples) == needed


def test_a_warm_up_ends_at_its_end_or_once_data_fills_the_window_unless_the_alarm_waits() -> None:
    now = datetime(2026, 12, 6, 10, tzinfo=UTC)
    until = now + timedelta(minutes=5)
    full = [(now - timedelta(minutes=2), 1.0), (now - timedelta(minutes=1), 2.0)]
    gap = [(now - timedelta(minutes=2), None), (now - timedelta(minutes=1), 2.0)]
    waits = {"WarmUpConfiguration": {"WarmUpPeriodDurationInMinutes": 5,
                                     "OnlyStartEvaluatingAfterWarmUpPeriodEnds": True}}
    early = {"WarmUpConfiguration": {"WarmUpPeriodDurationInMinutes": 5}}
    assert warm_up_over(early, None, gap, now)  # none runs
    assert warm_up_over(early, until, full, now) and not warm_up_over(early, until, gap, now)
    assert not warm_up_over(waits, until, full, now)
    assert warm_up_over(waits, until, gap, until)  # its end
