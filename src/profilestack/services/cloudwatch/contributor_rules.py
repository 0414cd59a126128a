"""Contributor Insights rule definitions (pure): the rule syntax of the CloudWatch User Guide checked, and what a
rule makes of one log event — which contributor it is and what it adds."""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Any

from profilestack import jsontext

SCHEMA = {"Name": "CloudWatchLogRule", "Version": 1}
SCHEMA_NAME = "CloudWatchLogRule/1"  # as DescribeInsightRules shows it
_MOST_KEYS = _MOST_FILTERS = 4
_MOST_FILTER_VALUES = 10
_TEXT_OPERATORS = ("In", "NotIn", "StartsWith")
_COMPARISONS = {"GreaterThan": operator.gt, "LessThan": operator.lt, "EqualTo": operator.eq,
                "NotEqualTo": operator.ne}
_OPERATORS = (*_TEXT_OPERATORS, *_COMPARISONS, "IsPresent")
# $.name, $.a.b, $.list[0], $.users[1].name: dot notation from the root, with list indexes
_PROPERTY = re.compile(r"\$((?:\.[A-Za-z0-9_@:-]+(?:\[\d+\])*)+)")
_STEP = re.compile(r"\.([A-Za-z0-9_@:-]+)|\[(\d+)\]")

Path = tuple[str | int, ...]


class RuleInvalid(ValueError):
    """A rule definition that does not follow the syntax; the message says where."""


@dataclass(frozen=True)
class Filter:
    path: Path
    operator: str
    operand: Any

    def passes(self, record: Any) -> bool:
        value = read(record, self.path)
        if self.operator == "IsPresent":
            return (value is not _ABSENT) == self.operand
        if value is _ABSENT or isinstance(value, dict | list):
            return self.operator in ("NotIn", "NotEqualTo")
        if self.operator in _TEXT_OPERATORS:
            text = _text(value)
            if self.operator == "StartsWith":
                return any(text.startswith(item) for item in self.operand)
            return (text in self.operand) == (self.operator == "In")
        number = _number(value)
        if number is None:
            return self.operator == "NotEqualTo"
        return _COMPARISONS[self.operator](number, self.operand)


@dataclass(frozen=True)
class InsightRule:
    log_group_names: tuple[str, ...]  # names, or prefixes ending in *
    log_group_arns: tuple[str, ...]  # ARNs, * anywhere
    log_format: str
    key_labels: tuple[str, ...]
    keys: tuple[Path, ...]
    value_of: Path | None
    filters: tuple[Filter, ...]
    aggregate_on: str  # Count or Sum

    def reads(self, region: str, account: str, log_group: str) -> bool:
        """Whether the rule analyses that log group."""
        if self.log_group_arns:
            arn = f"arn:aws:logs:{region}:{account}:log-group:{log_group}"
            return any(fnmatchcase(arn, pattern.removesuffix(":*")) for pattern in self.log_group_arns)
        return any(log_group.startswith(name[:-1]) if name.endswith("*") else log_group == name
                   for name in self.log_group_names)

    def contribution(self, record: dict[str, Any]) -> tuple[tuple[str, ...], float] | None:
        """The contributor a JSON log event is (its keys' values) and what it adds (1, or its ValueOf); None when
        the filters leave it out, a key is missing, or its ValueOf is no number. Events here are JSON (CloudTrail's
        records): a CLF rule finds no fields in them."""
        if self.log_format != "JSON" or not all(item.passes(record) for item in self.filters):
            return None
        keys = []
        for path in self.keys:
            value = read(record, path)
            if value is _ABSENT or value is None or isinstance(value, dict | list):
                return None
            keys.append(_text(value))
        if self.value_of is None:
            return tuple(keys), 1.0
        value = _number(read(record, self.value_of))
        return None if value is None else (tuple(keys), value)


