"""CloudWatch metric alarms: PutMetricAlarm, DescribeAlarms, DescribeAlarmsForMetric, DeleteAlarms, SetAlarmState,
EnableAlarmActions, DisableAlarmActions, DescribeAlarmHistory (their tags: tagging.py).

The outbox evaluates every alarm each minute, and an alarm at once when it is put (alarm_evaluation.py judges).
Alarm actions are kept and shown, not carried out: there is no SNS, Auto Scaling or EC2 here (docs/decisions.md).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.outbox.cleanup import prune_in_task
from profilestack.services.cloudwatch.alarm_evaluation import (
    COMPARISONS,
    INSUFFICIENT_DATA,
    MISSING_DATA,
    Verdict,
    judge,
)
from profilestack.services.cloudwatch.handlers import (
    check_period,
    cloudwatch,
    combination,
    invalid,
    invalid_token,
    query_series,
)
from profilestack.services.cloudwatch.statistics import is_supported
from profilestack.services.cloudwatch.tables import cloudwatch_alarm_history, cloudwatch_alarms
from profilestack.services.filters import in_callers_region, where_given
from profilestack.services.next_token import page
from profilestack.store.resource_tags import remove_tags, set_tags

if TYPE_CHECKING:
    from profilestack.app import App

METRIC_ALARM = "MetricAlarm"
EVALUATE_TASK = "cloudwatch.evaluate_alarm"
EVALUATE_ALL_TASK = "cloudwatch.evaluate_alarms"
HISTORY_TASK = "cloudwatch.alarm_history_retention"
HISTORY_RETENTION = timedelta(days=30)
MAX_EVALUATION_SPAN = 7 * 86400  # Period x EvaluationPeriods, in seconds
SINGLE_METRIC = ("MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Dimensions", "Period", "Unit")
NOT_SUPPORTED = ("ThresholdMetricId", "EvaluationWindow", "WarmUpConfiguration", "EvaluationCriteria",
                 "EvaluationInterval", "ActionConfiguration")
_ACTION_LISTS = ("OKActions", "AlarmActions", "InsufficientDataActions")


def alarm_arn(account: str, region: str, name: str) -> str:
    return f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}"


def _missing(name: str) -> AwsError:
    return AwsError("MissingParameter", f"The parameter {name} is required.", 400)


def _not_found(message: str) -> AwsError:
    return AwsError("ResourceNotFound", message, 404)


# --- definitions -------------------------------------------------------------------------------------------------

def _queries(definition: dict[str, Any]) -> list[dict[str, Any]]:
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


def _returned(queries: list[dict[str, Any]]) -> dict[str, Any]:
    returned = [query for query in queries if query.get("ReturnData", True)]
    if len(returned) != 1:
        raise invalid("Exactly one element of the Metrics list must return data (ReturnData true).")
    return returned[0]


def period_of(definition: dict[str, Any]) -> int:
    """The length of one evaluated period: the returned query's, else its metrics' (an expression)."""
    queries = _queries(definition)
    returned = _returned(queries)
    for query in (returned, *queries):
        if "MetricStat" in query:
            return query["MetricStat"]["Period"]
        if query.get("Period"):
            return query["Period"]
    raise invalid("The alarm's Metrics must give a Period.")


def _statistic_of(definition: dict[str, Any]) -> str:
    returned = _returned(_queries(definition))
    return returned["MetricStat"]["Stat"] if "MetricStat" in returned else returned["Expression"]


def _checked(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """PutMetricAlarm's definition, checked: one metric or Metrics, a static threshold, periods that fit."""
    for name in NOT_SUPPORTED:
        if params.get(name) is not None:
            raise AwsError("NotImplemented", f"profilestack does not support {name} in alarms yet.", 501)
    definition = {name: value for name, value in params.items() if name not in ("AlarmName", "Tags")}
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
    for name in ("EvaluationPeriods", "ComparisonOperator", "Threshold"):
        if params.get(name) is None:
            raise _missing(name)
    if params["ComparisonOperator"] not in COMPARISONS:
        raise AwsError("NotImplemented", f"profilestack does not evaluate {params['ComparisonOperator']} alarms "
                                         "(anomaly detection) yet.", 501)
    period = period_of(definition)
    check_period(period)
    if period * params["EvaluationPeriods"] > MAX_EVALUATION_SPAN:
        raise invalid("Period times EvaluationPeriods must not exceed 7 days (604,800 seconds).")
    if params.get("DatapointsToAlarm", 1) > params["EvaluationPeriods"]:
        raise invalid("DatapointsToAlarm must be less than or equal to EvaluationPeriods.")
    if params.get("TreatMissingData", "missing") not in MISSING_DATA:
        raise invalid(f"The value {params['TreatMissingData']} for parameter TreatMissingData is invalid: it must "
                      f"be one of {', '.join(MISSING_DATA)}.")
    for name in _ACTION_LISTS:
        for action in params.get(name) or []:
            if not action.startswith("arn:"):
                raise invalid(f"Invalid arn syntax: {action}")
    now = ctx.now()  # an expression that cannot be worked out is refused now rather than at every evaluation
    query_series(ctx.db, ctx.account, ctx.region, _queries(definition), now - timedelta(seconds=period), now)
    return definition


