"""Amazon CloudWatch metrics: PutMetricData, GetMetricStatistics, GetMetricData, ListMetrics (alarms: alarms.py).

Clients speak any of the service's three protocols (Smithy RPC v2 CBOR, JSON 1.0 in
query-compatible mode, query); the gateway decodes them all to the same parameters.
"""

from __future__ import annotations

import math
from datetime import timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, insert, select

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.outbox.cleanup import prune_in_task
from profilestack.services.cloudwatch.datapoints import buckets
from profilestack.services.cloudwatch.errors import combination, invalid, invalid_token
from profilestack.services.cloudwatch.expressions import Value
from profilestack.services.cloudwatch.labels import label_zone
from profilestack.services.cloudwatch.metric_queries import (
    check_period,
    query_series,
    returned_series,
    rounded_start,
)
from profilestack.services.cloudwatch.metrics import find_metric, identity
from profilestack.services.cloudwatch.statistics import is_supported, value_of
from profilestack.services.cloudwatch.tables import cloudwatch_datapoints, cloudwatch_metrics
from profilestack.services.filters import in_callers_region, where_given
from profilestack.services.next_token import ascending, next_token, page_result, read_token
from profilestack.services.registry import ServiceHandlers
from profilestack.store.prepared import Prepared

if TYPE_CHECKING:
    from profilestack.app import App

# Writes take turns per account on PostgreSQL (an alarm's dependants, a dashboard, the tags of one resource are each
# checked, then written); PutMetricData, the hot path, checks nothing another write could change.
cloudwatch = ServiceHandlers("cloudwatch", write_lock=lambda ctx: f"cloudwatch-writes:{ctx.account}")

RETENTION = timedelta(days=15)
PAST_LIMIT, FUTURE_LIMIT = timedelta(days=14), timedelta(hours=2)
MAX_DATAPOINTS = 1440
LIST_PAGE = 500
DEFAULT_MAX_DATAPOINTS = 100_800  # GetMetricData's page when MaxDatapoints is not given
RETENTION_TASK = "cloudwatch.retention"


MOST_METRICS_PER_PUT = 1000  # MetricData and EntityMetricData's metrics together
MOST_ENTITIES_PER_PUT = 2
MOST_VALUES = 150
_LARGEST, _SMALLEST = 2.0 ** 360, 2.0 ** -360  # what CloudWatch keeps: ±2^360, and nothing nearer 0 but 0


def _number(value: Any, where: str) -> float:
    number = float(value)
    if not math.isfinite(number) or abs(number) > _LARGEST or 0 < abs(number) < _SMALLEST:
        raise invalid(f"The value {value} for parameter {where} is invalid: it must be a number from -2^360 to "
                      "2^360, not too close to 0.")
    return number


def _samples(datum: dict[str, Any], where: str) -> tuple[float, float, float, float, list | None]:
    """(count, sum, minimum, maximum, samples) of one MetricDatum."""
    given = [name for name in ("Value", "StatisticValues", "Values") if name in datum]
    if len(given) != 1:
        if not given:
            raise AwsError("MissingParameter", f"The parameter {where}.Value is required.", 400)
        raise combination(f"The parameters {where}.{given[0]} and {where}.{given[1]} are mutually exclusive and "
                          "you have specified both.")
    if datum.get("StorageResolution", 60) not in (1, 60):
        raise invalid(f"The value {datum['StorageResolution']} for parameter {where}.StorageResolution is invalid: "
                      "it must be 1 or 60.")
    if "Value" in datum:
        value = _number(datum["Value"], f"{where}.Value")
        return 1.0, value, value, value, [[value, 1.0]]
    if "StatisticValues" in datum:
        stats = {name: _number(number, f"{where}.StatisticValues.{name}")
                 for name, number in datum["StatisticValues"].items()}
        return stats["SampleCount"], stats["Sum"], stats["Minimum"], stats["Maximum"], None
    if len(datum["Values"]) > MOST_VALUES:
        raise invalid(f"The parameter {where}.Values must not hold more than {MOST_VALUES} values.")
    values = [_number(value, f"{where}.Values") for value in datum["Values"]]
    counts = [float(count) for count in datum.get("Counts") or [1.0] * len(values)]
    if len(counts) != len(values):
        raise invalid(f"The parameters {where}.Values and {where}.Counts must be of the same size.")
    if not values:
        raise invalid(f"The parameter {where}.Values must not be empty.")
    return (sum(counts), sum(v * c for v, c in zip(values, counts, strict=True)), min(values), max(values),
            [[v, c] for v, c in zip(values, counts, strict=True)])


