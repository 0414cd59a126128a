"""Dynamic labels: ``${AVG}``, ``${PROP('Dim.Service')}``, … in a GetMetricData query's ``Label``, worked out for
each time series it labels (the choices where AWS does not say are in docs/decisions.md)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from profilestack.services.cloudwatch.expressions import REDUCERS, Series

_PLACEHOLDER = re.compile(r"\$\{([A-Z_]+)(?:\('([^']*)'\))?\}")
_ZONE = re.compile(r"([+-])(\d\d)(\d\d)\Z")


def label_zone(text: str | None) -> tzinfo | None:
    """LabelOptions' Timezone (``+0130``) as a time zone, UTC when none is given; None when it is not written that
    way."""
    if text is None:
        return UTC
    found = _ZONE.match(text)
    if found is None or int(found.group(3)) > 59:
        return None
    offset = timedelta(hours=int(found.group(2)), minutes=int(found.group(3)))
    return timezone(-offset if found.group(1) == "-" else offset)


def series_properties(namespace: str, metric_name: str, period: int, statistic: str, region: str, account: str,
                      dimensions: dict[str, str]) -> dict[str, str]:
    """What ``${PROP('…')}`` reads of a series: its metric, period, statistic, region, account and ``Dim.<name>``."""
    return {"MetricName": metric_name, "Namespace": namespace, "Period": str(period), "Stat": statistic,
            "Region": region, "AccountId": account, **{f"Dim.{name}": value for name, value in dimensions.items()}}


def is_dynamic(label: str) -> bool:
    return "${" in label


def dynamic_label(label: str, default: str, values: Series, properties: dict[str, str], zone: tzinfo = UTC) -> str:
    """``label`` with each placeholder replaced, times in ``zone``; one without a value here (a property the series
    does not have, a statistic of no data points, a name CloudWatch does not define) stays as written."""
    ordered = sorted(values.items())

    def replaced(found: re.Match[str]) -> str:
        name, argument = found.group(1), found.group(2)
        if name == "PROP":
            value = properties.get(argument or "")
        elif name == "LABEL":
            value = default
        elif ordered and name in _STATISTICS:
            value = _STATISTICS[name](ordered)
        elif ordered and name in _TIMES:
            value = _moment(_TIMES[name](ordered), zone)
        else:
            value = None
        return found.group(0) if value is None else value

    return _PLACEHOLDER.sub(replaced, label)


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _moment(value: datetime, zone: tzinfo) -> str:
    shown = value.astimezone(zone)
    return shown.strftime("%Y-%m-%dT%H:%M:%SZ") if shown.utcoffset() == timedelta(0) else shown.isoformat()


Points = list[tuple[datetime, float]]  # oldest first, never empty
_STATISTICS: dict[str, Callable[[Points], str]] = {
    **{name: (lambda points, reduce=REDUCERS[name]: _number(reduce([value for _, value in points])))
       for name in ("AVG", "SUM", "MIN", "MAX")},
    "DATAPOINT_COUNT": lambda points: str(len(points)),
    "FIRST": lambda points: _number(points[0][1]),
    "LAST": lambda points: _number(points[-1][1]),
    "FIRST_LAST_RANGE": lambda points: _number(points[-1][1] - points[0][1]),
    "MIN_MAX_RANGE": lambda points: _number(max(v for _, v in points) - min(v for _, v in points)),
}
_TIMES: dict[str, Callable[[Points], datetime]] = {
    "FIRST_TIME": lambda points: points[0][0],
    "LAST_TIME": lambda points: points[-1][0],
    "MIN_TIME": lambda points: min(points, key=lambda point: point[1])[0],
    "MAX_TIME": lambda points: max(points, key=lambda point: point[1])[0],
}
