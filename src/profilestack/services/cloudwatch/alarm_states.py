"""Alarms' states: evaluation (a metric alarm by its data, a composite alarm by its rule), transitions with their
history, SetAlarmState, and the outbox tasks that evaluate. A transition re-evaluates at once, in the same
transaction, the composite alarms whose rules name the alarm (and theirs in turn)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, select, update

from profilestack import jsontext
from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.services.cloudwatch.alarm_evaluation import (
    ALARM,
    INSUFFICIENT_DATA,
    OK,
    Verdict,
    judge,
    too_few_samples,
    warm_up_over,
    warming_up,
)
from profilestack.services.cloudwatch.alarm_rules import RuleError, parse
from profilestack.services.cloudwatch.alarm_windows import evaluated_periods, window_zone
from profilestack.services.cloudwatch.alarms import (
    EVALUATE_ALL_TASK,
    EVALUATE_TASK,
    alarm_type,
    band_of,
    find_alarms,
    is_composite,
    metric_queries,
    not_found,
    period_of,
    record_history,
    rule_alarms,
    statistic_of,
    wall_clock_zone,
    watched_query,
)
from profilestack.services.cloudwatch.anomaly_bands import TRAINING, band
from profilestack.services.cloudwatch.anomaly_detectors import configuration_for, excluded_ranges, single_metric
from profilestack.services.cloudwatch.expressions import Series
from profilestack.services.cloudwatch.handlers import cloudwatch
from profilestack.services.cloudwatch.metric_queries import one_series, query_series
from profilestack.services.cloudwatch.tables import cloudwatch_alarms

if TYPE_CHECKING:
    from profilestack.app import App

# an alarm's Metrics Insights query reads the last three hours of data only (documented)
ALARM_INSIGHTS_REACH = timedelta(hours=3)


def transition(db: Connection, row: Row[Any], verdict: Verdict, now: datetime) -> None:
    """The alarm takes the verdict's state; a StateUpdate in its history says from what and why; the composite
    alarms that name it are evaluated again."""
    table = cloudwatch_alarms
    changed = verdict.state != row.state_value
    values: dict[str, Any] = {"state_value": verdict.state, "state_reason": verdict.reason,
                              "state_reason_data": verdict.reason_data, "state_updated_at": now}
    if changed:
        values["state_transitioned_at"] = now
    db.execute(update(table).where(table.c.id == row.id).values(**values))
    new_state = {"stateValue": verdict.state, "stateReason": verdict.reason}
    if verdict.reason_data:
        new_state["stateReasonData"] = jsontext.Fragment(verdict.reason_data)  # checked JSON, placed as it is
    record_history(db, row.account_id, row.region, row.name, now, "StateUpdate",
                   f"Alarm updated from {row.state_value} to {verdict.state}",
                   {"version": "1.0", "oldState": {"stateValue": row.state_value, "stateReason": row.state_reason},
                    "newState": new_state}, alarm_type(row.definition))
    if changed:
        _evaluate_parents(db, row, now, {row.name})


def _evaluate_parents(db: Connection, child: Row[Any], now: datetime, seen: set[str]) -> None:
    """Composite alarms naming ``child`` in their rules, evaluated again (``seen``: a cycle stops)."""
    table = cloudwatch_alarms
    for row in db.execute(select(table).where(table.c.account_id == child.account_id,
                                              table.c.region == child.region).order_by(table.c.id)).all():
        if row.name in seen or child.name not in rule_alarms(row.definition):
            continue
        verdict = evaluate(db, row, now)
        if verdict.state != row.state_value:
            seen.add(row.name)
            transition(db, row, verdict, now)


@cloudwatch.operation("SetAlarmState")
def set_alarm_state(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Until the next evaluation, which sets the state the data (or the rule) says."""
    rows = find_alarms(ctx, [params["AlarmName"]])
    if not rows:
        raise not_found(f"Alarm {params['AlarmName']} not found")
    data = params.get("StateReasonData")
    if data is not None:
        try:
            jsontext.loads(data)
        except ValueError as exc:
            raise AwsError("InvalidFormat", "StateReasonData is not valid JSON.", 400) from exc
    transition(ctx.db, rows[0], Verdict(params["StateValue"], params["StateReason"], data or ""), ctx.now())
    return {}


