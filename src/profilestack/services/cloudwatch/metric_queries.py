"""Reading metrics for GetMetricData, alarms and widget images: a MetricStat's data points into periods, a Metrics
Insights query (insights_queries.py), expressions (SEARCH among them: search_queries.py) worked out over them in the
order they read one another, and the labels of what is returned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import Connection

from profilestack.gateway.errors import AwsError
from profilestack.services.cloudwatch.datapoints import statistic_series
from profilestack.services.cloudwatch.errors import invalid
from profilestack.services.cloudwatch.expressions import (
    Context,
    ExpressionError,
    Series,
    TimeSeries,
    Unsupported,
    Value,
    evaluate,
    references,
)
from profilestack.services.cloudwatch.insights_queries import insights_series
from profilestack.services.cloudwatch.insights_syntax import InsightsError, is_insights_query
from profilestack.services.cloudwatch.insights_syntax import parse as parse_insights
from profilestack.services.cloudwatch.labels import dynamic_label, is_dynamic, series_properties
from profilestack.services.cloudwatch.metrics import dimensions_key, find_metric
from profilestack.services.cloudwatch.search_queries import searcher
from profilestack.services.cloudwatch.statistics import is_supported


def rounded_start(start: datetime, now: datetime) -> datetime:
    """A StartTime as CloudWatch reads it: rounded down to the minute when less than 15 days ago, to 5 minutes up to
    63 days ago, to the hour before that; periods are laid out from there."""
    age = now - start
    step = 60 if age < timedelta(days=15) else 300 if age < timedelta(days=63) else 3600
    return datetime.fromtimestamp(int(start.timestamp()) // step * step, start.tzinfo)


def check_period(period: int, short: tuple[int, ...] = (1, 5, 10, 20, 30)) -> None:
    """A multiple of 60 seconds, or one of the ``short`` periods of high-resolution data (an alarm's are 10, 20
    and 30)."""
    if period % 60 and period not in short:
        raise invalid(f"The parameter Period must be {', '.join(map(str, short))} or a multiple of 60.")


def metric_series(db: Connection, account: str, region: str, stat: dict[str, Any], start: datetime,
                  end: datetime) -> Series:
    """A MetricStat's values, per period."""
    metric = stat["Metric"]
    if not is_supported(stat["Stat"]):
        raise invalid(f"The value {stat['Stat']} for parameter Stat is invalid.")
    check_period(stat["Period"])
    found = find_metric(db, (account, region, metric["Namespace"], metric["MetricName"],
                             dimensions_key(metric.get("Dimensions"))))
    return statistic_series(db, found, start, end, stat["Period"], stat["Stat"], stat.get("Unit"))


def query_series(db: Connection, account: str, region: str, queries: list[dict[str, Any]], start: datetime,
                 end: datetime, zone: tzinfo = UTC, insights_reach: timedelta | None = None) -> dict[str, Value]:
    """Every MetricDataQuery's value by its Id: metric stats read, the Metrics Insights query (one at most) worked
    out, then math expressions from them, each after the queries it reads (in any order in the request; a circle
    is refused). ``insights_reach``: how far before ``end`` the Metrics Insights query reads (alarms': 3 hours)."""
    results: dict[str, Value] = {}
    metrics: list[tuple[str, TimeSeries]] = []
    given: set[str] = set()
    for query in queries:
        if query["Id"] in given:
            raise invalid(f"The Id {query['Id']} is given to more than one query: each query's Id must be unique.")
        given.add(query["Id"])
        if ("MetricStat" in query) == ("Expression" in query):
            raise invalid(f"The query {query['Id']} must have exactly one of MetricStat and Expression.")
        if "MetricStat" in query:
            stat = query["MetricStat"]
            metric = stat["Metric"]
            missing = [name for name in ("Namespace", "MetricName") if not metric.get(name)]
            if missing:  # optional in the model's Metric shape, which ListMetrics' filters share
                raise AwsError("MissingParameter", f"The parameter {missing[0]} of query {query['Id']}'s "
                               "MetricStat.Metric is required.", 400)
            properties = series_properties(metric["Namespace"], metric["MetricName"], stat["Period"], stat["Stat"],
                                           region, account, {item["Name"]: item["Value"]
                                                             for item in metric.get("Dimensions") or []})
            values = metric_series(db, account, region, stat, start, end)
            label = query_label(query.get("Label"), metric["MetricName"], values, properties, zone)
            results[query["Id"]] = series = TimeSeries(values, label, stat["Period"], properties)
            metrics.append((query["Id"], series))
    insights = [query for query in queries if "Expression" in query and is_insights_query(query["Expression"])]
    if len(insights) > 1:
        raise invalid("A request holds one Metrics Insights query at most.")
    for query in insights:
        since = max(start, end - insights_reach) if insights_reach is not None else start
        results[query["Id"]] = _insights(db, account, region, query, since, end)
    context = Context(lambda query_id: _known(results, query_id), metrics, start, end,
                      searcher(db, account, region, start, end, check_period))
    for query in _in_dependency_order([query for query in queries if "Expression" in query
                                       and query not in insights]):
        try:
            results[query["Id"]] = evaluate(query["Expression"], context)
        except Unsupported as exc:
            raise AwsError("NotImplemented", str(exc), 501) from exc
        except ExpressionError as exc:
            raise invalid(f"Error in expression {query['Id']}: {exc}") from exc
    return results


