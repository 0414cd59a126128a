"""CloudWatch alarms: PutMetricAlarm, DescribeAlarms, DescribeAlarmsForMetric, DeleteAlarms, EnableAlarmActions,
DisableAlarmActions, DescribeAlarmHistory, and what composite alarms (composite_alarms.py), states (alarm_states.py:
SetAlarmState, evaluation) and tags (tagging.py) share of them.

The outbox evaluates every alarm each minute, and an alarm at once when it is put.
Alarm actions are kept and shown, not carried out: there is no SNS, Auto Scaling or EC2 here (docs/decisions.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from functools import lru_cache
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from profilestack import jsontext
from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.outbox.cleanup import prune_in_task
from profilestack.services.cloudwatch.alarm_evaluation import (
    BAND_COMPARISONS,
    COMPARISONS,
    INSUFFICIENT_DATA,
    MISSING_DATA,
)
from profilestack.services.cloudwatch.alarm_rules import Suppressor, alarm_name, parse, suppressed_by
from profilestack.services.cloudwatch.alarm_windows import WALL_CLOCK_PERIODS, window_zone
from profilestack.services.cloudwatch.anomaly_detectors import ensure_detector, single_metric
from profilestack.services.cloudwatch.errors import combination, invalid, invalid_token
from profilestack.services.cloudwatch.handlers import cloudwatch
from profilestack.services.cloudwatch.math_syntax import Call, Name, Number, SyntaxProblem
from profilestack.services.cloudwatch.math_syntax import parse as parse_math
from profilestack.services.cloudwatch.metric_queries import check_period, one_series, query_series, returned_query
from profilestack.services.cloudwatch.statistics import is_supported
from profilestack.services.cloudwatch.tables import cloudwatch_alarm_history, cloudwatch_alarms
from profilestack.services.filters import in_callers_region, where_given
from profilestack.services.next_token import ascending, descending, page, page_result
from profilestack.store.resource_tags import remove_tags, set_tags

if TYPE_CHECKING:
    from profilestack.app import App

METRIC_ALARM, COMPOSITE_ALARM = "MetricAlarm", "CompositeAlarm"
EVALUATE_TASK = "cloudwatch.evaluate_alarm"
EVALUATE_ALL_TASK = "cloudwatch.evaluate_alarms"
HISTORY_TASK = "cloudwatch.alarm_history_retention"
HISTORY_RETENTION = timedelta(days=30)
MAX_EVALUATION_SPAN = 7 * 86400  # Period x EvaluationPeriods, in seconds
MAX_SHORT_EVALUATION_SPAN = 86400  # the same, for periods under an hour
ALARM_SHORT_PERIODS = (10, 20, 30)  # high-resolution alarms' periods under a minute
SINGLE_METRIC = ("MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Dimensions", "Period", "Unit")
NOT_SUPPORTED = ("EvaluationCriteria", "EvaluationInterval")
DEFAULT_BAND_WIDTH = 2.0  # ANOMALY_DETECTION_BAND(m1): two standard deviations
ACTION_LISTS = ("OKActions", "AlarmActions", "InsufficientDataActions")


def alarm_arn(account: str, region: str, name: str) -> str:
    return f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}"


def _missing(name: str) -> AwsError:
    return AwsError("MissingParameter", f"The parameter {name} is required.", 400)


def not_found(message: str) -> AwsError:
    return AwsError("ResourceNotFound", message, 404)


# --- definitions -------------------------------------------------------------------------------------------------

def queries_of(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """The alarm's metric as MetricDataQueries: its Metrics, or its one metric as a single query."""
    if definition.get("Metrics"):
        return definition["Metrics"]
    metric = {"Namespace": definition["Namespace"], "MetricName": definition["MetricName"]}
    if definition.get("Dimensions"):
        metric["Dimensions"] = definition["Dimensions"]
    stat = {"Metric": metric, "Period": definition["Period"],
            "Stat": definition.get("Statistic") or definition["ExtendedStatistic"]}
    if definition.get("Unit"):
        stat["Unit"] = definition["Unit"]
    return [{"Id": "m1", "MetricStat": stat, "ReturnData": True}]


