"""What a calculated attribute comes to for one profile (pure functions: no storage, no HTTP).

The expression is read over each of the profile's objects of one type, the objects the definition keeps (its
filter, ``UseHistoricalData``, the range, the last ``ObjectCount``) are taken oldest first, and one statistic
makes the value; a threshold turns it into ``true`` or ``false``. docs/decisions.md has the choices AWS leaves
open.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from profilestack.services.profiles.errors import bad_request
from profilestack.services.profiles.mapping import as_text, lookup, map_object, parse_object
from profilestack.services.profiles.object_values import moment, number
from profilestack.services.profiles.trigger_conditions import OPERATORS, combine

_TOKEN = re.compile(r"\s*(?:(\{[^{}]*\})|(\d+(?:\.\d+)?)|([-+*/()]))", re.ASCII)
_REFERENCE = re.compile(r"^\{([^{}.]+)\.([^{}]+)\}\Z")
TIMESTAMP_FORMATS = ("EPOCHMILLI", "ISO_8601")
UNSUPPORTED_STATISTICS = ("RECENT_OCCURRENCES",)

Arithmetic = Callable[[dict[str, str]], float | None]


def reference(text: str) -> tuple[str, str]:
    """``{ObjectType.path}`` → (object type, path)."""
    found = _REFERENCE.match(text.strip())
    if found is None:
        raise bad_request(f"{text} is not a reference of the form {{ObjectTypeName.AttributeName}}.")
    return found.group(1), found.group(2)


class Expression:
    """``{Orders.amount}``, or basic arithmetic (``+ - * /``, parentheses, numbers) over such references."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.references: list[tuple[str, str]] = []
        self._tokens = self._tokenize(text)
        self._next = 0
        self._arithmetic = self._sum()
        if self._next != len(self._tokens):
            raise bad_request(f"Expression {text} is not a valid expression.")
        self._single = self.references[0][1] if len(self._tokens) == 1 and self.references else None
        if not self.references:
            raise bad_request(f"Expression {text} references no attribute.")
        if len({object_type for object_type, _ in self.references}) > 1:
            raise bad_request(f"Expression {text} references more than one object type.")
        self.object_type = self.references[0][0]

    @staticmethod
    def _tokenize(text: str) -> list[tuple[str, str]]:
        tokens, position, end = [], 0, len(text.rstrip())
        while position < end:
            found = _TOKEN.match(text, position)
            if found is None:
                raise bad_request(f"Expression {text} is not a valid expression: unexpected {text[position:]!r}.")
            name, literal, operator = found.groups()
            tokens.append(("reference", name) if name else ("number", literal) if literal else ("operator", operator))
            position = found.end()
        return tokens

    def _peek(self) -> str | None:
        return self._tokens[self._next][1] if self._next < len(self._tokens) else None

    def _sum(self) -> Arithmetic:
        left = self._product()
        while self._peek() in ("+", "-"):
            operator = self._tokens[self._next][1]
            self._next += 1
            left = _binary(operator, left, self._product())
        return left

    def _product(self) -> Arithmetic:
        left = self._factor()
        while self._peek() in ("*", "/"):
            operator = self._tokens[self._next][1]
            self._next += 1
            left = _binary(operator, left, self._factor())
        return left

    def _factor(self) -> Arithmetic:
        if self._next >= len(self._tokens):
            raise bad_request(f"Expression {self.text} ends too early.")
        kind, text = self._tokens[self._next]
        self._next += 1
        if kind == "number":
            constant = float(text)
            return lambda _fields: constant
        if kind == "reference":
            object_type, field = reference(text)
            self.references.append((object_type, field))
            return lambda fields: number(fields[field]) if field in fields else None
        if text == "-":
            inner = self._factor()
            return lambda fields: None if (value := inner(fields)) is None else -value
        if text == "(":
            inner = self._sum()
            if self._peek() != ")":
                raise bad_request(f"Expression {self.text} has an unclosed parenthesis.")
            self._next += 1
            return inner
        raise bad_request(f"Expression {self.text} is not a valid expression: unexpected {text!r}.")

    @property
    def fields(self) -> list[str]:
        return [field for _, field in self.references]

    def value(self, fields: dict[str, str]) -> str | None:
        """The expression over one object's fields: a lone reference keeps the field's text, arithmetic gives a
        number (None when a field is missing or not a number, or on a division by zero)."""
        if self._single is not None:
            return fields.get(self._single)
        result = self._arithmetic(fields)
        return None if result is None else number_text(result)


