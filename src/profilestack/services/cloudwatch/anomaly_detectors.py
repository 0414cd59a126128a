"""CloudWatch anomaly detection models: PutAnomalyDetector, DescribeAnomalyDetectors, DeleteAnomalyDetector, and
the band an anomaly detection alarm compares its metric with (anomaly_bands.py works it out)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, select

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.services.cloudwatch import anomaly_bands
from profilestack.services.cloudwatch.alarm_windows import window_zone
from profilestack.services.cloudwatch.errors import combination, invalid, invalid_token
from profilestack.services.cloudwatch.handlers import cloudwatch
from profilestack.services.cloudwatch.metric_queries import one_series, query_series, returned_query
from profilestack.services.cloudwatch.statistics import is_supported
from profilestack.services.cloudwatch.tables import cloudwatch_anomaly_detectors
from profilestack.services.filters import in_callers_region, put_in_callers_region
from profilestack.services.next_token import page_result

SINGLE, MATH = "SingleMetricAnomalyDetector", "MetricMathAnomalyDetector"
_METRIC = ("Namespace", "MetricName", "Dimensions")
_LEGACY = (*_METRIC, "Stat")  # the members PutAnomalyDetector took before SINGLE
_detectors = cloudwatch_anomaly_detectors.c


def _not_found(message: str) -> AwsError:
    return AwsError("ResourceNotFoundException", message, 404)


def _watched(params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(SINGLE or MATH, what the detector watches), from the request's one way of naming it."""
    legacy = {name: params[name] for name in _LEGACY if name in params}
    given = [kind for kind in (SINGLE, MATH) if params.get(kind)] + (["the metric members"] if legacy else [])
    if len(given) != 1:
        raise combination("Exactly one of SingleMetricAnomalyDetector, MetricMathAnomalyDetector and the metric "
                          "members (Namespace, MetricName, Dimensions, Stat) must be given.")
    if legacy:
        return SINGLE, legacy
    kind = given[0]
    return kind, params[kind]


def _identity(kind: str, watched: dict[str, Any]) -> dict[str, Any]:
    if kind == MATH:
        return {MATH: watched.get("MetricDataQueries") or []}
    dimensions = sorted(watched.get("Dimensions") or [], key=lambda item: item["Name"])
    return {SINGLE: {"Namespace": watched.get("Namespace"), "MetricName": watched.get("MetricName"),
                     "Dimensions": dimensions, "Stat": watched.get("Stat")}}


def single_metric(stat: dict[str, Any]) -> dict[str, Any]:
    """What a single metric detector of a MetricStat's metric and statistic watches."""
    return {**{name: stat["Metric"][name] for name in _METRIC if stat["Metric"].get(name)}, "Stat": stat["Stat"]}


def detector_id(kind: str, watched: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(_identity(kind, watched), sort_keys=True).encode()).hexdigest()[:32]


def _checked(ctx: CallContext, kind: str, watched: dict[str, Any], configuration: dict[str, Any]) -> None:
    if kind == SINGLE:
        for name in ("Namespace", "MetricName", "Stat"):
            if not watched.get(name):
                raise AwsError("MissingParameter", f"The parameter {name} is required.", 400)
        if not is_supported(watched["Stat"]):
            raise invalid(f"The value {watched['Stat']} for parameter Stat is invalid.")
    else:
        queries = watched.get("MetricDataQueries") or []
        returned = returned_query(queries, "MetricDataQueries")["Id"]
        now = ctx.now()  # an expression that cannot be worked out is refused now
        one_series(query_series(ctx.db, ctx.account, ctx.region, queries, now - timedelta(hours=1), now)[returned],
                   returned)
    for excluded in configuration.get("ExcludedTimeRanges") or []:
        if excluded["StartTime"] >= excluded["EndTime"]:
            raise invalid("An excluded time range must start before it ends.")
    try:
        window_zone(configuration.get("MetricTimezone"))
    except ValueError as problem:
        raise invalid(f"The value {configuration['MetricTimezone']} for parameter Configuration.MetricTimezone is "
                      f"invalid: {problem}.") from None


def save_detector(ctx: CallContext, kind: str, watched: dict[str, Any], configuration: dict[str, Any] | None,
                  characteristics: dict[str, Any] | None) -> str:
    """Create the detector, or give the existing one this configuration and these characteristics."""
    found = detector_id(kind, watched)
    definition = {kind: watched, **({"Configuration": configuration} if configuration is not None else {}),
                  **({"MetricCharacteristics": characteristics} if characteristics is not None else {})}
    put_in_callers_region(ctx, cloudwatch_anomaly_detectors, {"detector_id": found}, {"definition": definition},
                          {"created_at": ctx.now()})
    return found