def find_alarms(ctx: CallContext, names: list[str]) -> list[Row[Any]]:
    table = cloudwatch_alarms
    return list(ctx.db.execute(select(table).where(in_callers_region(table, ctx), table.c.name.in_(names))
                               .order_by(table.c.name)))


def _record(db: Connection, account: str, region: str, name: str, now: datetime, item_type: str, summary: str,
            data: dict[str, Any]) -> None:
    db.execute(insert(cloudwatch_alarm_history).values(
        account_id=account, region=region, alarm_name=name, timestamp=now, item_type=item_type, summary=summary,
        data=json.dumps(data)))


@cloudwatch.operation("PutMetricAlarm")
def put_metric_alarm(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    definition = _checked(ctx, params)
    name, now, table = params["AlarmName"], ctx.now(), cloudwatch_alarms
    existing = find_alarms(ctx, [name])
    actions_enabled = params.get("ActionsEnabled", True)
    if existing:
        (row,) = existing
        ctx.db.execute(update(table).where(table.c.id == row.id).values(
            definition=definition, actions_enabled=actions_enabled, configuration_updated_at=now))
        _record(ctx.db, ctx.account, ctx.region, name, now, "ConfigurationUpdate", f'Alarm "{name}" updated',
                {"version": "1.0", "type": "Update", "updatedAlarm": definition})
        alarm_id = row.id
    else:
        alarm_id = ctx.db.execute(insert(table).values(
            account_id=ctx.account, region=ctx.region, name=name, definition=definition,
            actions_enabled=actions_enabled, state_value=INSUFFICIENT_DATA,
            state_reason="Unchecked: Initial alarm creation", state_updated_at=now, state_transitioned_at=now,
            configuration_updated_at=now)).inserted_primary_key[0]
        set_tags(ctx.db, alarm_arn(ctx.account, ctx.region, name),
                 {tag["Key"]: tag["Value"] for tag in params.get("Tags") or []}, _too_many_tags)
        _record(ctx.db, ctx.account, ctx.region, name, now, "ConfigurationUpdate", f'Alarm "{name}" created',
                {"version": "1.0", "type": "Create", "createdAlarm": definition})
    ctx.enqueue(EVALUATE_TASK, {"id": alarm_id})
    return {}


def _too_many_tags(message: str) -> AwsError:
    return AwsError("LimitExceeded", message, 400)


# --- reading ----------------------------------------------------------------------------------------------------

def _shown(row: Row[Any]) -> dict[str, Any]:
    definition = row.definition
    alarm = {"AlarmName": row.name, "AlarmArn": alarm_arn(row.account_id, row.region, row.name),
             "AlarmConfigurationUpdatedTimestamp": row.configuration_updated_at, "ActionsEnabled": row.actions_enabled,
             **{name: definition.get(name) or [] for name in _ACTION_LISTS},
             "StateValue": row.state_value, "StateReason": row.state_reason,
             "StateUpdatedTimestamp": row.state_updated_at, "StateTransitionedTimestamp": row.state_transitioned_at}
    if row.state_reason_data:
        alarm["StateReasonData"] = row.state_reason_data
    for name in ("AlarmDescription", *SINGLE_METRIC, "EvaluationPeriods", "DatapointsToAlarm", "Threshold",
                 "ComparisonOperator", "TreatMissingData", "EvaluateLowSampleCountPercentile", "Metrics"):
        if definition.get(name) is not None:
            alarm[name] = definition[name]
    return alarm


def _acts_on(row: Row[Any], prefix: str) -> bool:
    return any(action.startswith(prefix) for name in _ACTION_LISTS for action in row.definition.get(name) or [])


@cloudwatch.operation("DescribeAlarms")
def describe_alarms(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Metric alarms only: there are no composite or log alarms here (asked for, their lists come back empty)."""
    if params.get("AlarmNames") and params.get("AlarmNamePrefix"):
        raise combination("AlarmNames and AlarmNamePrefix cannot be specified together.")
    types = params.get("AlarmTypes") or [METRIC_ALARM]
    table = cloudwatch_alarms
    query = where_given(select(table).where(in_callers_region(table, ctx)), params,
                        [(table.c.state_value, "StateValue")])
    if params.get("AlarmNames"):
        query = query.where(table.c.name.in_(params["AlarmNames"]))
    rows = [row for row in ctx.db.execute(query.order_by(table.c.name))
            if row.name.startswith(params.get("AlarmNamePrefix") or "")
            and (not params.get("ActionPrefix") or _acts_on(row, params["ActionPrefix"]))]
    if METRIC_ALARM not in types or params.get("ChildrenOfAlarmName") or params.get("ParentsOfAlarmName"):
        rows = []  # only composite alarms have children or parents
    chunk, token = page(rows, params | {"MaxResults": params.get("MaxRecords") or 50}, 50, invalid_token)
    result: dict[str, Any] = {"MetricAlarms": [_shown(row) for row in chunk]}
    for kind, key in (("CompositeAlarm", "CompositeAlarms"), ("LogAlarm", "LogAlarms")):
        if kind in types:
            result[key] = []
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
    ascending = params.get("ScanBy") == "TimestampAscending"
    rows = [] if METRIC_ALARM not in (params.get("AlarmTypes") or [METRIC_ALARM]) else list(
        ctx.db.execute(query.order_by(table.c.id if ascending else table.c.id.desc())))
    chunk, token = page(rows, params | {"MaxResults": params.get("MaxRecords") or 100}, 100, invalid_token)
    result: dict[str, Any] = {"AlarmHistoryItems": [
        {"AlarmName": row.alarm_name, "AlarmType": METRIC_ALARM, "Timestamp": row.timestamp,
         "HistoryItemType": row.item_type, "HistorySummary": row.summary, "HistoryData": row.data}
        for row in chunk]}
    if token:
        result["NextToken"] = token
    return result


# --- changing ---------------------------------------------------------------------------------------------------

@cloudwatch.operation("DeleteAlarms")
def delete_alarms(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """All or nothing: one name not found and no alarm is deleted."""
    names = list(dict.fromkeys(params["AlarmNames"]))
    rows = find_alarms(ctx, names)
    missing = sorted(set(names) - {row.name for row in rows})
    if missing:
        raise _not_found(f"{len(missing)} out of {len(names)} alarms were not found: {', '.join(missing)}")
    now = ctx.now()
    for row in rows:
        ctx.db.execute(delete(cloudwatch_alarms).where(cloudwatch_alarms.c.id == row.id))
        remove_tags(ctx.db, alarm_arn(row.account_id, row.region, row.name))
        _record(ctx.db, row.account_id, row.region, row.name, now, "ConfigurationUpdate",
                f'Alarm "{row.name}" deleted', {"version": "1.0", "type": "Delete", "deletedAlarm": row.definition})
    return {}


def transition(db: Connection, row: Row[Any], verdict: Verdict, now: datetime) -> None:
    """The alarm takes the verdict's state; a StateUpdate in its history says from what and why."""
    table = cloudwatch_alarms
    changed = verdict.state != row.state_value
    values: dict[str, Any] = {"state_value": verdict.state, "state_reason": verdict.reason,
                              "state_reason_data": verdict.reason_data, "state_updated_at": now}
    if changed:
        values["state_transitioned_at"] = now
    db.execute(update(table).where(table.c.id == row.id).values(**values))
    new_state = {"stateValue": verdict.state, "stateReason": verdict.reason}
    if verdict.reason_data:
        new_state["stateReasonData"] = json.loads(verdict.reason_data)
    _record(db, row.account_id, row.region, row.name, now, "StateUpdate",
            f"Alarm updated from {row.state_value} to {verdict.state}",
            {"version": "1.0", "oldState": {"stateValue": row.state_value, "stateReason": row.state_reason},
             "newState": new_state})


@cloudwatch.operation("SetAlarmState")
def set_alarm_state(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Until the next evaluation, which sets the state the data says."""
    rows = find_alarms(ctx, [params["AlarmName"]])
    if not rows:
        raise _not_found(f"Alarm {params['AlarmName']} not found")
    data = params.get("StateReasonData")
    if data is not None:
        try:
            json.loads(data)
        except ValueError as exc:
            raise AwsError("InvalidFormat", "StateReasonData is not valid JSON.", 400) from exc
    transition(ctx.db, rows[0], Verdict(params["StateValue"], params["StateReason"], data or ""), ctx.now())
    return {}


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


# --- evaluation -------------------------------------------------------------------------------------------------

def evaluate(db: Connection, row: Row[Any], now: datetime) -> Verdict:
    definition = row.definition
    period, count = period_of(definition), definition["EvaluationPeriods"]
    start = now - timedelta(seconds=period * count)
    queries = _queries(definition)
    try:
        series = query_series(db, row.account_id, row.region, queries, start, now)[_returned(queries)["Id"]]
    except AwsError as error:  # e.g. an expression whose inputs no longer fit together
        return Verdict(INSUFFICIENT_DATA, f"Unable to evaluate the alarm's metrics: {error.message}", "")
    moments = [start + timedelta(seconds=period * index) for index in range(count)]
    return judge(definition, [(moment, series.get(moment)) for moment in moments], row.state_value, now,
                 _statistic_of(definition), period)


def _evaluate_one(app: App, alarm_id: int) -> None:
    with app.database.transaction() as db:
        row = db.execute(select(cloudwatch_alarms).where(cloudwatch_alarms.c.id == alarm_id)
                         .with_for_update()).first()
        if row is None:  # deleted since
            return
        now = app.clock.now()
        verdict = evaluate(db, row, now)
        if verdict.state != row.state_value:
            transition(db, row, verdict, now)


@cloudwatch.task(EVALUATE_TASK)
def evaluate_alarm(app: App, payload: dict[str, Any]) -> None:
    _evaluate_one(app, payload["id"])


@cloudwatch.task(EVALUATE_ALL_TASK, every=60.0)
def evaluate_alarms(app: App, payload: dict[str, Any]) -> None:
    """Every alarm, each in its own transaction."""
    with app.database.transaction(write=False) as db:
        ids = db.execute(select(cloudwatch_alarms.c.id).order_by(cloudwatch_alarms.c.id)).scalars().all()
    for alarm_id in ids:
        _evaluate_one(app, alarm_id)


@cloudwatch.task(HISTORY_TASK, every=3600.0)
def drop_old_history(app: App, payload: dict[str, Any]) -> None:
    """Alarm history is kept 30 days, deleted alarms' included."""
    table = cloudwatch_alarm_history
    prune_in_task(app.database, table, table.c.timestamp < app.clock.now() - HISTORY_RETENTION)
