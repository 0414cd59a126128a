"""Whether an ingested object matches an event trigger (pure functions).

Conditions are OR'ed; a condition's dimensions combine by its LogicalOperator (ANY, ALL,
NONE); a dimension's object attributes are AND'ed; an attribute compares the object's value
(``Source``, a path such as ``_source.status``, or ``FieldName``, a field of the object type)
with its ``Values`` using one of the fifteen operators.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from profilestack.services.profiles.mapping import MappedObject, as_text, lookup
from profilestack.services.profiles.object_values import moment, number


def _compare(parse: Callable[[str], Any], test: Callable[[Any, list[Any]], bool]) -> Callable[[str, list[str]], bool]:
    def match(value: str, values: list[str]) -> bool:
        left, rights = parse(value), [parse(v) for v in values]
        return left is not None and all(r is not None for r in rights) and bool(rights) and test(left, rights)

    return match


def _equal(value: str, values: list[str]) -> bool:
    left, right = number(value), number(values[0])
    return left == right if left is not None and right is not None else value == values[0]


OPERATORS: dict[str, Callable[[str, list[str]], bool]] = {
    "INCLUSIVE": lambda value, values: value in values,
    "EXCLUSIVE": lambda value, values: value not in values,
    "CONTAINS": lambda value, values: any(v in value for v in values),
    "BEGINS_WITH": lambda value, values: any(value.startswith(v) for v in values),
    "ENDS_WITH": lambda value, values: any(value.endswith(v) for v in values),
    "EQUAL": _equal,
    "GREATER_THAN": _compare(number, lambda left, rights: left > rights[0]),
    "LESS_THAN": _compare(number, lambda left, rights: left < rights[0]),
    "GREATER_THAN_OR_EQUAL": _compare(number, lambda left, rights: left >= rights[0]),
    "LESS_THAN_OR_EQUAL": _compare(number, lambda left, rights: left <= rights[0]),
    "BEFORE": _compare(moment, lambda left, rights: left < rights[0]),
    "AFTER": _compare(moment, lambda left, rights: left > rights[0]),
    "ON": _compare(moment, lambda left, rights: left.date() == rights[0].date()),
    "BETWEEN": lambda value, values: _between(value, values),
    "NOT_BETWEEN": lambda value, values: _between(value, values) is False,
}


def _between(value: str, values: list[str]) -> bool | None:
    """Inclusive range, as numbers when all three parse as numbers, else as dates; None when neither parses."""
    if len(values) < 2:
        return None
    for parse in (number, moment):
        left, low, high = parse(value), parse(values[0]), parse(values[1])
        if left is not None and low is not None and high is not None:
            return low <= left <= high
    return None


def attribute_value(attribute: dict[str, Any], document: dict[str, Any], mapped: MappedObject) -> str | None:
    if attribute.get("FieldName"):
        return mapped.fields.get(attribute["FieldName"])
    return as_text(lookup(document, attribute.get("Source", "")))


def _attribute_matches(attribute: dict[str, Any], document: dict[str, Any], mapped: MappedObject) -> bool:
    value = attribute_value(attribute, document, mapped)
    return value is not None and OPERATORS[attribute["ComparisonOperator"]](value, attribute["Values"])


def _dimension_matches(dimension: dict[str, Any], document: dict[str, Any], mapped: MappedObject) -> bool:
    return all(_attribute_matches(attribute, document, mapped) for attribute in dimension["ObjectAttributes"])


def combine(operator: str, results: list[bool]) -> bool:
    """Results joined by a logical operator: ALL, ANY or NONE."""
    if operator == "ALL":
        return all(results)
    if operator == "NONE":
        return not any(results)
    return any(results)


def condition_matches(condition: dict[str, Any], document: dict[str, Any], mapped: MappedObject) -> bool:
    results = [_dimension_matches(dimension, document, mapped) for dimension in condition["EventTriggerDimensions"]]
    return combine(condition["LogicalOperator"], results)


def trigger_matches(definition: dict[str, Any], document: dict[str, Any], mapped: MappedObject) -> bool:
    return any(condition_matches(condition, document, mapped) for condition in definition["EventTriggerConditions"])
