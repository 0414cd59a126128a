"""Calculated attribute arithmetic and statistics, on values the end-to-end tests do not reach."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from profilestack.gateway.errors import AwsError
from profilestack.services.profiles.calculation import Expression, calculate, number_text

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