@lru_cache(maxsize=256)  # PutInsightRule's authorization and handler, and every report, read the same text
def parse(definition: str) -> InsightRule:
    """The rule a definition describes; RuleInvalid naming what is wrong."""
    try:
        rule = jsontext.loads(definition)
    except ValueError as error:
        raise RuleInvalid(f"The rule definition is not valid JSON: {error}.") from None
    if not isinstance(rule, dict):
        raise RuleInvalid("The rule definition must be a JSON object.")
    if rule.get("Schema") != SCHEMA:
        raise RuleInvalid('Schema must be {"Name": "CloudWatchLogRule", "Version": 1}.')
    names, arns = rule.get("LogGroupNames"), rule.get("LogGroupARNs")
    if (names is None) == (arns is None):
        raise RuleInvalid("A rule names its log groups in LogGroupNames or in LogGroupARNs, one of the two.")
    groups = _texts(names if arns is None else arns, "LogGroupNames" if arns is None else "LogGroupARNs", 1, None)
    log_format = rule.get("LogFormat")
    if log_format not in ("JSON", "CLF"):
        raise RuleInvalid("LogFormat must be JSON or CLF.")
    aliases = _clf_fields(rule.get("Fields"), log_format)
    contribution = rule.get("Contribution")
    if not isinstance(contribution, dict):
        raise RuleInvalid("Contribution must be an object holding Keys.")
    field = _field_reader(log_format, aliases)
    labels = _texts(contribution.get("Keys"), "Contribution.Keys", 1, _MOST_KEYS)
    aggregate_on = rule.get("AggregateOn")
    if aggregate_on not in ("Count", "Sum"):
        raise RuleInvalid("AggregateOn must be Count or Sum.")
    value_of = contribution.get("ValueOf")
    if (value_of is None) != (aggregate_on == "Count"):
        raise RuleInvalid("Contribution.ValueOf names the field to sum: it is given when AggregateOn is Sum, and "
                          "only then.")
    if value_of is not None and not isinstance(value_of, str):
        raise RuleInvalid("Contribution.ValueOf must be a log field.")
    filters = contribution.get("Filters", [])
    if not isinstance(filters, list) or len(filters) > _MOST_FILTERS:
        raise RuleInvalid(f"Contribution.Filters must be a list of at most {_MOST_FILTERS} filters.")
    return InsightRule(
        log_group_names=groups if arns is None else (), log_group_arns=groups if arns is not None else (),
        log_format=log_format, key_labels=labels, keys=tuple(field(label) for label in labels),
        value_of=None if value_of is None else field(value_of),
        filters=tuple(_filter(item, field) for item in filters), aggregate_on=aggregate_on)


def _texts(value: Any, name: str, least: int, most: int | None) -> tuple[str, ...]:
    if (not isinstance(value, list) or not all(isinstance(item, str) and item for item in value)
            or len(value) < least or (most is not None and len(value) > most)):
        count = f"{least} to {most}" if most is not None else f"at least {least}"
        raise RuleInvalid(f"{name} must be a list of {count} non-empty strings.")
    return tuple(value)


def _clf_fields(fields: Any, log_format: str) -> dict[str, str]:
    """A CLF rule's names for positions ("4": "IpAddress"), as alias → position."""
    if fields is None:
        return {}
    if log_format != "CLF":
        raise RuleInvalid("Fields names the positions of CLF log events: it is for rules whose LogFormat is CLF.")
    if not isinstance(fields, dict) or not all(key.isdigit() and int(key) > 0 and isinstance(name, str) and name
                                               for key, name in fields.items()):
        raise RuleInvalid('Fields must map positions from 1 to names: {"4": "IpAddress"}.')
    return {name: key for key, name in fields.items()}


def _field_reader(log_format: str, aliases: dict[str, str]) -> Callable[[Any], Path]:
    def field(text: Any) -> Path:
        if not isinstance(text, str):
            raise RuleInvalid("A log field must be a string.")
        if log_format == "CLF":
            position = aliases.get(text, text)
            if not position.isdigit() or int(position) < 1:
                raise RuleInvalid(f"{text} is neither a position of a CLF log event (1, 2, …) nor a name Fields "
                                  "gives one.")
            return (int(position) - 1,)
        match = _PROPERTY.fullmatch(text)
        if match is None:
            raise RuleInvalid(f"{text} is not a JSON property: $.name, $.list[0] or $.a.b.")
        return tuple(name if name else int(index) for name, index in _STEP.findall(match.group(1)))

    return field


def _filter(item: Any, field: Callable[[Any], Path]) -> Filter:
    if not isinstance(item, dict) or "Match" not in item:
        raise RuleInvalid("Each filter names the log field it tests in Match.")
    operators = [name for name in item if name != "Match"]
    if len(operators) != 1 or operators[0] not in _OPERATORS:
        raise RuleInvalid(f"A filter holds Match and one of {', '.join(_OPERATORS)}.")
    test, operand = operators[0], item[operators[0]]
    if test in _TEXT_OPERATORS:
        operand = _texts(operand, test, 1, _MOST_FILTER_VALUES)
    elif test == "IsPresent":
        if not isinstance(operand, bool):
            raise RuleInvalid("IsPresent takes true or false.")
    elif isinstance(operand, bool) or not isinstance(operand, int | float) or not math.isfinite(operand):
        raise RuleInvalid(f"{test} takes a number.")
    return Filter(field(item["Match"]), test, operand)


_ABSENT = object()


def read(record: Any, path: Path) -> Any:
    """The value at ``path`` in a JSON log event; _ABSENT when it has none."""
    value = record
    for step in path:
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                return _ABSENT
        elif not isinstance(value, dict) or step not in value:
            return _ABSENT
        value = value[step]
    return value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is _ABSENT or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