def band_of(definition: dict[str, Any]) -> tuple[dict[str, Any], float] | None:
    """An anomaly detection alarm's band (its ThresholdMetricId's ``ANOMALY_DETECTION_BAND(m1, width)``): the
    query of the metric it is the band of, and its width in standard deviations; None for another alarm."""
    band_id = definition.get("ThresholdMetricId")
    return None if band_id is None else _band(definition, band_id)


def _band(definition: dict[str, Any], band_id: str) -> tuple[dict[str, Any], float]:
    queries = {query["Id"]: query for query in queries_of(definition)}
    band = queries.get(band_id)
    if band is None or "Expression" not in band:
        raise invalid(f"ThresholdMetricId {band_id} must be the Id of an ANOMALY_DETECTION_BAND expression of "
                      "Metrics.")
    found = _band_call(band["Expression"])
    if found is None or found[0] not in queries or found[0] == band_id:
        raise invalid(f"The expression of ThresholdMetricId {band_id} must be ANOMALY_DETECTION_BAND(id) or "
                      "ANOMALY_DETECTION_BAND(id, standard deviations), id naming another query of Metrics.")
    return queries[found[0]], found[1]


@lru_cache(maxsize=1024)
def _band_call(expression: str) -> tuple[str, float] | None:
    """``ANOMALY_DETECTION_BAND(id[, width])`` read once (an alarm's evaluation asks for it several times, every
    minute): the id and the width; None for any other expression."""
    try:
        node = parse_math(expression)
    except SyntaxProblem:
        return None
    arguments = node.arguments if isinstance(node, Call) and node.function == "ANOMALY_DETECTION_BAND" else ()
    if not 1 <= len(arguments) <= 2 or not isinstance(arguments[0], Name) or (
            len(arguments) == 2 and not isinstance(arguments[1], Number)):
        return None
    return arguments[0].name, arguments[1].value if len(arguments) == 2 else DEFAULT_BAND_WIDTH


def watched_query(definition: dict[str, Any]) -> dict[str, Any]:
    """The query whose values an alarm judges: its band's metric, or its one returned query."""
    band = band_of(definition)
    return band[0] if band is not None else returned_query(queries_of(definition))


