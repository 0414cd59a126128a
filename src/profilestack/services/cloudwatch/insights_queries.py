"""Metrics Insights queries worked out over the stored metrics: which metrics the query's SELECT, FROM and WHERE
match, their observations aggregated per period by the query's function, one series per GROUP BY group (``Other``
for a metric without the label), ordered and limited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from profilestack.services.cloudwatch.datapoints import statistic_series
from profilestack.services.cloudwatch.expressions import TimeSeries, Value
from profilestack.services.cloudwatch.insights_syntax import InsightsQuery
from profilestack.services.cloudwatch.labels import series_properties
from profilestack.services.cloudwatch.tables import cloudwatch_metrics

MOST_METRICS = 10_000  # a query processes the first this many metrics it matches, as documented
STATISTIC = {"AVG": "Average", "COUNT": "SampleCount", "MAX": "Maximum", "MIN": "Minimum", "SUM": "Sum"}
OTHER = "Other"  # the group of metrics that lack a GROUP BY label


def insights_series(db: Connection, account: str, region: str, query: InsightsQuery, start: datetime,
                    end: datetime, period: int) -> Value:
    """One TimeSeries without GROUP BY, a list of them with it."""
    groups: dict[tuple[str, ...], list[int]] = {}
    for metric_id, dimensions in _matching(db, account, region, query):
        labels = {item["Name"]: item["Value"] for item in dimensions}
        groups.setdefault(tuple(labels.get(key, OTHER) for key in query.group_by), []).append(metric_id)
    statistic = STATISTIC[query.function]

    def properties(group: tuple[str, ...]) -> dict[str, str]:  # a group's labels as its dimensions
        return series_properties(query.namespace, query.metric, period, statistic, region, account,
                                 dict(zip(query.group_by, group, strict=True)))

    found = [TimeSeries(statistic_series(db, ids, start, end, period, statistic), " ".join(group), period,
                        properties(group)) for group, ids in groups.items()]
    if not query.group_by:
        return found[0] if found else TimeSeries({}, "", period, properties(()))
    return _ordered(found, query)[:query.limit]


def _matching(db: Connection, account: str, region: str, query: InsightsQuery) -> list[tuple[int, Any]]:
    metrics = cloudwatch_metrics.c
    rows = db.execute(select(metrics.id, metrics.dimensions).where(
        metrics.account_id == account, metrics.region == region, metrics.namespace == query.namespace,
        metrics.metric_name == query.metric).order_by(metrics.id))
    matched = []
    for metric_id, dimensions in rows:
        labels = {item["Name"]: item["Value"] for item in dimensions}
        if query.schema is not None and set(labels) != query.schema:
            continue
        # a metric without the label matches neither = nor != (SQL's null)
        if all(condition.key in labels and (labels[condition.key] == condition.value) == condition.equal
               for condition in query.where):
            matched.append((metric_id, dimensions))
            if len(matched) == MOST_METRICS:
                break
    return matched


def _ordered(found: list[TimeSeries], query: InsightsQuery) -> list[TimeSeries]:
    """By ORDER BY's function of each series' values (series without any last), else by their labels."""
    if query.order_by is None:
        return sorted(found, key=lambda series: series.label)
    scored = [(_scalar(query.order_by, list(series.values.values())), series) for series in found]
    present = sorted(((score, series) for score, series in scored if score is not None),
                     key=lambda item: item[0], reverse=query.descending)
    return [series for _, series in present] + [series for score, series in scored if score is None]


def _scalar(function: str, values: list[float]) -> float | None:
    if function == "COUNT":
        return float(len(values))
    if not values:
        return None
    if function == "SUM":
        return sum(values)
    if function == "AVG":
        return sum(values) / len(values)
    return max(values) if function == "MAX" else min(values)
