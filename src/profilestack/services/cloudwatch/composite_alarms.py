"""CloudWatch composite alarms: PutCompositeAlarm. Their state is their rule's (alarm_states.py evaluates it)."""

from __future__ import annotations

from typing import Any

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.services.cloudwatch.alarm_rules import RuleError, parse
from profilestack.services.cloudwatch.alarms import check_actions, definition_of, find_alarms, save_alarm
from profilestack.services.cloudwatch.handlers import cloudwatch, invalid

NOT_SUPPORTED = ("ActionsSuppressor", "ActionsSuppressorWaitPeriod", "ActionsSuppressorExtensionPeriod",
                 "ActionConfiguration")


@cloudwatch.operation("PutCompositeAlarm")
def put_composite_alarm(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """The rule must read, and name existing alarms of this account and region other than itself."""
    for name in NOT_SUPPORTED:
        if params.get(name) is not None:
            raise AwsError("NotImplemented", f"profilestack does not support {name} in composite alarms yet.", 501)
    try:
        rule = parse(params["AlarmRule"])
    except RuleError as error:
        raise invalid(f"Error in alarm rule: {error}.") from error
    prefix = f"arn:aws:cloudwatch:{ctx.region}:{ctx.account}:alarm:"
    names = rule.alarms
    foreign = sorted(name for name in rule.names if name.startswith("arn:") and not name.startswith(prefix))
    if foreign:
        raise invalid(f"Error in alarm rule: {foreign[0]} is not an alarm of this account and region.")
    if params["AlarmName"] in names:
        raise invalid("Error in alarm rule: a composite alarm cannot name itself.")
    missing = sorted(names - {row.name for row in find_alarms(ctx, sorted(names))})
    if missing:
        raise invalid(f"Error in alarm rule: alarm {missing[0]} does not exist.")
    check_actions(params)
    save_alarm(ctx, params, definition_of(params))
    return {}
