"""CloudWatch alarm mute rules: PutAlarmMuteRule, GetAlarmMuteRule, ListAlarmMuteRules, DeleteAlarmMuteRule.

A rule names alarms and the windows (a cron or at schedule, a duration, a time zone) their actions are muted in;
its status is worked out from the clock when asked (mute_schedules.py). The alarms go on evaluating; their actions
are not carried out here in any case (docs/decisions.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, select

from profilestack.gateway.authz import AuthorizationRequest
from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.services.cloudwatch import mute_schedules
from profilestack.services.cloudwatch.alarm_windows import window_zone
from profilestack.services.cloudwatch.alarms import alarm_arn, find_alarms
from profilestack.services.cloudwatch.errors import invalid, invalid_token
from profilestack.services.cloudwatch.handlers import cloudwatch
from profilestack.services.cloudwatch.tables import cloudwatch_alarm_mute_rules
from profilestack.services.filters import in_callers_region, put_in_callers_region
from profilestack.services.next_token import page_result
from profilestack.store.resource_tags import remove_tags, set_tags

_rules = cloudwatch_alarm_mute_rules.c


def mute_rule_arn(account: str, region: str, name: str) -> str:
    return f"arn:aws:cloudwatch:{region}:{account}:alarm-mute-rule:{name}"


def _not_found(name: str) -> AwsError:
    return AwsError("ResourceNotFoundException", f"Alarm mute rule {name} does not exist.", 404)


def find_mute_rule(ctx: CallContext, name: str) -> Row[Any] | None:
    return ctx.db.execute(select(cloudwatch_alarm_mute_rules).where(
        in_callers_region(cloudwatch_alarm_mute_rules, ctx), _rules.name == name)).first()


def _schedule(rule: dict[str, Any]) -> tuple[mute_schedules.Schedule, Any, Any]:
    """The rule's schedule, duration and time zone, read (each refusal naming the parameter)."""
    schedule = rule["Schedule"]

    def read(member: str, reader: Any) -> Any:
        try:
            return reader(schedule.get(member))
        except ValueError as problem:
            raise invalid(f"The value {schedule.get(member)} for parameter Rule.Schedule.{member} is invalid: "
                          f"{problem}") from None

    return (read("Expression", mute_schedules.parse_schedule), read("Duration", mute_schedules.parse_duration),
            read("Timezone", window_zone))


@cloudwatch.operation("PutAlarmMuteRule")
def put_alarm_mute_rule(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Creates or replaces the rule. Its alarms must exist, and the caller may put mute rules on each of them."""
    name = params["Name"]
    _schedule(params["Rule"])
    start, expire = params.get("StartDate"), params.get("ExpireDate")
    if start is not None and expire is not None and start >= expire:
        raise invalid("The StartDate must be before the ExpireDate.")
    targets = (params.get("MuteTargets") or {}).get("AlarmNames") or []
    found = {row.name for row in find_alarms(ctx, targets)}
    missing = [target for target in dict.fromkeys(targets) if target not in found]
    if missing:
        raise invalid(f"The alarms {', '.join(missing)} do not exist: a mute rule targets existing alarms.")
    for target in dict.fromkeys(targets):
        ctx.app.authorizer.authorize(AuthorizationRequest(
            ctx.principal, "cloudwatch:PutAlarmMuteRule", [alarm_arn(ctx.account, ctx.region, target)], ctx.region,
            params, ctx.source_ip, ctx.secure))
    definition = {member: params[member] for member in ("Description", "Rule", "MuteTargets") if member in params}
    put_in_callers_region(ctx, cloudwatch_alarm_mute_rules, {"name": name}, {
        "definition": definition, "start_date": start, "expire_date": expire, "updated_at": ctx.now()})
    if params.get("Tags"):
        set_tags(ctx.db, mute_rule_arn(ctx.account, ctx.region, name),
                 {tag["Key"]: tag["Value"] for tag in params["Tags"]}, invalid)
    return {}


def _status(row: Row[Any], now: datetime) -> tuple[str, str]:
    """(status, mute type) of a stored rule at ``now``."""
    schedule, duration, zone = _schedule(row.definition["Rule"])
    return (mute_schedules.status(schedule, duration, zone, row.start_date, row.expire_date, now),
            mute_schedules.mute_type(schedule))


def _dates(row: Row[Any]) -> dict[str, Any]:
    return {name: value for name, value in (("StartDate", row.start_date), ("ExpireDate", row.expire_date))
            if value is not None}


@cloudwatch.operation("GetAlarmMuteRule")
def get_alarm_mute_rule(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = find_mute_rule(ctx, params["AlarmMuteRuleName"])
    if row is None:
        raise _not_found(params["AlarmMuteRuleName"])
    status, kind = _status(row, ctx.now())
    return {"Name": row.name, "AlarmMuteRuleArn": mute_rule_arn(ctx.account, ctx.region, row.name),
            **row.definition, **_dates(row), "Status": status, "LastUpdatedTimestamp": row.updated_at,
            "MuteType": kind}


@cloudwatch.operation("ListAlarmMuteRules")
def list_alarm_mute_rules(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """In name order; ``AlarmName`` keeps the rules that target that alarm (which must exist), ``Statuses`` those
    in one of them now."""
    alarm = params.get("AlarmName")
    if alarm is not None and not find_alarms(ctx, [alarm]):
        raise AwsError("ResourceNotFoundException", f"Alarm {alarm} does not exist.", 404)
    now, wanted = ctx.now(), params.get("Statuses")
    summaries = []
    for row in ctx.db.execute(select(cloudwatch_alarm_mute_rules).where(
            in_callers_region(cloudwatch_alarm_mute_rules, ctx)).order_by(_rules.name)):
        if alarm is not None and alarm not in (row.definition.get("MuteTargets") or {}).get("AlarmNames", []):
            continue
        status, kind = _status(row, now)
        if wanted and status not in wanted:
            continue
        summary = {"AlarmMuteRuleArn": mute_rule_arn(ctx.account, ctx.region, row.name), "Status": status,
                   "MuteType": kind, "LastUpdatedTimestamp": row.updated_at}
        if row.expire_date is not None:
            summary["ExpireDate"] = row.expire_date
        summaries.append(summary)
    return page_result(summaries, params, key="AlarmMuteRuleSummaries", invalid=invalid_token,
                       size_name="MaxRecords")


@cloudwatch.operation("DeleteAlarmMuteRule")
def delete_alarm_mute_rule(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["AlarmMuteRuleName"]
    gone = ctx.db.execute(delete(cloudwatch_alarm_mute_rules).where(
        in_callers_region(cloudwatch_alarm_mute_rules, ctx), _rules.name == name))
    if not gone.rowcount:
        raise _not_found(name)
    remove_tags(ctx.db, mute_rule_arn(ctx.account, ctx.region, name))
    return {}
