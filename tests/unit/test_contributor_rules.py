"""Contributor Insights rules (pure): which log events a rule's filters take, which contributor each is, what it
adds, and which log groups a rule reads."""

from __future__ import annotations

import json

import pytest

from profilestack.services.cloudwatch.contributor_rules import parse

SCHEMA = {"Name": "CloudWatchLogRule", "Version": 1}
EVENTS = [
    {"ip": "10.0.0.1", "status": 200, "bytes": "1500", "method": "GET", "user": {"names": ["ann", "a"]}},
    {"ip": "10.0.0.2", "status": 404, "bytes": 300, "method": "PUT", "user": {"names": ["bob"]}},
    {"ip": "10.0.0.1", "status": 500, "bytes": "n/a", "method": "POST"},
    {"ip": {"v4": "10.0.0.3"}, "status": 200, "bytes": 10, "method": "GET"},
]


def _rule(keys: list[str], filters: list[dict] | None = None, value_of: str | None = None, **extra) -> str:
    contribution: dict = {"Keys": keys, "Filters": filters or []}
    if value_of:
        contribution["ValueOf"] = value_of
    return json.dumps({"Schema": SCHEMA, "LogGroupNames": ["web"], "LogFormat": "JSON",
                       "Contribution": contribution, "AggregateOn": "Sum" if value_of else "Count", **extra})


def _contributions(definition: str) -> list[tuple[tuple[str, ...], float] | None]:
    rule = parse(definition)
    return [rule.contribution(event) for event in EVENTS]


@pytest.mark.parametrize(("test", "taken"), [
    ({"In": ["GET", "PUT"]}, [True, True, False, True]),
    ({"NotIn": ["GET"]}, [False, True, True, False]),
    ({"StartsWith": ["P"]}, [False, True, True, False]),
])
def test_text_filters(test: dict, taken: list[bool]) -> None:
    found = _contributions(_rule(["$.method"], [{"Match": "$.method", **test}]))
    assert [item is not None for item in found] == taken


@pytest.mark.parametrize(("test", "taken"), [
    ({"GreaterThan": 250}, [False, True, True, False]),
    ({"LessThan": 404}, [True, False, False, True]),
    ({"EqualTo": 200}, [True, False, False, True]),
    ({"NotEqualTo": 200}, [False, True, True, False]),
])
def test_number_filters(test: dict, taken: list[bool]) -> None:
    found = _contributions(_rule(["$.method"], [{"Match": "$.status", **test}]))
    assert [item is not None for item in found] == taken


def test_presence_and_missing_fields() -> None:
    present = _contributions(_rule(["$.method"], [{"Match": "$.user.names[0]", "IsPresent": True}]))
    assert [item is not None for item in present] == [True, True, False, False]
    absent = _contributions(_rule(["$.method"], [{"Match": "$.user", "IsPresent": False}]))
    assert [item is not None for item in absent] == [False, False, True, True]
    # a field the event lacks fails every test but the negative ones
    assert [item is not None for item in _contributions(_rule(["$.method"], [
        {"Match": "$.user.names[1]", "NotIn": ["a"]}]))] == [False, True, True, True]


def test_keys_and_values() -> None:
    # several keys make one contributor of their values; a key holding an object, or missing, leaves the event out
    assert _contributions(_rule(["$.ip", "$.method"])) == [
        (("10.0.0.1", "GET"), 1.0), (("10.0.0.2", "PUT"), 1.0), (("10.0.0.1", "POST"), 1.0), None]
    # a sum reads numbers, written as numbers or as text; an event whose value is no number adds nothing
    assert _contributions(_rule(["$.ip"], value_of="$.bytes")) == [
        (("10.0.0.1",), 1500.0), (("10.0.0.2",), 300.0), None, None]
    assert _contributions(_rule(["$.user.names[0]"])) == [(("ann",), 1.0), (("bob",), 1.0), None, None]


def test_the_log_groups_a_rule_reads() -> None:
    by_name = parse(_rule(["$.ip"]).replace('["web"]', '["CloudTrail/*", "exact"]'))
    assert [by_name.reads("eu-west-1", "000000000000", group) for group in (
        "CloudTrail/audit", "CloudTrail/", "exact", "exactly", "Other")] == [True, True, True, False, False]
    by_arn = parse(json.dumps({"Schema": SCHEMA, "LogGroupARNs": [
        "arn:aws:logs:eu-west-1:*:log-group:audit-*:*"], "LogFormat": "JSON",
        "Contribution": {"Keys": ["$.ip"]}, "AggregateOn": "Count"}))
    assert by_arn.reads("eu-west-1", "000000000000", "audit-1")
    assert not by_arn.reads("us-east-1", "000000000000", "audit-1")
    assert not by_arn.reads("eu-west-1", "000000000000", "other")


def test_a_clf_rule_finds_no_fields_in_json_events() -> None:
    clf = json.dumps({"Schema": SCHEMA, "LogGroupNames": ["web"], "LogFormat": "CLF", "Fields": {"1": "Ip"},
                      "Contribution": {"Keys": ["Ip"]}, "AggregateOn": "Count"})
    assert _contributions(clf) == [None] * 4
