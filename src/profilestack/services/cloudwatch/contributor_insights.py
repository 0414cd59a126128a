"""CloudWatch Contributor Insights: PutInsightRule, DescribeInsightRules, DeleteInsightRules, EnableInsightRules,
DisableInsightRules, GetInsightRuleReport; PutManagedInsightRules and ListManagedInsightRules.

A rule analyses the log events of CloudWatch Logs log groups. The log groups that hold events here are those
CloudTrail trails deliver to (cloudtrail/log_delivery.py): a rule on a trail's log group reports on the calls the
audit trail recorded (the top callers, the failing operations), counted while the rule was enabled. A rule on any
other log group is kept and reports no contributors: no other logs reach this server."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, update

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.services import periods
from profilestack.services.cloudtrail.log_delivery import delivered, deliveries
from profilestack.services.cloudwatch.contributor_rules import SCHEMA_NAME, InsightRule, RuleInvalid, parse
from profilestack.services.cloudwatch.errors import invalid, invalid_token
from profilestack.services.cloudwatch.handlers import cloudwatch
from profilestack.services.cloudwatch.tables import cloudwatch_insight_rules
from profilestack.services.filters import in_callers_region
from profilestack.services.next_token import rows_by_name
from profilestack.store.resource_tags import remove_tags, set_tags

MOST_RULES = 100  # per account and region, CloudWatch's default quota
MOST_PERIODS = 1440  # data points in one report
_METRICS = ("UniqueContributors", "MaxContributorValue", "SampleCount", "Sum", "Minimum", "Maximum", "Average")
_rules = cloudwatch_insight_rules.c


def rule_arn(account: str, region: str, name: str) -> str:
    return f"arn:aws:cloudwatch:{region}:{account}:insight-rule/{name}"


def find_rule(ctx: CallContext, name: str) -> Row[Any] | None:
    return ctx.db.execute(select(cloudwatch_insight_rules).where(
        in_callers_region(cloudwatch_insight_rules, ctx), _rules.name == name)).first()


def _not_found(name: str) -> AwsError:
    return AwsError("ResourceNotFoundException", f"Contributor Insights rule {name} does not exist.", 404)


def _state(value: str | None) -> str:
    state = value or "ENABLED"
    if state not in ("ENABLED", "DISABLED"):
        raise invalid("RuleState must be ENABLED or DISABLED.")
    return state


def _enabled(enabled: periods.Periods, state: str, now: datetime) -> periods.Periods:
    """The rule's enabled periods once its state is ``state`` (which they tell from then on)."""
    return periods.begun(enabled, now) if state == "ENABLED" else periods.ended(enabled, now)


