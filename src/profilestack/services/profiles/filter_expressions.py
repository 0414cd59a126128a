"""Recommender filter expressions, in the syntax of Amazon Personalize's (which Customer Profiles' recommenders
are built on): ``INCLUDE|EXCLUDE ItemID WHERE <condition> [AND|OR <condition>]…``, expressions joined by ``|``;
a condition compares a catalog column (``Items.CATEGORY``) or the customer's interactions (``Interactions.
EVENT_TYPE``) with ``IN``/``NOT IN`` a list, or ``=``, ``<``, ``>``, ``<=``, ``>=`` a value; values are quoted
texts, numbers or ``$PARAMETERS`` given when recommendations are asked for. Pure: no storage, no HTTP."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(r'\s*(?:(?P<text>"(?:[^"\\]|\\.)*")|(?P<number>-?\d+(?:\.\d+)?)|(?P<parameter>\$[A-Za-z0-9_]+)'
                    r"|(?P<op><=|>=|[=<>(),|])|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))")
_DATASETS = ("Items", "Interactions")
_INTERACTION_FIELDS = ("EVENT_TYPE",)
_COMPARISONS = ("=", "<", ">", "<=", ">=")


class FilterError(ValueError):
    """An expression profilestack cannot read (its message says where)."""


@dataclass(frozen=True)
class Condition:
    dataset: str  # Items or Interactions
    field: str  # as the expression spells it
    operator: str  # IN, NOT IN, =, <, >, <=, >=
    values: tuple[str, ...]  # quoted texts unquoted, numbers as written, $PARAMETERS as written


@dataclass(frozen=True)
class Part:
    include: bool
    # OR of ANDs of conditions: AND binds tighter, as in Personalize
    alternatives: tuple[tuple[Condition, ...], ...]

    def parameters(self) -> set[str]:
        return {value[1:] for group in self.alternatives for condition in group for value in condition.values
                if value.startswith("$")}


def parse(expression: str) -> list[Part]:
    tokens = _tokens(expression)
    parts, position = [], 0
    while True:
        part, position = _part(tokens, position)
        parts.append(part)
        if position == len(tokens):
            return parts
        if tokens[position] != ("op", "|"):
            raise FilterError(f"Expected | or the end of the expression, found {tokens[position][1]}.")
        position += 1


def _tokens(expression: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(expression.rstrip()):
        match = _TOKEN.match(expression, position)
        if match is None or match.end() == position:
            start = len(expression) - len(expression[position:].lstrip())
            raise FilterError(f"Unexpected text at character {start + 1}: {expression[start:start + 20]}")
        kind = match.lastgroup or "word"
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def _expect_word(tokens: list[tuple[str, str]], position: int, *words: str) -> str:
    if position >= len(tokens) or tokens[position][0] != "word" or tokens[position][1].upper() not in words:
        found = tokens[position][1] if position < len(tokens) else "the end of the expression"
        raise FilterError(f"Expected {' or '.join(words)}, found {found}.")
    return tokens[position][1].upper()


def _part(tokens: list[tuple[str, str]], position: int) -> tuple[Part, int]:
    include = _expect_word(tokens, position, "INCLUDE", "EXCLUDE") == "INCLUDE"
    _expect_word(tokens, position + 1, "ITEMID")
    _expect_word(tokens, position + 2, "WHERE")
    position += 3
    alternatives: list[tuple[Condition, ...]] = []
    group: list[Condition] = []
    while True:
        condition, position = _condition(tokens, position)
        group.append(condition)
        joiner = tokens[position][1].upper() if position < len(tokens) and tokens[position][0] == "word" else None
        if joiner == "AND":
            position += 1
        elif joiner == "OR":
            alternatives.append(tuple(group))
            group, position = [], position + 1
        else:
            alternatives.append(tuple(group))
            datasets = {condition.dataset for found in alternatives for condition in found}
            if len(datasets) > 1:
                raise FilterError("The conditions joined by AND or OR must all read the same dataset (Items or "
                                  "Interactions); join expressions of two datasets with |.")
            return Part(include, tuple(alternatives)), position


def _condition(tokens: list[tuple[str, str]], position: int) -> tuple[Condition, int]:
    if position >= len(tokens) or tokens[position][0] != "word" or "." not in tokens[position][1]:
        found = tokens[position][1] if position < len(tokens) else "the end of the expression"
        raise FilterError(f"Expected a dataset field such as Items.CATEGORY, found {found}.")
    dataset, _, field = tokens[position][1].partition(".")
    if dataset not in _DATASETS:
        raise FilterError(f"Unknown dataset {dataset}: filters read Items (the item catalog) or Interactions.")
    if dataset == "Interactions" and field.upper() not in _INTERACTION_FIELDS:
        raise FilterError(f"Interactions.{field} cannot be filtered on: Interactions.EVENT_TYPE can.")
    position += 1
    operator_token = tokens[position] if position < len(tokens) else ("", "")
    if operator_token == ("op", "(") or operator_token[0] == "":
        raise FilterError(f"Expected IN, NOT IN or a comparison after {dataset}.{field}.")
    if operator_token[0] == "op" and operator_token[1] in _COMPARISONS:
        if dataset == "Interactions":
            raise FilterError("Interactions.EVENT_TYPE is compared with IN or NOT IN.")
        return Condition(dataset, field, operator_token[1], (_value(tokens, position + 1),)), position + 2
    operator = _expect_word(tokens, position, "IN", "NOT")
    if operator == "NOT":
        _expect_word(tokens, position + 1, "IN")
        operator, position = "NOT IN", position + 1
    position += 1
    if position >= len(tokens) or tokens[position] != ("op", "("):
        raise FilterError(f"Expected ( after {operator}.")
    values = []
    while True:
        values.append(_value(tokens, position + 1))
        position += 2
        if position < len(tokens) and tokens[position] == ("op", ","):
            continue
        if position < len(tokens) and tokens[position] == ("op", ")"):
            return Condition(dataset, field, operator, tuple(values)), position + 1
        raise FilterError(f"Expected , or ) in the list after {operator}.")


def _value(tokens: list[tuple[str, str]], position: int) -> str:
    if position >= len(tokens) or tokens[position][0] not in ("text", "number", "parameter"):
        found = tokens[position][1] if position < len(tokens) else "the end of the expression"
        raise FilterError(f'Expected a value ("text", a number or a $PARAMETER), found {found}.')
    kind, text = tokens[position]
    return re.sub(r"\\(.)", r"\1", text[1:-1]) if kind == "text" else text


# An item's value of a catalog column, matched case-insensitively (None: the item has none); the event types of
# the customer's interactions with an item
ColumnReader = Callable[[str, str], Any]
EventTypes = Callable[[str], set[str]]


def apply(parts: list[Part], items: list[str], values: dict[str, str], column: ColumnReader,
          event_types: EventTypes) -> list[str]:
    """The items the expression keeps, in their order: those some INCLUDE expression matches (all of them when it
    has none) that no EXCLUDE expression matches. An expression with a $PARAMETER the request gives no value for
    is left out, as Personalize does."""
    given = {name: [value.strip() for value in text.split(",")] for name, text in values.items()}
    usable = [part for part in parts if part.parameters() <= given.keys()]
    includes = [part for part in usable if part.include]
    excludes = [part for part in usable if not part.include]

    def matches(part: Part, item: str) -> bool:
        return any(all(_holds(condition, item, given, column, event_types) for condition in group)
                   for group in part.alternatives)

    return [item for item in items if (not includes or any(matches(part, item) for part in includes))
            and not any(matches(part, item) for part in excludes)]


def _holds(condition: Condition, item: str, given: dict[str, list[str]], column: ColumnReader,
           event_types: EventTypes) -> bool:
    wanted = [found for value in condition.values
              for found in (given[value[1:]] if value.startswith("$") else [value])]
    if condition.dataset == "Interactions":
        done = event_types(item)
        hit = any(value in done for value in wanted)
        return hit if condition.operator == "IN" else not hit
    actual = column(item, condition.field)
    if condition.operator in ("IN", "NOT IN"):
        hit = actual is not None and str(actual) in wanted
        return hit if condition.operator == "IN" else not hit
    try:
        left, right = float(actual), float(wanted[0])
    except (TypeError, ValueError):
        return condition.operator == "=" and actual is not None and str(actual) == wanted[0]
    return {"=": left == right, "<": left < right, ">": left > right, "<=": left <= right,
            ">=": left >= right}[condition.operator]