def _binary(operator: str, left: Arithmetic, right: Arithmetic) -> Arithmetic:
    def apply(fields: dict[str, str]) -> float | None:
        a, b = left(fields), right(fields)
        if a is None or b is None or (operator == "/" and b == 0):
            return None
        return a + b if operator == "+" else a - b if operator == "-" else a * b if operator == "*" else a / b

    return apply


def number_text(value: float) -> str:
    """Whole numbers without a decimal point (``3``, not ``3.0``), others in the shortest exact form."""
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def check_definition(definition: dict[str, Any], object_type_fields: dict[str, Any]) -> Expression:
    """Refuse a definition that cannot be calculated; its expression, read."""
    details = definition["AttributeDetails"]
    expression = parsed(details["Expression"])
    listed = {attribute["Name"] for attribute in details["Attributes"]}
    for field in expression.fields:
        if field not in listed:
            raise bad_request(f"Expression {expression.text} uses {field}, which AttributeDetails.Attributes does "
                              "not list.")
    for field in sorted(listed | set(_filter_fields(definition.get("Filter")))):
        if field not in object_type_fields:
            raise bad_request(f"Object type {expression.object_type} has no field {field}.")
    if definition.get("Statistic") in UNSUPPORTED_STATISTICS:
        raise bad_request(f"Statistic {definition['Statistic']} is not supported by profilestack yet.")
    _check_range((definition.get("Conditions") or {}).get("Range"), expression.object_type)
    return expression


def _check_range(range_: dict[str, Any] | None, object_type: str) -> None:
    if not range_:
        return
    if "ValueRange" not in range_ and "Value" not in range_:
        raise bad_request("Range needs a Value or a ValueRange.")
    window = range_.get("ValueRange")
    if window and window["Start"] < window["End"]:
        raise bad_request("ValueRange Start must not be smaller than End: both count days back from now.")
    if range_.get("TimestampSource") and reference(range_["TimestampSource"])[0] != object_type:
        raise bad_request(f"TimestampSource {range_['TimestampSource']} must reference the object type of the "
                          f"expression, {object_type}.")
    if range_.get("TimestampFormat") and range_["TimestampFormat"] not in TIMESTAMP_FORMATS:
        raise bad_request(f"TimestampFormat must be one of {', '.join(TIMESTAMP_FORMATS)}.")


def _filter_fields(filter_: dict[str, Any] | None) -> list[str]:
    return [name for group in (filter_ or {}).get("Groups", []) for dimension in group["Dimensions"]
            for name in dimension["Attributes"]]


def _filter_keeps(filter_: dict[str, Any], fields: dict[str, str]) -> bool:
    def dimension_matches(dimension: dict[str, Any]) -> bool:
        return all(name in fields and OPERATORS[spec["DimensionType"]](fields[name], spec["Values"])
                   for name, spec in dimension["Attributes"].items())

    groups = [combine(group["Type"], [dimension_matches(dimension) for dimension in group["Dimensions"]])
              for group in filter_["Groups"]]
    return combine(filter_["Include"], groups)


@dataclass(frozen=True)
class Calculated:
    value: str | None
    last_object_at: datetime | None


def check_range_override(range_: dict[str, Any] | None) -> None:
    """A ConditionOverrides ``Range`` (``Start``, ``End`` days back from now) that keeps some time."""
    if range_ and range_["Start"] < range_.get("End", 0):
        raise bad_request("ConditionOverrides Range Start must not be smaller than End: both count days back from "
                          "now.")


def window(range_: dict[str, Any] | None, now: datetime) -> tuple[datetime, datetime] | None:
    """The time range a Range (or a ConditionOverrides Range: ``Start``/``End``) keeps; days count back from
    ``now`` (negative ones forward)."""
    if not range_:
        return None
    if "Start" in range_:
        start, end = range_["Start"], range_.get("End", 0)
    elif "ValueRange" in range_:
        start, end = range_["ValueRange"]["Start"], range_["ValueRange"]["End"]
    else:
        start, end = range_["Value"], 0
    return now - timedelta(days=start), now - timedelta(days=end)


@lru_cache(maxsize=256)
def parsed(text: str) -> Expression:
    """An expression read once for all the calculations that use it (it does not change once read)."""
    return Expression(text)


