"""Event trigger conditions: every comparison operator, and how attributes, dimensions and conditions combine."""

from __future__ import annotations

import pytest

from profilestack.services.profiles.mapping import MappedObject
from profilestack.services.profiles.trigger_conditions import OPERATORS, condition_matches, trigger_matches

# operator, trigger values, an object value that matches, one that does not
CASES = [
    ("INCLUSIVE", ["gold", "silver"], "gold", "bronze"),
    ("EXCLUSIVE", ["gold", "silver"], "bronze", "gold"),
    ("CONTAINS", ["cart", "basket"], "abandoned-cart", "paid"),
    ("BEGINS_WITH", ["+44"], "+44 20 7946 0000", "+1 555 0100"),
    ("ENDS_WITH", ["@example.com"], "ada@example.com", "ada@example.org"),
    ("EQUAL", ["100"], "100.0", "99"),
    ("EQUAL", ["abandoned"], "abandoned", "paid"),
    ("GREATER_THAN", ["100"], "100.5", "100"),
    ("LESS_THAN", ["100"], "99.9", "100"),
    ("GREATER_THAN_OR_EQUAL", ["100"], "100", "99"),
    ("LESS_THAN_OR_EQUAL", ["100"], "100", "101"),
    ("BEFORE", ["2026-06-01T00:00:00Z"], "2026-05-31T23:59:59Z", "2026-06-01T00:00:01Z"),
    ("AFTER", ["2026-06-01T00:00:00Z"], "2026-06-02T00:00:00Z", "2026-05-01T00:00:00Z"),
    ("ON", ["2026-06-01T00:00:00Z"], "2026-06-01T18:30:00Z", "2026-06-02T01:00:00Z"),
    ("BETWEEN", ["10", "20"], "15", "25"),
    ("BETWEEN", ["2026-01-01T00:00:00Z", "2026-12-31T00:00:00Z"], "2026-06-15T00:00:00Z", "2027-01-01T00:00:00Z"),
    ("NOT_BETWEEN", ["10", "20"], "25", "15"),
]


@pytest.mark.parametrize(("operator", "values", "matching", "other"), CASES,
                         ids=[f"{case[0]}-{index}" for index, case in enumerate(CASES)])
def test_operator(operator, values, matching, other) -> None:
    assert OPERATORS[operator](matching, values) is True
    assert OPERATORS[operator](other, values) is False


def test_every_model_operator_is_implemented() -> None:
    import botocore.session

    model = botocore.session.get_session().get_service_model("customer-profiles")
    assert set(model.shape_for("ComparisonOperator").enum) == set(OPERATORS)


def test_numbers_and_dates_that_do_not_parse_never_match() -> None:
    assert OPERATORS["GREATER_THAN"]("lots", ["10"]) is False
    assert OPERATORS["BEFORE"]("someday", ["2026-01-01T00:00:00Z"]) is False
    assert OPERATORS["NOT_BETWEEN"]("n/a", ["1", "2"]) is False


def attribute(source: str, operator: str, *values: str) -> dict:
    return {"Source": f"_source.{source}", "ComparisonOperator": operator, "Values": list(values)}


def condition(operator: str, *dimensions: list[dict]) -> dict:
    return {"LogicalOperator": operator,
            "EventTriggerDimensions": [{"ObjectAttributes": attributes} for attributes in dimensions]}


ORDER = {"status": "abandoned", "total": "250", "channel": "web"}
NO_FIELDS = MappedObject({}, None)
ABANDONED = [attribute("status", "EQUAL", "abandoned")]
BIG = [attribute("total", "GREATER_THAN", "100")]
PHONE = [attribute("channel", "EQUAL", "phone")]


def test_attributes_within_a_dimension_are_anded() -> None:
    assert condition_matches(condition("ANY", ABANDONED + BIG), ORDER, NO_FIELDS)
    assert not condition_matches(condition("ANY", ABANDONED + PHONE), ORDER, NO_FIELDS)


def test_logical_operators_combine_dimensions() -> None:
    assert condition_matches(condition("ANY", ABANDONED, PHONE), ORDER, NO_FIELDS)
    assert not condition_matches(condition("ANY", PHONE), ORDER, NO_FIELDS)
    assert condition_matches(condition("ALL", ABANDONED, BIG), ORDER, NO_FIELDS)
    assert not condition_matches(condition("ALL", ABANDONED, PHONE), ORDER, NO_FIELDS)
    assert condition_matches(condition("NONE", PHONE), ORDER, NO_FIELDS)
    assert not condition_matches(condition("NONE", PHONE, ABANDONED), ORDER, NO_FIELDS)


def test_conditions_are_ored_and_field_names_read_mapped_fields() -> None:
    definition = {"EventTriggerConditions": [condition("ALL", PHONE), condition("ALL", ABANDONED)]}
    assert trigger_matches(definition, ORDER, NO_FIELDS)
    assert not trigger_matches({"EventTriggerConditions": [condition("ALL", PHONE)]}, ORDER, NO_FIELDS)
    by_field = {"EventTriggerConditions": [condition("ALL", [
        {"FieldName": "tier", "ComparisonOperator": "EQUAL", "Values": ["gold"]}])]}
    assert trigger_matches(by_field, {}, MappedObject({"tier": "gold"}, None))
    assert not trigger_matches(by_field, {}, MappedObject({"tier": "silver"}, None))
    missing = {"EventTriggerConditions": [condition("ALL", [attribute("absent", "EXCLUSIVE", "x")])]}
    assert not trigger_matches(missing, ORDER, NO_FIELDS)  # an absent attribute matches nothing


@pytest.mark.parametrize(("value", "day", "matches"), [
    ("2026-12-02T01:30:00", "2026-12-02", True),  # no offset: UTC, as on AWS
    ("2026-12-01T23:30:00-05:00", "2026-12-02", True),  # 04:30 UTC on the 2nd
    ("1796175000", "2026-12-02", True),  # epoch seconds: 2026-12-02T01:30:00Z
    ("1796175000000", "2026-12-01", False),  # the same in milliseconds
    ("2026-12-02T01:30:00", "2026-12-01T22:00:00-05:00", True),  # the day of a value with an offset is UTC's too
])
def test_times_and_their_days_are_utcs_whatever_the_servers_zone(new_york, value: str, day: str,
                                                                 matches: bool) -> None:
    assert OPERATORS["ON"](value, [day]) is matches