def _insights(db: Connection, account: str, region: str, query: dict[str, Any], start: datetime,
              end: datetime) -> Value:
    try:
        parsed = parse_insights(query["Expression"])
    except InsightsError as exc:
        raise invalid(f"Error in Metrics Insights query {query['Id']}: {exc}") from exc
    if not query.get("Period"):
        raise invalid(f"The Metrics Insights query {query['Id']} needs a Period.")
    check_period(query["Period"])
    return insights_series(db, account, region, parsed, start, end, query["Period"])


def _known(results: dict[str, Value], query_id: str) -> Value:
    if query_id not in results:
        raise ExpressionError(f"{query_id} is not the id of a query of the request.")
    return results[query_id]


def _in_dependency_order(expressions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The expression queries, each after the expressions it reads."""
    by_id = {query["Id"]: query for query in expressions}
    waiting: dict[str, set[str]] = {}
    for query in expressions:
        try:
            waiting[query["Id"]] = references(query["Expression"]) & by_id.keys()
        except ExpressionError as exc:
            raise invalid(f"Error in expression {query['Id']}: {exc}") from exc
    ordered: list[dict[str, Any]] = []
    while waiting:
        ready = [query_id for query_id, needs in waiting.items() if not needs]
        if not ready:
            raise invalid(f"The expressions {', '.join(sorted(waiting))} refer to one another in a circle.")
        for query_id in ready:
            ordered.append(by_id[query_id])
            del waiting[query_id]
        for needs in waiting.values():
            needs.difference_update(ready)
    return ordered


def returned_query(queries: list[dict[str, Any]], listed_as: str = "the Metrics list") -> dict[str, Any]:
    """The one query that returns data, of an alarm's Metrics or a detector's MetricDataQueries (``listed_as``)."""
    returned = [query for query in queries if query.get("ReturnData", True)]
    if len(returned) != 1:
        raise invalid(f"Exactly one element of {listed_as} must return data (ReturnData true).")
    return returned[0]


def one_series(value: Value, query_id: str) -> Series:
    """An alarm's returned query as the one time series it watches (a number is no data point)."""
    if isinstance(value, list):
        raise invalid(f"The expression {query_id} gives {len(value)} time series; an alarm watches one.")
    return value.values if isinstance(value, TimeSeries) else {}


def returned_series(query: dict[str, Any], value: Value, zone: tzinfo) -> list[tuple[str, Series]]:
    """A query's value as labelled time series: one, or one per time series of an array (each labelled by its
    series, after the query's own static label). A number has no data points: one series without values."""
    label = query.get("Label")
    if isinstance(value, list):
        return [(f"{label} {one.label}" if label and not is_dynamic(label)
                 else query_label(label, one.label, one.values, one.properties, zone), one.values) for one in value]
    if isinstance(value, TimeSeries):
        return [(value.label if "MetricStat" in query else query_label(label, query["Id"], value.values,
                                                                   value.properties, zone), value.values)]
    return [(label or query["Id"], {})]


def query_label(label: str | None, default: str, values: Series, properties: dict[str, str], zone: tzinfo) -> str:
    """A query's label for one series: its Label, worked out when dynamic, or the default."""
    if not label:
        return default
    return dynamic_label(label, default, values, properties, zone) if is_dynamic(label) else label
