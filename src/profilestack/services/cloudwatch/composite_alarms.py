"""CloudWatch composite alarms: PutCompositeAlarm. Their state is their rule's (alarm_states.py evaluates it); an
actions suppressor's effect is worked out when they are described (alarms.py)."""

from __future__ import annotations

from typing import Any

from profilestack.gateway.context import CallContext
from profilestack.services.cloudwatch.alarm_rules import RuleError, alarm_name, parse
from profilestack.services.cloudwatch.alarms import check_actions, definition_of, find_alarms, save_alarm
from profilestack.services.cloudwatch.errors import combination, invalid
from profilestack.services.cloudwatch.handlers import cloudwatch

PERIODS = ("ActionsSuppressorWaitPeriod", "ActionsSuppressorExtensionPeriod")


@cloudwatch.operation("PutCompositeAlarm")
def put_composite_alarm(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """The rule must read, and name existing alarms of this account and region other than itself."""
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
    _check_suppressor(ctx, params, prefix)
    check_actions(params)
    save_alarm(ctx, params, definition_of(params))
    return {}


def _check_suppressor(ctx: CallContext, params: dict[str, Any], prefix: str) -> None:
    """An actions suppressor is another alarm of this account and region, and comes with both its periods."""
    suppressor = params.get("ActionsSuppressor")
    if suppressor is None:
        if any(params.get(name) is not None for name in PERIODS):
            raise combination("ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod are only taken "
                              "with an ActionsSuppressor.")
        return
    if any(params.get(name) is None for name in PERIODS):
        raise combination("ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod are required when "
                          "ActionsSuppressor is specified.")
    if any(params[name] < 0 for name in PERIODS):
        raise invalid("ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod are seconds: 0 or more.")
    if suppressor.startswith("arn:") and not suppressor.startswith(prefix):
        raise invalid(f"ActionsSuppressor {suppressor} is not an alarm of this account and region.")
    name = alarm_name(suppressor)
    if name == params["AlarmName"]:
        raise invalid("A composite alarm cannot be its own ActionsSuppressor.")
    if not find_alarms(ctx, [name]):
        raise invalid(f"ActionsSuppressor alarm {name} does not exist.")
