"""SEARCH in metric math: the stored metrics of the caller's account and region that a search finds
(search_terms.py), each read as the statistic and period asked."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection, select

from profilestack.services.cloudwatch.datapoints import statistic_series
from profilestack.services.cloudwatch.expressions import ExpressionError, TimeSeries
from profilestack.services.cloudwatch.labels import series_properties
from profilestack.services.cloudwatch.search_terms import Metric, SearchError, parse
from profilestack.services.cloudwatch.statistics import is_supported
from profilestack.services.cloudwatch.tables import cloudwatch_metrics

MOST_SERIES = 500  # what a graph shows of a search, as documented

Searcher = Callable[[str, str, int], list[TimeSeries]]


def searcher(db: Connection, account: str, region: str, start: datetime, end: datetime,
             check_period: Callable[[int], None]) -> Searcher:
    """The SEARCH of a request's metric math, over its time range."""

    def search(text: str, statistic: str, period: int) -> list[TimeSeries]:
        try:
            found = parse(text)
        except SearchError as exc:
            raise ExpressionError(f"SEARCH: {exc}") from exc
        if not is_supported(statistic):
            raise ExpressionError(f"SEARCH: {statistic} is not a statistic.")
        check_period(period)
        metrics = cloudwatch_metrics.c
        query = select(metrics.id, metrics.namespace, metrics.metric_name, metrics.dimensions).where(
            metrics.account_id == account, metrics.region == region)
        if found.namespace is not None:
            query = query.where(metrics.namespace == found.namespace)
        series = []
        for metric_id, namespace, name, dimensions in db.execute(query.order_by(metrics.id)):
            labels = {item["Name"]: item["Value"] for item in dimensions}
            if not found.matches(Metric(namespace, name, labels)):
                continue
            series.append(TimeSeries(statistic_series(db, metric_id, start, end, period, statistic),
                                     " ".join([*labels.values(), name]), period,
                                     series_properties(namespace, name, period, statistic, region, account, labels)))
            if len(series) == MOST_SERIES:
                break
        return series

    return search
