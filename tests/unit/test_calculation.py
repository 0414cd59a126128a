"""Calculated attribute arithmetic and statistics, on values the end-to-end tests do not reach."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from profilestack.gateway.errors import AwsError
from profilestack.services.profiles.calculation import Expression, calculate, ingestion_bounds, number_text

FIELDS = {"a": "6", "b": "3", "zero": "0", "word": "ten"}


@pytest.mark.parametrize(("text", "value"), [
    ("{T.a} + {T.b} * 2", "12"),  # products first
    ("({T.a} + {T.b}) * 2", "18"),
    ("{T.a} - {T.b} - 1", "2"),  # left to right
    ("{T.a} / {T.b} / 2", "1"),
    ("-{T.a} + 1", "-5"),
    ("{T.a} / 4", "1.5"),
    ("{T.a} / {T.zero}", None),  # no value rather than an error
    ("{T.a} + {T.word}", None),
    ("{T.a} + {T.missing}", None),
    ("{T.word}", "ten"),  # a lone reference keeps the text
    (" {T.a}*{T.b} ", "18"),
])
def test_expressions(text: str, value: str | None) -> None:
    assert Expression(text).value(FIELDS) == value


@pytest.mark.parametrize("text", ["{T.a} {T.b}", "{T.a} +", "2 + 3", "{T.a} + {U.b}", "{T.a})", "", "{}"])
def test_expressions_refused(text: str) -> None:
    with pytest.raises(AwsError) as caught:
        Expression(text)
    assert caught.value.code == "BadRequestException"


def test_number_text() -> None:
    assert [number_text(value) for value in (3.0, -2.0, 0.1 + 0.2, 1e20, 2.5)] == [
        "3", "-2", "0.30000000000000004", "1e+20", "2.5"]


def _calculated(statistic: str, amounts: list[object], **extra: object) -> str | None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    definition = {"AttributeDetails": {"Attributes": [{"Name": "n"}], "Expression": "{T.n}"},
                  "Statistic": statistic, "UseHistoricalData": True, **extra}
    objects = [(json.dumps({} if amount is None else {"n": amount}), now - timedelta(hours=len(amounts) - index))
               for index, amount in enumerate(amounts)]
    fields = {"Fields": {"n": {"Source": "_source.n"}}}
    return calculate(definition, now, fields, objects, now).value


def test_numeric_statistics_skip_what_is_not_a_number() -> None:
    amounts = [4, "x", None, 8]
    assert _calculated("SUM", amounts) == "12"
    assert _calculated("AVERAGE", amounts) == "6"
    assert _calculated("COUNT", amounts) == "3"  # objects with a value, numbers or not
    assert _calculated("LAST_OCCURRENCE", amounts) == "8"
    assert _calculated("SUM", ["x"]) is None
    assert _calculated("COUNT", []) == "0"


@pytest.mark.parametrize(("operator", "threshold", "expected"), [
    ("GREATER_THAN", "11.5", "true"), ("GREATER_THAN", "12", "false"), ("LESS_THAN", "12.5", "true"),
    ("EQUAL_TO", "12.0", "true"), ("NOT_EQUAL_TO", "12", "false"), ("GREATER_THAN", "lots", "false"),
])
def test_thresholds(operator: str, threshold: str, expected: str) -> None:
    conditions = {"Threshold": {"Value": threshold, "Operator": operator}}
    assert _calculated("SUM", [4, 8], Conditions=conditions) == expected


NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
DEFINED = NOW - timedelta(days=3)


@pytest.mark.parametrize(("definition", "override", "bounds"), [
    ({"UseHistoricalData": True}, None, (None, None)),  # every object counts
    ({}, None, (DEFINED, None)),  # those ingested since the definition
    ({"UseHistoricalData": True, "Conditions": {"Range": {"Value": 30, "Unit": "DAYS"}}}, None,
     (NOW - timedelta(days=30), NOW)),
    ({"Conditions": {"Range": {"Value": 30, "Unit": "DAYS"}}}, None, (DEFINED, NOW)),  # the later start
    ({"UseHistoricalData": True, "Conditions": {"Range": {"ValueRange": {"Start": 15, "End": 5}, "Unit": "DAYS"}}},
     None, (NOW - timedelta(days=15), NOW - timedelta(days=5))),
    ({"UseHistoricalData": True, "Conditions": {"Range": {"Value": 30, "Unit": "DAYS"}}},
     {"Start": 60, "End": 1, "Unit": "DAYS"}, (NOW - timedelta(days=60), NOW - timedelta(days=1))),
    # stamped by a field of the object: its ingestion says nothing of it
    ({"UseHistoricalData": True, "Conditions": {"Range": {"Value": 30, "Unit": "DAYS",
                                                          "TimestampSource": "{T.at}"}}}, None, (None, None)),
])
def test_ingestion_bounds_are_what_calculate_keeps(definition: dict, override: dict | None, bounds: tuple) -> None:
    assert ingestion_bounds(definition, DEFINED, NOW, override) == bounds
    inside_and_out = [(json.dumps({"a": "1"}), at) for at in (NOW - timedelta(days=d) for d in (0, 2, 4, 10, 20, 45))]
    counted = calculate({"AttributeDetails": {"Expression": "{T.a}"}, "Statistic": "COUNT", **definition}, DEFINED,
                        {"Fields": {"a": {"Source": "_source.a"}}}, inside_and_out, NOW, override).value
    since, until = bounds
    kept = [(body, at) for body, at in inside_and_out
            if (since is None or at >= since) and (until is None or at <= until)]
    assert calculate({"AttributeDetails": {"Expression": "{T.a}"}, "Statistic": "COUNT", **definition}, DEFINED,
                     {"Fields": {"a": {"Source": "_source.a"}}}, kept, NOW, override).value == counted