def metric_queries(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """The queries an alarm reads its values with: all but its band, which is worked out apart."""
    band_id = definition.get("ThresholdMetricId")
    return [query for query in queries_of(definition) if query["Id"] != band_id]


def period_of(definition: dict[str, Any]) -> int:
    """The length of one evaluated period: the watched query's, else its metrics' (an expression)."""
    queries = queries_of(definition)
    returned = watched_query(definition)
    for query in (returned, *queries):
        if "MetricStat" in query:
            return query["MetricStat"]["Period"]
        if query.get("Period"):
            return query["Period"]
    raise invalid("The alarm's Metrics must give a Period.")


def statistic_of(definition: dict[str, Any]) -> str:
    returned = watched_query(definition)
    return returned["MetricStat"]["Stat"] if "MetricStat" in returned else returned["Expression"]


def _checked(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """PutMetricAlarm's definition, checked: one metric or Metrics, a static threshold, periods that fit."""
    for name in NOT_SUPPORTED:
        if params.get(name) is not None:
            raise AwsError("NotImplemented", f"profilestack does not support {name} in alarms yet.", 501)
    definition = definition_of(params)
    if ("MetricName" in params) == bool(params.get("Metrics")):
        raise combination("Exactly one of MetricName and Metrics must be specified.")
    if "MetricName" in params:
        for name in ("Namespace", "Period"):
            if name not in params:
                raise _missing(name)
        if ("Statistic" in params) == ("ExtendedStatistic" in params):
            raise combination("Exactly one of Statistic and ExtendedStatistic must be specified.")
        if "ExtendedStatistic" in params and not is_supported(params["ExtendedStatistic"]):
            raise invalid(f"The value {params['ExtendedStatistic']} for parameter ExtendedStatistic is invalid.")
    else:
        given = [name for name in SINGLE_METRIC if name in params]
        if given:
            raise combination(f"The parameter {given[0]} cannot be used with Metrics.")
        for query in params["Metrics"]:
            if ("MetricStat" in query) == ("Expression" in query):
                raise invalid(f"The query {query['Id']} must have exactly one of MetricStat and Expression.")
    for name in ("EvaluationPeriods", "ComparisonOperator"):
        if params.get(name) is None:
            raise _missing(name)
    if params.get("ThresholdMetricId") is not None:
        _check_band(ctx, params, definition)
    elif params.get("Threshold") is None:
        raise _missing("Threshold")
    elif params["ComparisonOperator"] not in COMPARISONS:
        raise invalid(f"The ComparisonOperator {params['ComparisonOperator']} compares with an anomaly detection "
                      "band: it needs a ThresholdMetricId.")
    period = period_of(definition)
    check_period(period, ALARM_SHORT_PERIODS)
    _check_window(definition, period)
    if period * params["EvaluationPeriods"] > MAX_EVALUATION_SPAN:
        raise invalid("Period times EvaluationPeriods must not exceed 7 days (604,800 seconds).")
    if period < 3600 and period * params["EvaluationPeriods"] > MAX_SHORT_EVALUATION_SPAN:
        raise invalid("With a Period under one hour, Period times EvaluationPeriods must not exceed one day "
                      "(86,400 seconds).")
    if params.get("DatapointsToAlarm", 1) > params["EvaluationPeriods"]:
        raise invalid("DatapointsToAlarm must be less than or equal to EvaluationPeriods.")
    if params.get("TreatMissingData", "missing") not in MISSING_DATA:
        raise invalid(f"The value {params['TreatMissingData']} for parameter TreatMissingData is invalid: it must "
                      f"be one of {', '.join(MISSING_DATA)}.")
    check_actions(params)
    now = ctx.now()  # an expression that cannot be worked out is refused now rather than at every evaluation
    results = query_series(ctx.db, ctx.account, ctx.region, metric_queries(definition),
                           now - timedelta(seconds=period), now)
    watched = watched_query(definition)["Id"]
    one_series(results[watched], watched)
    return definition


def _check_band(ctx: CallContext, params: dict[str, Any], definition: dict[str, Any]) -> None:
    """An anomaly detection alarm: Metrics holding the band and its metric, both returning data and nothing else
    doing so, a band comparison and no Threshold; the metric's detector made when it has none."""
    if params.get("Threshold") is not None:
        raise combination("Threshold and ThresholdMetricId cannot both be given.")
    if not params.get("Metrics"):
        raise combination("ThresholdMetricId needs Metrics: the ANOMALY_DETECTION_BAND expression and its metric.")
    if params["ComparisonOperator"] not in BAND_COMPARISONS:
        raise invalid(f"An alarm with ThresholdMetricId takes {', '.join(BAND_COMPARISONS)}, not "
                      f"{params['ComparisonOperator']}.")
    metric, _ = _band(definition, params["ThresholdMetricId"])
    returned = {query["Id"] for query in params["Metrics"] if query.get("ReturnData", True)}
    if returned != {params["ThresholdMetricId"], metric["Id"]}:
        raise invalid("In an anomaly detection alarm, the ANOMALY_DETECTION_BAND expression and its metric return "
                      "data (ReturnData true) and no other query does.")
    if "MetricStat" in metric:
        ensure_detector(ctx, single_metric(metric["MetricStat"]))


def find_alarms(ctx: CallContext, names: list[str]) -> list[Row[Any]]:
    table = cloudwatch_alarms
    return list(ctx.db.execute(select(table).where(in_callers_region(table, ctx), table.c.name.in_(names))
                               .order_by(table.c.name)))


def wall_clock_zone(definition: dict[str, Any]) -> tzinfo | None:
    """The time zone of the alarm's wall clock window; None for a sliding window (the default)."""
    wall_clock = (definition.get("EvaluationWindow") or {}).get("WallClockWindow")
    return None if wall_clock is None else window_zone(wall_clock.get("Timezone"))


def _check_window(definition: dict[str, Any], period: int) -> None:
    window = definition.get("EvaluationWindow")
    if window is None:
        return
    if ("SlidingWindow" in window) == ("WallClockWindow" in window):
        raise invalid("EvaluationWindow takes exactly one of SlidingWindow and WallClockWindow.")
    if "WallClockWindow" not in window:
        return
    if period not in WALL_CLOCK_PERIODS:
        *others, last = map(str, WALL_CLOCK_PERIODS)
        raise invalid(f"A wall clock window needs a Period of {', '.join(others)} or {last} seconds.")
    try:
        wall_clock_zone(definition)
    except ValueError as problem:
        raise invalid(f"The value {window['WallClockWindow'].get('Timezone')} for parameter "
                      f"EvaluationWindow.WallClockWindow.Timezone is invalid: {problem}.") from None


def definition_of(params: dict[str, Any]) -> dict[str, Any]:
    """What an alarm keeps of its Put request: all but its name and tags (kept apart)."""
    return {name: value for name, value in params.items() if name not in ("AlarmName", "Tags")}


def is_composite(definition: dict[str, Any]) -> bool:
    return "AlarmRule" in definition


def alarm_type(definition: dict[str, Any]) -> str:
    return COMPOSITE_ALARM if is_composite(definition) else METRIC_ALARM


def rule_alarms(definition: dict[str, Any]) -> frozenset[str]:
    """The alarms a composite alarm's rule names; none for a metric alarm."""
    return parse(definition["AlarmRule"]).alarms if is_composite(definition) else frozenset()


def record_history(db: Connection, account: str, region: str, name: str, now: datetime, item_type: str,
                   summary: str, data: dict[str, Any], alarm_type: str = METRIC_ALARM) -> None:
    db.execute(insert(cloudwatch_alarm_history).values(
        account_id=account, region=region, alarm_name=name, alarm_type=alarm_type, timestamp=now,
        item_type=item_type, summary=summary, data=jsontext.dumps(data)))


@cloudwatch.operation("PutMetricAlarm")
def put_metric_alarm(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    save_alarm(ctx, params, _checked(ctx, params))
    return {}


def save_alarm(ctx: CallContext, params: dict[str, Any], definition: dict[str, Any]) -> None:
    """Creates the alarm (INSUFFICIENT_DATA, tagged) or replaces its definition (keeping its state and tags), records
    that in its history, and has it evaluated at once. An alarm keeps its kind: metric or composite."""
    name, now, table = params["AlarmName"], ctx.now(), cloudwatch_alarms
    kind = alarm_type(definition)
    existing = find_alarms(ctx, [name])
    actions_enabled = params.get("ActionsEnabled", True)
    if existing:
        (row,) = existing
        if is_composite(row.definition) != is_composite(definition):
            raise invalid(f"The alarm {name} exists and is not a {kind}; delete it first.")
        ctx.db.execute(update(table).where(table.c.id == row.id).values(
            definition=definition, actions_enabled=actions_enabled, configuration_updated_at=now,
            warm_up_until=_warm_up_until(definition, row, now)))
        record_history(ctx.db, ctx.account, ctx.region, name, now, "ConfigurationUpdate", f'Alarm "{name}" updated',
                       {"version": "1.0", "type": "Update", "updatedAlarm": definition}, kind)
        alarm_id = row.id
    else:
        alarm_id = ctx.db.execute(insert(table).values(
            account_id=ctx.account, region=ctx.region, name=name, definition=definition,
            actions_enabled=actions_enabled, state_value=INSUFFICIENT_DATA,
            state_reason="Unchecked: Initial alarm creation", state_updated_at=now, state_transitioned_at=now,
            configuration_updated_at=now, warm_up_until=_warm_up_until(definition, None, now))).inserted_primary_key[0]
        set_tags(ctx.db, alarm_arn(ctx.account, ctx.region, name),
                 {tag["Key"]: tag["Value"] for tag in params.get("Tags") or []}, too_many_tags)
        record_history(ctx.db, ctx.account, ctx.region, name, now, "ConfigurationUpdate", f'Alarm "{name}" created',
                       {"version": "1.0", "type": "Create", "createdAlarm": definition}, kind)
    ctx.enqueue(EVALUATE_TASK, {"id": alarm_id})


def _warm_up_until(definition: dict[str, Any], row: Row[Any] | None, now: datetime) -> datetime | None:
    """The end of the warm-up period a put starts: creating or updating an alarm with a WarmUpConfiguration starts
    one, except an update changing nothing but that configuration once the alarm's warm-up is over, as AWS
    documents ("the new value does not restart the warm-up period")."""
    warm_up = definition.get("WarmUpConfiguration")
    if warm_up is None:
        return None
    if row is not None and "WarmUpConfiguration" in row.definition and (
            row.warm_up_until is None or row.warm_up_until <= now) and _but_warm_up(row.definition) == _but_warm_up(
            definition):
        return None
    return now + timedelta(minutes=warm_up["WarmUpPeriodDurationInMinutes"])


def _but_warm_up(definition: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in definition.items() if name != "WarmUpConfiguration"}


def check_actions(params: dict[str, Any]) -> None:
    for name in ACTION_LISTS:
        for action in params.get(name) or []:
            if not action.startswith("arn:"):
                raise invalid(f"Invalid arn syntax: {action}")


def too_many_tags(message: str) -> AwsError:
    return AwsError("LimitExceeded", message, 400)


# --- reading ----------------------------------------------------------------------------------------------------

def _suppressor(ctx: CallContext, definition: dict[str, Any]) -> Suppressor | None:
    """Where a composite alarm's actions suppressor stands (None without one, or once it is deleted): the state it
    left when it last changed is its history's."""
    if not definition.get("ActionsSuppressor"):
        return None
    found = find_alarms(ctx, [alarm_name(definition["ActionsSuppressor"])])
    if not found:
        return None
    row, history = found[0], cloudwatch_alarm_history.c
    data = ctx.db.execute(select(history.data).where(
        history.account_id == row.account_id, history.region == row.region, history.alarm_name == row.name,
        history.item_type == "StateUpdate", history.timestamp == row.state_transitioned_at)
        .order_by(history.id.desc()).limit(1)).scalar()
    left = jsontext.loads(data)["oldState"]["stateValue"] if data else None
    return Suppressor(row.state_value, row.state_transitioned_at, left)


def _suppression(ctx: CallContext, row: Row[Any]) -> dict[str, Any]:
    """ActionsSuppressedBy and ActionsSuppressedReason, while a composite alarm's actions are suppressed."""
    definition = row.definition
    by = suppressed_by(row.state_value, row.state_transitioned_at, _suppressor(ctx, definition),
                       definition.get("ActionsSuppressorWaitPeriod") or 0,
                       definition.get("ActionsSuppressorExtensionPeriod") or 0, ctx.now())
    return {"ActionsSuppressedBy": by, "ActionsSuppressedReason": f"Actions suppressed by {by}"} if by else {}


def _shown(row: Row[Any]) -> dict[str, Any]:
    """A MetricAlarm or a CompositeAlarm, as DescribeAlarms shows it."""
    definition = row.definition
    alarm = {"AlarmName": row.name, "AlarmArn": alarm_arn(row.account_id, row.region, row.name),
             "AlarmConfigurationUpdatedTimestamp": row.configuration_updated_at, "ActionsEnabled": row.actions_enabled,
             **{name: definition.get(name) or [] for name in ACTION_LISTS},
             "StateValue": row.state_value, "StateReason": row.state_reason,
             "StateUpdatedTimestamp": row.state_updated_at, "StateTransitionedTimestamp": row.state_transitioned_at}
    if row.state_reason_data:
        alarm["StateReasonData"] = row.state_reason_data
    for name in ("AlarmDescription", "AlarmRule", *SINGLE_METRIC, "EvaluationPeriods", "DatapointsToAlarm",
                 "Threshold", "ThresholdMetricId", "ComparisonOperator", "TreatMissingData",
                 "EvaluateLowSampleCountPercentile", "Metrics", "ActionsSuppressor", "ActionsSuppressorWaitPeriod",
                 "ActionsSuppressorExtensionPeriod", "EvaluationWindow", "ActionConfiguration",
                 "WarmUpConfiguration"):
        if definition.get(name) is not None:
            alarm[name] = definition[name]
    return alarm


def _acts_on(row: Row[Any], prefix: str) -> bool:
    return any(action.startswith(prefix) for name in ACTION_LISTS for action in row.definition.get(name) or [])


def _related(ctx: CallContext, rows: list[Row[Any]], params: dict[str, Any]) -> list[Row[Any]]:
    """``ChildrenOfAlarmName``: the alarms a composite alarm's rule names; ``ParentsOfAlarmName``: the composite
    alarms whose rules name an alarm."""
    if params.get("ChildrenOfAlarmName"):
        parents = find_alarms(ctx, [params["ChildrenOfAlarmName"]])
        children = rule_alarms(parents[0].definition) if parents else frozenset()
        return [row for row in rows if row.name in children]
    return [row for row in rows if params["ParentsOfAlarmName"] in rule_alarms(row.definition)]


@cloudwatch.operation("DescribeAlarms")
def describe_alarms(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Metric alarms, and composite alarms when ``AlarmTypes`` asks for them; there are no log alarms here."""
    if params.get("AlarmNames") and params.get("AlarmNamePrefix"):
        raise combination("AlarmNames and AlarmNamePrefix cannot be specified together.")
    types = params.get("AlarmTypes") or [METRIC_ALARM]
    table = cloudwatch_alarms
    query = where_given(select(table).where(in_callers_region(table, ctx)), params,
                        [(table.c.state_value, "StateValue")])
    if params.get("AlarmNames"):
        query = query.where(table.c.name.in_(params["AlarmNames"]))
    rows = [row for row in ctx.db.execute(query)
            if row.name.startswith(params.get("AlarmNamePrefix") or "")
            and (not params.get("ActionPrefix") or _acts_on(row, params["ActionPrefix"]))
            and alarm_type(row.definition) in types]
    if params.get("ChildrenOfAlarmName") or params.get("ParentsOfAlarmName"):
        rows = _related(ctx, rows, params)
    chunk, token = page(rows, params, 50, invalid_token, "MaxRecords", place=attrgetter("name"))
    result: dict[str, Any] = {
        "MetricAlarms": [_shown(row) for row in chunk if not is_composite(row.definition)],
        "CompositeAlarms": [{**_shown(row), **_suppression(ctx, row)} for row in chunk
                            if is_composite(row.definition)]}
    if "LogAlarm" in types:
        result["LogAlarms"] = []
    if token:
        result["NextToken"] = token
    return result


def _dimension_set(dimensions: list[dict[str, str]] | None) -> set[tuple[str, str]]:
    return {(item["Name"], item["Value"]) for item in dimensions or []}


@cloudwatch.operation("DescribeAlarmsForMetric")
def describe_alarms_for_metric(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    table = cloudwatch_alarms
    rows = ctx.db.execute(select(table).where(in_callers_region(table, ctx)).order_by(table.c.name))
    found = []
    for row in rows:
        definition = row.definition
        if (definition.get("MetricName"), definition.get("Namespace")) != (params["MetricName"], params["Namespace"]):
            continue
        if any(params.get(name) is not None and definition.get(name) != params[name]
               for name in ("Statistic", "ExtendedStatistic", "Period", "Unit")):
            continue
        if "Dimensions" in params and _dimension_set(params["Dimensions"]) != _dimension_set(
                definition.get("Dimensions")):
            continue
        found.append(_shown(row))
    return {"MetricAlarms": found}


@cloudwatch.operation("DescribeAlarmHistory")
def describe_alarm_history(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    table = cloudwatch_alarm_history
    query = where_given(select(table).where(in_callers_region(table, ctx)), params,
                        [(table.c.alarm_name, "AlarmName"), (table.c.item_type, "HistoryItemType")])
    if params.get("StartDate"):
        query = query.where(table.c.timestamp >= params["StartDate"])
    if params.get("EndDate"):
        query = query.where(table.c.timestamp <= params["EndDate"])
    oldest_first = params.get("ScanBy") == "TimestampAscending"
    if params.get("AlarmTypes"):
        query = query.where(table.c.alarm_type.in_(params["AlarmTypes"]))
    # no item is a contributor's: no alarm here watches several time series (PromQL alarms are not evaluated)
    rows = [] if params.get("AlarmContributorId") else list(ctx.db.execute(query))
    return page_result(rows, params, lambda chunk: [
        {"AlarmName": row.alarm_name, "AlarmType": row.alarm_type, "Timestamp": row.timestamp,
         "HistoryItemType": row.item_type, "HistorySummary": row.summary, "HistoryData": row.data}
        for row in chunk], 100, "AlarmHistoryItems", invalid_token, "MaxRecords",
        lambda row: (ascending if oldest_first else descending)(row.id))


@cloudwatch.operation("DescribeAlarmContributors")
def describe_alarm_contributors(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """None: an alarm has contributors when it watches several time series (PromQL), which no alarm here does."""
    if not find_alarms(ctx, [params["AlarmName"]]):
        raise AwsError("ResourceNotFoundException", f"Alarm {params['AlarmName']} does not exist.", 404)
    return {"AlarmContributors": []}


# --- changing ---------------------------------------------------------------------------------------------------

@cloudwatch.operation("DeleteAlarms")
def delete_alarms(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """All or nothing: one name not found, or one alarm a composite alarm left behind depends on, and no alarm is
    deleted. At most one composite alarm a call."""
    names = list(dict.fromkeys(params["AlarmNames"]))
    rows = find_alarms(ctx, names)
    missing = sorted(set(names) - {row.name for row in rows})
    if missing:
        raise not_found(f"{len(missing)} out of {len(names)} alarms were not found: {', '.join(missing)}")
    composites = [row.name for row in rows if is_composite(row.definition)]
    if len(composites) > 1:
        raise AwsError("ValidationError", "A DeleteAlarms call can delete at most one composite alarm; this one names "
                                          f"{len(composites)}: {', '.join(composites)}.", 400)
    depended_on = _depended_on(ctx, set(names))
    if depended_on:
        raise AwsError("ValidationError",
                       f"Cannot delete {depended_on} as there are composite alarm(s) depending on it.", 400)
    now = ctx.now()
    for row in rows:
        ctx.db.execute(delete(cloudwatch_alarms).where(cloudwatch_alarms.c.id == row.id))
        remove_tags(ctx.db, alarm_arn(row.account_id, row.region, row.name))
        record_history(ctx.db, row.account_id, row.region, row.name, now, "ConfigurationUpdate",
                       f'Alarm "{row.name}" deleted',
                       {"version": "1.0", "type": "Delete", "deletedAlarm": row.definition},
                       alarm_type(row.definition))
    return {}


def _depended_on(ctx: CallContext, deleting: set[str]) -> str | None:
    """The first of the alarms ``deleting`` that the rule of a composite alarm not deleted with them names."""
    table = cloudwatch_alarms
    named: set[str] = set()
    for row in ctx.db.execute(select(table.c.name, table.c.definition).where(in_callers_region(table, ctx))):
        if row.name not in deleting:
            named |= rule_alarms(row.definition) & deleting
    return min(named, default=None)


def _set_actions(ctx: CallContext, names: list[str], enabled: bool) -> dict[str, Any]:
    """Names of no alarm are passed over."""
    table = cloudwatch_alarms
    ctx.db.execute(update(table).where(in_callers_region(table, ctx), table.c.name.in_(names))
                   .values(actions_enabled=enabled))
    return {}


@cloudwatch.operation("EnableAlarmActions")
def enable_alarm_actions(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return _set_actions(ctx, params["AlarmNames"], True)


@cloudwatch.operation("DisableAlarmActions")
def disable_alarm_actions(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return _set_actions(ctx, params["AlarmNames"], False)


@cloudwatch.task(HISTORY_TASK, every=3600.0)
def drop_old_history(app: App, payload: dict[str, Any]) -> None:
    """Alarm history is kept 30 days, deleted alarms' included."""
    table = cloudwatch_alarm_history
    prune_in_task(app.database, table, table.c.timestamp < app.clock.now() - HISTORY_RETENTION)