def _metric_data(params: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every MetricDatum of a PutMetricData, with where it is in the request: MetricData's, then each
    EntityMetricData's (its entity is not kept: nothing reads it back)."""
    entities = params.get("EntityMetricData") or []
    if len(entities) > MOST_ENTITIES_PER_PUT:
        raise invalid(f"The parameter EntityMetricData must not hold more than {MOST_ENTITIES_PER_PUT} entities.")
    data = [(f"MetricData.member.{index}", datum) for index, datum in enumerate(params.get("MetricData") or [], 1)]
    for number, entity in enumerate(entities, 1):
        data += [(f"EntityMetricData.member.{number}.MetricData.member.{index}", datum)
                 for index, datum in enumerate(entity.get("MetricData") or [], 1)]
    if len(data) > MOST_METRICS_PER_PUT:
        raise invalid(f"A PutMetricData request must not hold more than {MOST_METRICS_PER_PUT} metrics (MetricData "
                      f"and EntityMetricData together); this one holds {len(data)}.")
    return data


_INSERT_DATAPOINT = Prepared(insert(cloudwatch_datapoints))


@cloudwatch.operation("PutMetricData", locked=False)
def put_metric_data(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    namespace = params["Namespace"]
    if namespace.startswith("AWS/") and ctx.principal.invoked_by is None:
        raise invalid("The value AWS/ for parameter Namespace is invalid.")
    now = ctx.now()
    rows = []
    for where, datum in _metric_data(params):
        count, total, low, high, samples = _samples(datum, where)
        moment = datum.get("Timestamp") or now
        if moment < now - PAST_LIMIT or moment > now + FUTURE_LIMIT:
            raise invalid(f"The parameter {where}.Timestamp must specify a time no more than two weeks in the past "
                          "and no more than two hours in the future.")
        rows.append((datum, moment, count, total, low, high, samples))
    db = ctx.db
    metric_ids = ctx.app.metric_ids
    points = [{"metric_id": metric_ids.id_for(ctx, namespace, datum["MetricName"], datum.get("Dimensions"), now),
               "timestamp": moment, "sample_count": count, "sum": total, "minimum": low, "maximum": high,
               "samples": samples, "unit": datum.get("Unit") or "None"}
              for datum, moment, count, total, low, high, samples in rows]
    _INSERT_DATAPOINT.run_many(db, points)
    return {}


@cloudwatch.operation("GetMetricStatistics")
def get_metric_statistics(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    statistics, extended = params.get("Statistics") or [], params.get("ExtendedStatistics") or []
    if not statistics and not extended:
        raise combination("Must specify either Statistics or ExtendedStatistics.")
    for name in extended:
        if not is_supported(name):
            raise invalid(f"The value {name} for parameter ExtendedStatistics is invalid.")
    start, end, period = params["StartTime"], params["EndTime"], params["Period"]
    check_period(period)
    if end <= start:
        raise invalid("The parameter StartTime must be less than the parameter EndTime.")
    start = rounded_start(start, ctx.now())
    if (end - start).total_seconds() / period > MAX_DATAPOINTS:
        raise combination(f"You have requested up to {int((end - start).total_seconds() // period)} datapoints, "
                          f"which exceeds the limit of {MAX_DATAPOINTS:,}. You may reduce the datapoints requested "
                          "by increasing Period, or decreasing the time range.")
    metric = find_metric(ctx.db, identity(ctx, params["Namespace"], params["MetricName"], params.get("Dimensions")))
    datapoints = []
    for moment, bucket in sorted(buckets(ctx.db, metric, start, end, period, params.get("Unit")).items()):
        point: dict[str, Any] = {"Timestamp": moment, "Unit": bucket.unit}
        point.update({name: value_of(bucket, name) for name in statistics})
        if extended:
            point["ExtendedStatistics"] = {name: value for name in extended
                                           if (value := value_of(bucket, name)) is not None}
        datapoints.append(point)
    return {"Label": params["MetricName"], "Datapoints": datapoints}


def _results(query: dict[str, Any], value: Value, ascending: bool, zone: tzinfo) -> list[dict[str, Any]]:
    """GetMetricData's results for one returned query (returned_series)."""
    results = []
    for name, values in returned_series(query, value, zone):
        moments = sorted(values, reverse=not ascending)
        results.append({"Id": query["Id"], "Label": name, "Timestamps": moments,
                        "Values": [values[moment] for moment in moments], "StatusCode": "Complete"})
    return results


@cloudwatch.operation("GetMetricData")
def get_metric_data(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    start, end = params["StartTime"], params["EndTime"]
    if end <= start:
        raise invalid("The parameter StartTime must be less than the parameter EndTime.")
    start = rounded_start(start, ctx.now())
    zone = label_zone((params.get("LabelOptions") or {}).get("Timezone"))
    if zone is None:
        raise invalid(f"The value {params['LabelOptions']['Timezone']} for parameter LabelOptions.Timezone is "
                      "invalid: it is + or - followed by four digits, such as +0130.")
    most = params.get("MaxDatapoints", DEFAULT_MAX_DATAPOINTS)
    if most < 1:
        raise invalid(f"The value {most} for parameter MaxDatapoints is invalid: it must be at least 1.")
    _, skip = read_token(params, invalid_token)
    queries = params["MetricDataQueries"]
    results = query_series(ctx.db, ctx.account, ctx.region, queries, start, end, zone)
    ascending = params.get("ScanBy") == "TimestampAscending"
    output = [result for query in queries if query.get("ReturnData", True) is not False
              for result in _results(query, results[query["Id"]], ascending, zone)]
    page, more = _datapoint_page(output, skip, most)
    answer: dict[str, Any] = {"MetricDataResults": page, "Messages": []}
    if more:
        answer["NextToken"] = next_token(skip + most)
    return answer


def _datapoint_page(results: list[dict[str, Any]], skip: int, most: int) -> tuple[list[dict[str, Any]], bool]:
    """The results' data points from the ``skip``-th on, ``most`` of them in all (results in the request's order, each
    one's points in the order asked): a result cut short says PartialData, the next page goes on with it. Results
    without data points are on the first page. Whether any data point is left for another page."""
    page, seen = [], 0
    for result in results:
        count = len(result["Timestamps"])
        first, last = max(skip - seen, 0), min(skip + most - seen, count)
        if not count and skip == 0:
            page.append(result)
        elif count and first < last:
            page.append({**result, "Timestamps": result["Timestamps"][first:last],
                         "Values": result["Values"][first:last],
                         "StatusCode": "PartialData" if last < count else "Complete"})
        seen += count
    return page, seen > skip + most


def _matches(row: Row[Any], wanted: list[dict[str, str]]) -> bool:
    present = {d["Name"]: d["Value"] for d in row.dimensions}
    return all(item["Name"] in present and ("Value" not in item or present[item["Name"]] == item["Value"])
               for item in wanted)


@cloudwatch.operation("ListMetrics")
def list_metrics(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    table = cloudwatch_metrics
    query = where_given(select(table).where(in_callers_region(table, ctx)), params,
                        [(table.c.namespace, "Namespace"), (table.c.metric_name, "MetricName")])
    if params.get("RecentlyActive") == "PT3H":
        query = query.where(table.c.last_put_at >= ctx.now() - timedelta(hours=3))
    rows = [row for row in ctx.db.execute(query) if _matches(row, params.get("Dimensions") or [])]
    if params.get("OwningAccount") not in (None, ctx.account):
        rows = []  # no account here is a monitoring account with source accounts linked to it
    answer = page_result(rows, params, lambda chunk: [
        {"Namespace": row.namespace, "MetricName": row.metric_name, "Dimensions": row.dimensions} for row in chunk],
        LIST_PAGE, "Metrics", invalid_token, place=lambda row: ascending(row.id))  # first recorded, first listed
    if params.get("IncludeLinkedAccounts"):
        answer["OwningAccounts"] = [ctx.account] * len(answer["Metrics"])  # one per metric: all the caller's own
    return answer


@cloudwatch.task(RETENTION_TASK, every=3600.0)
def drop_old_datapoints(app: App, payload: dict[str, Any]) -> None:
    """Data points are kept for 15 days. They may be stamped up to two weeks in the past, so they are not stored in
    time order: the old ones are found through the time index, a chunk per transaction."""
    prune_in_task(app.database, cloudwatch_datapoints, cloudwatch_datapoints.c.timestamp < app.clock.now() - RETENTION,
                  in_key_order=False)