IngestionBounds = tuple[datetime | None, datetime | None]  # the first and last ingestion times (None: open)


def ingestion_bounds(definition: dict[str, Any], defined_at: datetime, now: datetime,
                     range_override: dict[str, Any] | None = None) -> IngestionBounds:
    """The earliest and latest ingestion times an object can have and count (None: no bound), as ``calculate``
    decides: from the definition on without ``UseHistoricalData``, within the range when it counts from ingestion
    (no ``TimestampSource``). Objects outside need not be read at all."""
    since = None if definition.get("UseHistoricalData") else defined_at
    range_ = (definition.get("Conditions") or {}).get("Range") or {}
    bounds = None if range_.get("TimestampSource") else window(range_override or range_, now)
    if bounds is None:
        return since, None
    return (bounds[0] if since is None else max(since, bounds[0])), bounds[1]


def calculate(definition: dict[str, Any], defined_at: datetime, object_type_definition: dict[str, Any],
              objects: Iterable[tuple[str, datetime]], now: datetime,
              range_override: dict[str, Any] | None = None) -> Calculated:
    """The attribute's value over ``objects`` ((body, ingested at) of one profile, of the expression's type)."""
    expression = parsed(definition["AttributeDetails"]["Expression"])
    conditions = definition.get("Conditions") or {}
    range_ = conditions.get("Range") or {}
    bounds = window(range_override or range_, now)
    source = reference(range_["TimestampSource"])[1] if range_.get("TimestampSource") else None
    kept: list[tuple[datetime, str]] = []
    for body, ingested_at in objects:
        if not definition.get("UseHistoricalData") and ingested_at < defined_at:
            continue
        document = parse_object(body)
        fields = map_object(object_type_definition, document).fields
        if definition.get("Filter") and not _filter_keeps(definition["Filter"], fields):
            continue
        stamped = ingested_at if source is None else _timestamp(document, source)
        if stamped is None or (bounds is not None and not bounds[0] <= stamped <= bounds[1]):
            continue
        value = expression.value(fields)
        if value is not None:
            kept.append((stamped, value))
    kept.sort(key=lambda item: item[0])  # stable: objects stamped alike stay in the order they were ingested
    if conditions.get("ObjectCount"):
        kept = kept[-conditions["ObjectCount"]:]
    values = [value for _, value in kept]
    result = _STATISTICS[definition["Statistic"]](values)
    threshold = conditions.get("Threshold")
    if threshold is not None and result is not None:
        result = "true" if _meets(result, threshold) else "false"
    return Calculated(result, kept[-1][0] if kept else None)


def _timestamp(document: dict[str, Any], path: str) -> datetime | None:
    text = as_text(lookup(document, path))
    return None if text is None else moment(text)


def _numbers(values: list[str]) -> list[float]:
    return [parsed for parsed in map(number, values) if parsed is not None]


def _aggregate(combine_numbers: Callable[[list[float]], float]) -> Callable[[list[str]], str | None]:
    def statistic(values: list[str]) -> str | None:
        numbers = _numbers(values)
        return number_text(combine_numbers(numbers)) if numbers else None

    return statistic


def _most_frequent(values: list[str]) -> str | None:
    """The value seen most often; between values seen as often, the one seen last."""
    if not values:
        return None
    counts = Counter(values)
    most = max(counts.values())
    return next(value for value in reversed(values) if counts[value] == most)


_STATISTICS: dict[str, Callable[[list[str]], str | None]] = {
    "FIRST_OCCURRENCE": lambda values: values[0] if values else None,
    "LAST_OCCURRENCE": lambda values: values[-1] if values else None,
    "COUNT": lambda values: str(len(values)),
    "SUM": _aggregate(sum),
    "MINIMUM": _aggregate(min),
    "MAXIMUM": _aggregate(max),
    "AVERAGE": _aggregate(lambda numbers: sum(numbers) / len(numbers)),
    "MAX_OCCURRENCE": _most_frequent,
}


def _meets(value: str, threshold: dict[str, Any]) -> bool:
    left, right = number(value), number(threshold["Value"])
    operator = threshold["Operator"]
    if operator in ("GREATER_THAN", "LESS_THAN"):
        if left is None or right is None:
            return False
        return left > right if operator == "GREATER_THAN" else left < right
    equal = left == right if left is not None and right is not None else value == threshold["Value"]
    return equal if operator == "EQUAL_TO" else not equal