@cloudwatch.operation("PutInsightRule")
def put_insight_rule(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """A new rule, or the rule of that name redefined (its enabled periods kept, its state as given)."""
    try:
        parse(params["RuleDefinition"])
    except RuleInvalid as error:
        raise invalid(str(error)) from None
    name, state, now = params["RuleName"], _state(params.get("RuleState")), ctx.now()
    values = {"definition": params["RuleDefinition"],
              "apply_on_transformed_logs": bool(params.get("ApplyOnTransformedLogs"))}
    existing = find_rule(ctx, name)
    scope = in_callers_region(cloudwatch_insight_rules, ctx)
    if existing is None:
        count = ctx.db.execute(select(func.count()).select_from(cloudwatch_insight_rules).where(scope)).scalar()
        if count >= MOST_RULES:
            raise AwsError("LimitExceededException", f"A Region of an account holds at most {MOST_RULES} "
                                                     "Contributor Insights rules.", 400)
        ctx.db.execute(insert(cloudwatch_insight_rules).values(
            account_id=ctx.account, region=ctx.region, name=name, enabled=_enabled([], state, now), created_at=now,
            **values))
    else:
        ctx.db.execute(update(cloudwatch_insight_rules).where(scope, _rules.name == name).values(
            enabled=_enabled(existing.enabled, state, now), **values))
    if params.get("Tags"):
        set_tags(ctx.db, rule_arn(ctx.account, ctx.region, name),
                 {tag["Key"]: tag["Value"] for tag in params["Tags"]}, invalid)
    return {}


@cloudwatch.gives_condition_keys("PutInsightRule")
def _rule_log_groups(params: dict[str, Any]) -> dict[str, list[str]]:
    """cloudwatch:requestInsightRuleLogGroups: the log groups the rule names (none when it does not parse: the call
    is refused then)."""
    try:
        rule = parse(params.get("RuleDefinition", ""))
    except RuleInvalid:
        return {}
    return {"requestInsightRuleLogGroups": list(rule.log_group_names or rule.log_group_arns)}


@cloudwatch.operation("DescribeInsightRules")
def describe_insight_rules(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    def shapes(rows: list[Row[Any]]) -> list[dict[str, Any]]:
        return [{"Name": row.name, "State": "ENABLED" if periods.on(row.enabled) else "DISABLED",
                 "Schema": SCHEMA_NAME, "Definition": row.definition,
                 "ManagedRule": False, "ApplyOnTransformedLogs": row.apply_on_transformed_logs} for row in rows]

    return rows_by_name(ctx.db, select(cloudwatch_insight_rules).where(
        in_callers_region(cloudwatch_insight_rules, ctx)), _rules.name, params, shapes, "InsightRules",
        invalid_token, default_size=500)


def _each_rule(ctx: CallContext, names: list[str]) -> Iterator[tuple[str, Row[Any] | None]]:
    for name in dict.fromkeys(names):
        yield name, find_rule(ctx, name)


def _missing(name: str) -> dict[str, str]:
    """A rule that is not there, as a partial failure of the call that named it."""
    return {"FailureResource": name, "ExceptionType": "ResourceNotFoundException", "FailureCode": "404",
            "FailureDescription": _not_found(name).message}


@cloudwatch.operation("DeleteInsightRules")
def delete_insight_rules(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    failures = []
    for name, row in _each_rule(ctx, params["RuleNames"]):
        if row is None:
            failures.append(_missing(name))
            continue
        ctx.db.execute(delete(cloudwatch_insight_rules).where(
            in_callers_region(cloudwatch_insight_rules, ctx), _rules.name == name))
        remove_tags(ctx.db, rule_arn(ctx.account, ctx.region, name))
    return {"Failures": failures}


def _set_states(ctx: CallContext, names: list[str], state: str) -> dict[str, Any]:
    failures = []
    for name, row in _each_rule(ctx, names):
        if row is None:
            failures.append(_missing(name))
            continue
        ctx.db.execute(update(cloudwatch_insight_rules).where(
            in_callers_region(cloudwatch_insight_rules, ctx), _rules.name == name).values(
            enabled=_enabled(row.enabled, state, ctx.now())))
    return {"Failures": failures}


@cloudwatch.operation("EnableInsightRules")
def enable_insight_rules(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return _set_states(ctx, params["RuleNames"], "ENABLED")


@cloudwatch.operation("DisableInsightRules")
def disable_insight_rules(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return _set_states(ctx, params["RuleNames"], "DISABLED")


@cloudwatch.operation("ListManagedInsightRules")
def list_managed_insight_rules(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Managed rules come with the resources of services that publish their own logs to Contributor Insights
    (DynamoDB tables, say); none of those is served here, so no resource has any."""
    return {"ManagedRules": []}


@cloudwatch.operation("PutManagedInsightRules")
def put_managed_insight_rules(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"Failures": [{
        "FailureResource": rule["ResourceARN"], "ExceptionType": "InvalidParameterValueException",
        "FailureCode": "400", "FailureDescription": f"No managed rule template {rule['TemplateName']} exists for "
                                                    f"{rule['ResourceARN']}."} for rule in params["ManagedRules"]]}


@cloudwatch.operation("GetInsightRuleReport")
def get_insight_rule_report(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = find_rule(ctx, params["RuleName"])
    if row is None:
        raise _not_found(params["RuleName"])
    start, end, period = params["StartTime"], params["EndTime"], params["Period"]
    if end <= start:
        raise invalid("EndTime must be after StartTime.")
    if (end - start).total_seconds() / period > MOST_PERIODS:
        raise invalid(f"A report holds at most {MOST_PERIODS} data points: choose a longer Period or a shorter "
                      "time range.")
    most = params.get("MaxContributorCount", 10)
    if not 1 <= most <= 100:
        raise invalid("MaxContributorCount must be from 1 to 100.")
    metrics = params.get("Metrics", [])
    unknown = [name for name in metrics if name not in _METRICS]
    if unknown:
        raise invalid(f"{unknown[0]} is not a metric of a Contributor Insights report: {', '.join(_METRICS)}.")
    order_by = params.get("OrderBy", "Sum")
    if order_by not in ("Sum", "Maximum"):
        raise invalid("OrderBy must be Sum or Maximum.")
    rule = parse(row.definition)
    report = _Report(start, period)
    for moment, record in _events(ctx, rule, row, start, end):
        found = rule.contribution(record)
        if found is not None:
            report.add(moment, *found)
    return {"KeyLabels": list(rule.key_labels), "AggregationStatistic": rule.aggregate_on,
            **report.answer(most, metrics, order_by)}


def _events(ctx: CallContext, rule: InsightRule, row: Row[Any], start: datetime, end: datetime
            ) -> Iterator[tuple[datetime, dict[str, Any]]]:
    """The log events the rule analysed between ``start`` and ``end``: those of the log groups it reads, that came
    while it was enabled."""
    began = periods.first_began(row.enabled)
    if began is None:  # never enabled: it analysed nothing
        return
    enabled = periods.covering(row.enabled)
    for delivery in deliveries(ctx.db, ctx.account):
        if delivery.region != ctx.region or not rule.reads(delivery.region, ctx.account, delivery.log_group):
            continue
        for moment, record in delivered(ctx.db, delivery.trail, max(start, began), end):
            if enabled(moment):
                yield moment, record


class _Report:
    """Contributions summed per contributor and per period (periods from the report's start)."""

    def __init__(self, start: datetime, period: int) -> None:
        self._start, self._period = start, period
        self._totals: dict[tuple[str, ...], float] = defaultdict(float)
        self._by_period: dict[int, dict[tuple[str, ...], float]] = defaultdict(lambda: defaultdict(float))
        self._observations: dict[int, list[float]] = defaultdict(list)

    def add(self, moment: datetime, keys: tuple[str, ...], value: float) -> None:
        index = int((moment - self._start).total_seconds() // self._period)
        self._totals[keys] += value
        self._by_period[index][keys] += value
        self._observations[index].append(value)

    def _time(self, index: int) -> datetime:
        return self._start + timedelta(seconds=index * self._period)

    def answer(self, most: int, metrics: list[str], order_by: str) -> dict[str, Any]:
        def rank(keys: tuple[str, ...]) -> tuple[float, tuple[str, ...]]:
            if order_by == "Maximum":
                return -max(values.get(keys, 0.0) for values in self._by_period.values()), keys
            return -self._totals[keys], keys

        top = sorted(self._totals, key=rank)[:most]
        contributors = [{"Keys": list(keys), "ApproximateAggregateValue": self._totals[keys], "Datapoints": [
            {"Timestamp": self._time(index), "ApproximateValue": values[keys]}
            for index, values in sorted(self._by_period.items()) if keys in values]} for keys in top]
        points = []
        for index, values in sorted(self._by_period.items()):
            observed = self._observations[index]
            total = sum(observed)
            every = {"UniqueContributors": float(len(values)), "MaxContributorValue": max(values.values()),
                     "SampleCount": float(len(observed)), "Sum": total, "Minimum": min(observed),
                     "Maximum": max(observed), "Average": total / len(values)}
            points.append({"Timestamp": self._time(index), **{name: every[name] for name in metrics}})
        return {"AggregateValue": sum(self._totals.values()), "ApproximateUniqueCount": len(self._totals),
                "Contributors": contributors, "MetricDatapoints": points}