@cloudwatch.operation("PutAnomalyDetector")
def put_anomaly_detector(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    kind, watched = _watched(params)
    configuration = params.get("Configuration")
    _checked(ctx, kind, watched, configuration or {})
    return {"AnomalyDetectorId": save_detector(ctx, kind, watched, configuration, params.get("MetricCharacteristics"))}


def ensure_detector(ctx: CallContext, watched: dict[str, Any]) -> None:
    """The single metric detector an anomaly detection alarm's band needs, made when missing (as CloudWatch
    makes the model of an alarm put without one)."""
    found = detector_id(SINGLE, watched)
    if ctx.db.execute(select(_detectors.detector_id).where(in_callers_region(cloudwatch_anomaly_detectors, ctx),
                                                          _detectors.detector_id == found)).first() is None:
        save_detector(ctx, SINGLE, watched, None, None)


@cloudwatch.operation("DescribeAnomalyDetectors")
def describe_anomaly_detectors(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    kinds = {SINGLE if kind == "SINGLE_METRIC" else MATH for kind in params.get("AnomalyDetectorTypes") or
             ["SINGLE_METRIC"]}
    ids = params.get("AnomalyDetectorIds")
    wanted = {(item["Name"], item["Value"]) for item in params.get("Dimensions") or []}
    rows = ctx.db.execute(select(cloudwatch_anomaly_detectors).where(
        in_callers_region(cloudwatch_anomaly_detectors, ctx)).order_by(_detectors.created_at,
                                                                         _detectors.detector_id)).all()
    found = []
    for row in rows:
        kind = SINGLE if SINGLE in row.definition else MATH
        watched = row.definition[kind]
        if ids is not None:
            if row.detector_id not in ids:
                continue
        elif kind not in kinds:
            continue
        if kind == SINGLE and (any(params.get(name) not in (None, watched[name]) for name in ("Namespace",
                                                                                           "MetricName"))
                               or not wanted <= {(item["Name"], item["Value"])
                                                 for item in watched.get("Dimensions") or []}):
            continue
        if kind == MATH and (params.get("Namespace") or params.get("MetricName") or wanted):
            continue
        found.append((row, kind, watched))
    # the state of a page's detectors only: each reads its metric's two weeks
    return page_result(found, params, lambda chunk: [_shape(ctx, *item) for item in chunk],
                       key="AnomalyDetectors", invalid=invalid_token)


def _shape(ctx: CallContext, row: Any, kind: str, watched: dict[str, Any]) -> dict[str, Any]:
    configuration = stored_configuration(row.definition)
    shape = {"AnomalyDetectorId": row.detector_id, kind: watched, "StateValue": _state(ctx, kind, watched,
                                                                                        configuration)}
    if "Configuration" in row.definition:
        shape["Configuration"] = configuration
    if "MetricCharacteristics" in row.definition:
        shape["MetricCharacteristics"] = row.definition["MetricCharacteristics"]
    if kind == SINGLE:
        shape.update({name: watched[name] for name in _LEGACY if name in watched})
    return shape


def _state(ctx: CallContext, kind: str, watched: dict[str, Any], configuration: dict[str, Any]) -> str:
    """TRAINED when the two weeks before now hold enough values for a band, else TRAINED_INSUFFICIENT_DATA
    (the model is worked out when a band is asked for: it is never pending)."""
    now = ctx.now()
    history = training_history(ctx.db, ctx.account, ctx.region, _queries(kind, watched), now)
    excluded = excluded_ranges(configuration)
    kept = [moment for moment in history if not any(start <= moment < end for start, end in excluded)]
    return "TRAINED" if len(kept) >= anomaly_bands.MIN_POINTS else "TRAINED_INSUFFICIENT_DATA"


def _queries(kind: str, watched: dict[str, Any]) -> list[dict[str, Any]]:
    if kind == MATH:
        return watched["MetricDataQueries"]
    metric = {name: watched[name] for name in _METRIC if watched.get(name)}
    # a period of five minutes for the detector's own state: alarms read their band with their own period
    return [{"Id": "m1", "MetricStat": {"Metric": metric, "Period": 300, "Stat": watched["Stat"]},
             "ReturnData": True}]


def training_history(db: Connection, account: str, region: str, queries: list[dict[str, Any]],
                     before: datetime) -> dict[datetime, float]:
    """The returned query's values over the two weeks before ``before``."""
    returned = returned_query(queries, "MetricDataQueries")["Id"]
    return one_series(query_series(db, account, region, queries, before - anomaly_bands.TRAINING, before)[returned],
                      returned)


def excluded_ranges(configuration: dict[str, Any]) -> list[tuple[datetime, datetime]]:
    return [(item["StartTime"], item["EndTime"]) for item in configuration.get("ExcludedTimeRanges") or []]


def stored_configuration(definition: dict[str, Any]) -> dict[str, Any]:
    """A detector's configuration as put: the times of its excluded ranges are kept as ISO 8601 text."""
    configuration = dict(definition.get("Configuration") or {})
    if "ExcludedTimeRanges" in configuration:
        configuration["ExcludedTimeRanges"] = [{name: datetime.fromisoformat(item[name])
                                                for name in ("StartTime", "EndTime")}
                                               for item in configuration["ExcludedTimeRanges"]]
    return configuration


def configuration_for(db: Connection, account: str, region: str, watched: dict[str, Any]) -> dict[str, Any]:
    """The configuration of the single metric detector watching this metric and statistic (none: the defaults)."""
    definition = db.execute(select(_detectors.definition).where(
        _detectors.account_id == account, _detectors.region == region,
        _detectors.detector_id == detector_id(SINGLE, watched))).scalar()
    return stored_configuration(definition or {})


@cloudwatch.operation("DeleteAnomalyDetector")
def delete_anomaly_detector(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("AnomalyDetectorId"):
        if any(params.get(name) for name in (*_LEGACY, SINGLE, MATH)):
            raise combination("Give AnomalyDetectorId, or the detector's metric, not both.")
        found = params["AnomalyDetectorId"]
    else:
        found = detector_id(*_watched(params))
    gone = ctx.db.execute(delete(cloudwatch_anomaly_detectors).where(
        in_callers_region(cloudwatch_anomaly_detectors, ctx), _detectors.detector_id == found))
    if not gone.rowcount:
        raise _not_found("This anomaly detection model does not exist.")
    return {}
