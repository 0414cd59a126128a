"""Anomaly detection bands: the expected range of each period from the two weeks before it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from profilestack.services.cloudwatch.anomaly_bands import band

START = datetime(2026, 11, 1, tzinfo=UTC)


def hourly(days: int, value_at) -> dict[datetime, float]:
    return {START + timedelta(hours=hour): value_at(hour % 24) for hour in range(days * 24)}


def test_an_hour_with_enough_values_has_its_own_band() -> None:
    # busy at 09:00 UTC (100 ± 10), quiet otherwise (10)
    history = hourly(6, lambda hour: (100 + (10 if hour % 2 else -10)) if hour == 9 else 10.0)
    history.update({START + timedelta(days=day, hours=9): 90.0 + 20 * (day % 2) for day in range(6)})
    morning, night = datetime(2026, 11, 8, 9, tzinfo=UTC), datetime(2026, 11, 8, 3, tzinfo=UTC)
    bands = band(history, [morning, night], 2.0, UTC, [])
    assert bands[morning] == pytest.approx((80.0, 120.0))
    assert bands[night] == pytest.approx((10.0, 10.0))  # a flat hour: the band is a line


def test_hours_are_read_in_the_detectors_time_zone() -> None:
    history = {START + timedelta(days=day, hours=9): 50.0 for day in range(5)}  # 09:00 UTC = 10:00 in Paris
    history.update({START + timedelta(days=day, hours=12): 5.0 for day in range(5)})
    moment = datetime(2026, 11, 8, 9, tzinfo=UTC)
    assert band(history, [moment], 2.0, ZoneInfo("Europe/Paris"), [])[moment] == pytest.approx((50.0, 50.0))


def test_too_little_history_gives_no_band_and_excluded_ranges_are_left_out() -> None:
    moment = datetime(2026, 11, 8, tzinfo=UTC)
    assert band({START: 1.0, START + timedelta(hours=1): 2.0}, [moment], 2.0, UTC, []) == {}
    history = {START + timedelta(hours=hour): 10.0 for hour in range(5)} | {START + timedelta(days=1): 1000.0}
    excluded = [(START + timedelta(hours=20), START + timedelta(days=2))]
    assert band(history, [moment], 3.0, UTC, excluded)[moment] == pytest.approx((10.0, 10.0))