def evaluate(db: Connection, row: Row[Any], now: datetime) -> Verdict:
    if is_composite(row.definition):
        return _evaluate_rule(db, row, now)
    definition = row.definition
    period = period_of(definition)
    periods = evaluated_periods(now, period, definition["EvaluationPeriods"], wall_clock_zone(definition))
    queries = metric_queries(definition)
    try:
        returned = watched_query(definition)["Id"]
        held = _held_for_few_samples(db, row, queries, returned, periods)
        if held is not None:
            return held
        if all(end - start == timedelta(seconds=period) for start, end in periods):
            series = _read(db, row, queries, returned, periods[0][0], periods[-1][1])
        else:  # calendar days or weeks across a change of daylight saving time: each read on its own
            series = {start: value for start, end in periods
                      if (value := _read(db, row, queries, returned, start, end).get(start)) is not None}
        bands = _bands(db, row, queries, periods)
    except AwsError as error:  # e.g. an expression whose inputs no longer fit together
        return Verdict(INSUFFICIENT_DATA, f"Unable to evaluate the alarm's metrics: {error.message}", "")
    points = [(start, series.get(start)) for start, _ in periods]
    if row.warm_up_until is not None:
        if not warm_up_over(definition, row.warm_up_until, points, now):
            return warming_up(row.warm_up_until)
        db.execute(update(cloudwatch_alarms).where(cloudwatch_alarms.c.id == row.id).values(warm_up_until=None))
    return judge(definition, points, row.state_value, now, statistic_of(definition), period, bands)


def _bands(db: Connection, row: Row[Any], queries: list[dict[str, Any]], periods: list[tuple[datetime, datetime]]
           ) -> dict[datetime, tuple[float, float]] | None:
    """An anomaly detection alarm's band of each evaluated period, from the metric's two weeks before the first
    (read with the alarm's own period), as its detector's configuration (time zone, excluded ranges) says."""
    found = band_of(row.definition)
    if found is None:
        return None
    metric, width = found
    configuration: dict[str, Any] = {}
    if "MetricStat" in metric:
        configuration = configuration_for(db, row.account_id, row.region, single_metric(metric["MetricStat"]))
    first = periods[0][0]
    history = _read(db, row, queries, metric["Id"], first - TRAINING, first)
    return band(history, [start for start, _ in periods], width, window_zone(configuration.get("MetricTimezone")),
                excluded_ranges(configuration))


def _read(db: Connection, row: Row[Any], queries: list[dict[str, Any]], returned: str, start: datetime,
          end: datetime) -> Series:
    return one_series(query_series(db, row.account_id, row.region, queries, start, end,
                                   insights_reach=ALARM_INSIGHTS_REACH)[returned], returned)


def _held_for_few_samples(db: Connection, row: Row[Any], queries: list[dict[str, Any]], returned: str,
                          periods: list[tuple[datetime, datetime]]) -> Verdict | None:
    """With EvaluateLowSampleCountPercentile ignore, the verdict that keeps a percentile alarm's state while its
    window holds too few samples (read before the percentile itself, which is then not needed)."""
    definition = row.definition
    if definition.get("EvaluateLowSampleCountPercentile") != "ignore" or not definition.get("ExtendedStatistic"):
        return None
    counting = [{**query, "MetricStat": {**query["MetricStat"], "Stat": "SampleCount"}} for query in queries]
    samples = sum(_read(db, row, counting, returned, periods[0][0], periods[-1][1]).values())
    needed = too_few_samples(definition["ExtendedStatistic"], samples)
    if needed is None:
        return None
    return Verdict(row.state_value, f"Unchanged: {samples:g} samples are too few for {definition['ExtendedStatistic']} "
                                    f"(it needs {needed:g}), and low sample counts are ignored.",
                   row.state_reason_data or "")


def _evaluate_rule(db: Connection, row: Row[Any], now: datetime) -> Verdict:
    """ALARM when the rule holds, OK when it does not; an alarm the rule names that no longer exists is in no
    state (every function of it is FALSE)."""
    try:
        rule = parse(row.definition["AlarmRule"])
    except RuleError as error:  # checked when put; kept for rows written otherwise
        return Verdict(INSUFFICIENT_DATA, f"The alarm rule cannot be read: {error}", "")
    names = sorted(rule.alarms)
    table = cloudwatch_alarms
    states = {child.name: child.state_value for child in db.execute(
        select(table.c.name, table.c.state_value).where(table.c.account_id == row.account_id,
                                                        table.c.region == row.region, table.c.name.in_(names)))}
    holds = rule.holds(states.get)
    children = [{"name": name, "state": states.get(name)} for name in names]
    data = json.dumps({"version": "1.0", "evaluatedAt": now.isoformat(timespec="milliseconds"),
                       "alarmRule": row.definition["AlarmRule"], "children": children})
    shown = ", ".join(f"{name} is {states.get(name) or 'missing'}" for name in names)
    return Verdict(ALARM if holds else OK, f"The alarm rule is {'TRUE' if holds else 'FALSE'}"
                   + (f": {shown}." if shown else "."), data)


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
    """Every alarm, each in its own transaction: metric alarms first, then composite ones (by their rules)."""
    with app.database.transaction(write=False) as db:
        rows = db.execute(select(cloudwatch_alarms.c.id, cloudwatch_alarms.c.definition)
                          .order_by(cloudwatch_alarms.c.id)).all()
    for row in sorted(rows, key=lambda row: is_composite(row.definition)):
        _evaluate_one(app, row.id)

