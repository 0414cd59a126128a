"""A metric's data points read into periods: what GetMetricStatistics, GetMetricData, alarms and Metrics Insights
queries compute their statistics over."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from profilestack.services.cloudwatch.statistics import Bucket, bucket_start, value_of
from profilestack.services.cloudwatch.tables import cloudwatch_datapoints


def buckets(db: Connection, metric: int | list[int] | None, start: datetime, end: datetime, period: int,
             unit: str | None) -> dict[datetime, Bucket]:
    """The data points of a metric (or of several together) in periods from ``start``."""
    buckets: dict[datetime, Bucket] = {}
    if metric is None or metric == []:
        return buckets
    ids = cloudwatch_datapoints.c.metric_id
    query = select(cloudwatch_datapoints).where(ids.in_(metric) if isinstance(metric, list) else ids == metric,
                                                cloudwatch_datapoints.c.timestamp >= start,
                                                cloudwatch_datapoints.c.timestamp < end)
    if unit:
        query = query.where(cloudwatch_datapoints.c.unit == unit)
    for row in db.execute(query):
        bucket = buckets.setdefault(bucket_start(row.timestamp, start, period), Bucket())
        bucket.add(row.sample_count, row.sum, row.minimum, row.maximum, row.samples, row.unit)
    return buckets


def statistic_series(db: Connection, metric: int | list[int] | None, start: datetime, end: datetime, period: int,
                     statistic: str, unit: str | None = None) -> dict[datetime, float]:
    """A statistic of a metric's (or several metrics' together) data points per period; periods without a value
    (an average of nothing) are left out."""
    return {moment: value for moment, bucket in buckets(db, metric, start, end, period, unit).items()
            if (value := value_of(bucket, statistic)) is not None}
