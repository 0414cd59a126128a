"""Composite alarms' rules: functions, constants, NOT before AND before OR, parentheses, names and ARNs, errors;
when an actions suppressor holds their actions back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from profilestack.services.cloudwatch.alarm_rules import RuleError, Suppressor, alarm_name, parse, suppressed_by

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


def test_a_suppressor_holds_back_actions_while_waiting_in_alarm_and_after() -> None:
    start = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    def by(seconds: int, suppressor: Suppressor | None, state: str = "ALARM") -> str | None:
        return suppressed_by(state, start, suppressor, 120, 180, start + timedelta(seconds=seconds))

    quiet = Suppressor("OK", start - timedelta(hours=1), "INSUFFICIENT_DATA")
    assert [by(0, quiet), by(119, quiet), by(120, quiet)] == ["WaitPeriod", "WaitPeriod", None]
    assert by(500, Suppressor("ALARM", start + timedelta(seconds=400), "OK")) == "Alarm"
    left = Suppressor("OK", start + timedelta(seconds=400), "ALARM")
    assert [by(500, left), by(579, left), by(580, left)] == ["ExtensionPeriod", "ExtensionPeriod", None]
    assert by(0, Suppressor("ALARM", start, "OK"), state="OK") is None  # nothing to hold back
    assert by(0, None) is None  # no suppressor (or it was deleted)
