"""Every IAM condition operator, the ``…IfExists`` forms and the ``ForAllValues:``/``ForAnyValue:`` qualifiers.

Semantics for a key missing from the request follow AWS: positive operators are false,
negated ones (``StringNotEquals``, ``NotIpAddress``, ``ArnNotLike``…) are true, ``IfExists``
is true, ``ForAllValues`` is true and ``ForAnyValue`` is false. ``Null`` tests presence.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import operator
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from profilestack.iam_policy.variables import has_variables, substitute
from profilestack.iam_policy.wildcards import arn_match, wildcard_match
from profilestack.utc_times import parse_utc

if TYPE_CHECKING:
    from profilestack.iam_policy.document import Condition

Matcher = Callable[[str, str], bool]  # (policy value, request value)


class ContextValues(Protocol):
    def get(self, key: str) -> list[str] | None:
        """The request's values for a lower-cased condition key, or None when it is absent."""
        ...


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _epoch(text: str) -> float | None:
    number = _number(text)
    if number is not None:
        return number
    try:
        return parse_utc(text).timestamp()
    except ValueError:
        return None


def _compare(parse: Callable[[str], float | None], compare: Callable[[float, float], bool]) -> Matcher:
    """A Numeric* or Date* matcher: both sides parsed (numbers, or ISO 8601/epoch dates); unparseable never matches."""

    def match(policy: str, request: str) -> bool:
        left, right = parse(request), parse(policy)
        return left is not None and right is not None and compare(left, right)

    return match


def _binary_equals(policy: str, request: str) -> bool:
    try:
        return base64.b64decode(policy, validate=True) == base64.b64decode(request, validate=True)
    except (binascii.Error, ValueError):
        return False


@lru_cache(maxsize=4096)
def _ip_in(policy: str, request: str) -> bool:
    try:
        return ipaddress.ip_address(request) in ipaddress.ip_network(policy, strict=False)
    except ValueError:
        return False


def _bool_equals(policy: str, request: str) -> bool:
    return policy.lower() == request.lower()


_COMPARISONS = {
    "Equals": operator.eq, "NotEquals": operator.eq, "LessThan": operator.lt, "LessThanEquals": operator.le,
    "GreaterThan": operator.gt, "GreaterThanEquals": operator.ge,
}

# base operator → (matcher of one policy value against one request value, negated, wildcard values)
OPERATORS: dict[str, tuple[Matcher, bool, bool]] = {
    "StringEquals": (operator.eq, False, False),
    "StringNotEquals": (operator.eq, True, False),
    "StringEqualsIgnoreCase": (lambda p, r: p.lower() == r.lower(), False, False),
    "StringNotEqualsIgnoreCase": (lambda p, r: p.lower() == r.lower(), True, False),
    "StringLike": (wildcard_match, False, True),
    "StringNotLike": (wildcard_match, True, True),
    "Bool": (_bool_equals, False, False),
    "BinaryEquals": (_binary_equals, False, False),
    "IpAddress": (_ip_in, False, False),
    "NotIpAddress": (_ip_in, True, False),
    "ArnEquals": (arn_match, False, True),
    "ArnLike": (arn_match, False, True),
    "ArnNotEquals": (arn_match, True, True),
    "ArnNotLike": (arn_match, True, True),
    **{f"Numeric{name}": (_compare(_number, compare), name == "NotEquals", False)
       for name, compare in _COMPARISONS.items()},
    **{f"Date{name}": (_compare(_epoch, compare), name == "NotEquals", False)
       for name, compare in _COMPARISONS.items()},
}
_CANONICAL = {name.lower(): name for name in [*OPERATORS, "Null"]}
QUALIFIERS = ("ForAllValues", "ForAnyValue")


@lru_cache(maxsize=1024)
def parse_operator(text: str) -> tuple[str, str | None, bool] | None:
    """``ForAnyValue:StringLikeIfExists`` → ("StringLike", "ForAnyValue", True); None if unknown."""
    qualifier = None
    name = text
    if ":" in text:
        prefix, name = text.split(":", 1)
        qualifier = next((q for q in QUALIFIERS if q.lower() == prefix.lower()), None)
        if qualifier is None:
            return None
    if_exists = name.lower().endswith("ifexists") and name.lower() != "ifexists"
    base = _CANONICAL.get(name[: -len("IfExists")].lower() if if_exists else name.lower())
    if base is None or (base == "Null" and (if_exists or qualifier)):
        return None
    return base, qualifier, if_exists


def condition_holds(condition: Condition, context: ContextValues, variables: bool,
                    missing: set[str] | None = None) -> bool:
    """Whether one (operator, key, values) entry holds; records absent keys in ``missing``."""
    request = context.get(condition.key)
    if condition.base == "Null":
        wants_absent = any(value.lower() == "true" for value in condition.values)
        return (request is None or request == []) == wants_absent
    if request is None:
        if missing is not None:
            missing.add(condition.key)
        if condition.if_exists or condition.qualifier == "ForAllValues":
            return True
        if condition.qualifier == "ForAnyValue":
            return False
        return OPERATORS[condition.base][1]
    match, negated, wildcards = OPERATORS[condition.base]
    policy_values = _policy_values(condition.values, context, variables, wildcards)

    def test(value: str) -> bool:
        return any(match(policy, value) for policy in policy_values) != negated

    if condition.qualifier == "ForAllValues":
        return all(test(value) for value in request)
    if condition.qualifier == "ForAnyValue" or not negated:
        return any(test(value) for value in request)
    return all(test(value) for value in request)


def _policy_values(values: tuple[str, ...], context: ContextValues, variables: bool, wildcards: bool) -> list[str]:
    if not variables:
        return list(values)
    filled = []
    for value in values:
        if has_variables(value):
            value = substitute(value, context.get, escape_wildcards=wildcards)
            if value is None:
                continue
        filled.append(value)
    return filled
