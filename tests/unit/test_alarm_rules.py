"""Composite alarms' rules: functions, constants, NOT before AND before OR, parentheses, names and ARNs, errors."""

from __future__ import annotations

import pytest

from profilestack.services.cloudwatch.alarm_rules import RuleError, alarm_name, parse

STATES = {"a": "ALARM", "b": "OK", "c": "INSUFFICIENT_DATA"}


@pytest.mark.parametrize(("rule", "holds"), [
    ("ALARM(a)", True), ('OK("b")', True), ("INSUFFICIENT_DATA(c)", True), ("ALARM(b)", False),
    ("ALARM(missing)", False), ("TRUE", True), ("FALSE", False), ("NOT ALARM(a)", False),
    ("ALARM(a) AND OK(b)", True), ("ALARM(a) AND NOT OK(b)", False), ("ALARM(b) OR OK(b)", True),
    ("ALARM(a) OR OK(b) AND FALSE", True),  # AND first
    ("(ALARM(a) OR OK(b)) AND FALSE", False), ("NOT FALSE AND FALSE", False),  # NOT first
    ("ALARM(arn:aws:cloudwatch:us-east-1:000000000000:alarm:a)", True),
])
def test_rules_hold_as_their_alarms_states_say(rule: str, holds: bool) -> None:
    assert parse(rule).holds(STATES.get) is holds


def test_the_names_a_rule_gives() -> None:
    rule = parse('ALARM("a") OR (OK(b) AND NOT ALARM(arn:aws:cloudwatch:us-east-1:000000000000:alarm:my-alarm))')
    assert rule.names == {"a", "b", "arn:aws:cloudwatch:us-east-1:000000000000:alarm:my-alarm"}
    assert alarm_name("arn:aws:cloudwatch:us-east-1:000000000000:alarm:my-alarm") == "my-alarm"


@pytest.mark.parametrize(("rule", "message"), [
    ("", "the rule is empty"), ("   ", "the rule is empty"), ("ALARM()", "ALARM() names no alarm"),
    ("ALARM(a) AND", "the rule ends too early"), ("(ALARM(a)", "the rule ends too early"),
    ("ALARM(a))", "unexpected )"), ("MAYBE(a)", "cannot read the rule at character 1"),
    ("ALARM(a) OK(b)", "unexpected OK(b)"), ("AND ALARM(a)", "unexpected AND"),
])
def test_rules_that_do_not_read(rule: str, message: str) -> None:
    with pytest.raises(RuleError) as raised:
        parse(rule)
    assert str(raised.value) == message
