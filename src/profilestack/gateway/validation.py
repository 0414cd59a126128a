"""Validate decoded parameters against their botocore shape, the way AWS's front door does.

Collects every violation and reports them in AWS's wording:
"2 validation errors detected: Value 'x' at 'roleName' failed to satisfy constraint: ...".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, partial
from typing import Any

import regex
from botocore.model import Shape

from profilestack.gateway.codecs.compiled import PerShape

_MAX_REPORTED = 10
Matcher = re.Pattern[str] | regex.Pattern[str]


@cache
def model_pattern(pattern: str) -> Matcher | None:
    # Model patterns without anchors are matched against the whole value, as the services do. \w, \d and \s mean
    # what they mean to the services (Java, and Smithy's ECMAScript patterns): ASCII letters, digits and spaces,
    # not Python's Unicode ones. Unicode properties (\p{L}: any letter), which Python's re does not know, are read
    # by the regex library. A pattern neither reads (surrogate ranges) is not enforced.
    if not (pattern.startswith("^") or pattern.endswith("$")):
        pattern = f"(?:{pattern})\\Z"
    pattern = _end_of_value(pattern)
    try:
        return re.compile(pattern, re.DOTALL | re.ASCII)
    except re.error:
        pass
    try:
        return regex.compile(pattern, regex.DOTALL)
    except regex.error:
        return None


def _end_of_value(pattern: str) -> str:
    """The pattern with each ``$`` anchor read as the end of the value (``\\Z``): Python's ``$`` also matches
    before a final newline, so ``^[a-z]+$`` took ``"shop\\n"``, which Java's and ECMAScript's patterns refuse."""
    out, in_class, escaped = [], False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "$":
            char = "\\Z"
        out.append(char)
    return "".join(out)


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


class _Collector:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def add(self, path: str, value: Any, shape: Shape, constraint: str) -> None:
        if value is None:
            shown = "Value null"
        elif shape.serialization.get("sensitive") or getattr(shape, "metadata", {}).get("sensitive"):
            shown = "Value"
        else:
            shown = f"Value '{_render(value)}'"
        where = f" at '{path}'" if path else ""
        self.errors.append(f"{shown}{where} failed to satisfy constraint: {constraint}")


def _render(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_render(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_render(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bytes):
        return "java.nio.HeapByteBuffer"
    return str(value)


def validation_message(problems: list[str]) -> str:
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    shown = "; ".join(problems[:_MAX_REPORTED])
    return f"{count} validation {noun} detected: {shown}"


def validate(shape: Shape | None, params: dict[str, Any]) -> list[str]:
    """Every constraint violation in ``params``; empty when the input is valid."""
    check = _checker(shape) if shape is not None else None
    if check is None:
        return []
    collector = _Collector()
    check(params, "", collector)
    return collector.errors


# Each shape's checks are worked out once: (value, path, collector) -> None. Shapes without constraints get no
# checker at all, so a list of unconstrained items is not even walked.
Checker = Callable[[Any, str, _Collector], None]


def _build_checker(shape: Shape, _variant: Any) -> Checker | None:
    kind = shape.type_name
    if kind == "structure":
        # a structure without members (GetCallerIdentity's input) has nothing to check
        if shape.metadata.get("document") or not shape.members:
            return None
        return partial(_check_structure, shape, {}, bool(shape.metadata.get("union")))
    meta = shape.metadata
    if kind == "string":  # one function for all of a string's checks: every string has one (U+0000)
        pattern = meta.get("pattern")
        compiled = model_pattern(pattern) if pattern else None
        return partial(_check_string, shape, meta.get("min"), meta.get("max"), meta.get("enum"),
                       frozenset(meta["enum"]) if meta.get("enum") else None, pattern, compiled)
    checks: list[Checker] = []
    if kind in ("blob", "list", "map") and (meta.get("min") is not None or meta.get("max") is not None):
        checks.append(partial(_check_length, shape, meta.get("min"), meta.get("max")))
    if kind in ("integer", "long", "float", "double") and (meta.get("min") is not None
                                                             or meta.get("max") is not None):
        checks.append(partial(_check_range, shape, meta.get("min"), meta.get("max")))
    elif kind == "list" and _checker(shape.member) is not None:
        checks.append(partial(_check_items, _checker(shape.member)))
    elif kind == "map" and (_checker(shape.key) is not None or _checker(shape.value) is not None):
        checks.append(partial(_check_entries, _checker(shape.key), _checker(shape.value)))
    if not checks:
        return None
    return checks[0] if len(checks) == 1 else partial(_check_all, checks)


_checker: PerShape[Checker | None] = PerShape(_build_checker)


def _check_all(checks: list[Checker], value: Any, path: str, out: _Collector) -> None:
    for check in checks:
        check(value, path, out)


def _check_structure(shape: Shape, members: dict[str, tuple[str, Checker | None]], union: bool, value: dict[str, Any],
                     path: str, out: _Collector) -> None:
    if not members:  # compiled on first use (shapes may be recursive), published whole (threads share it)
        members.update({name: (_lower_first(name), _checker(member)) for name, member in shape.members.items()})
    for name in shape.required_members:
        if value.get(name) is None:
            out.add(_join(path, members[name][0]), None, shape.members[name], "Member must not be null")
    if union:  # exactly one member set
        chosen = [name for name, member_value in value.items() if name in members and member_value is not None]
        if len(chosen) != 1:
            out.add(path, "{" + ", ".join(chosen) + "}" if chosen else None, shape,
                    f"Member must have exactly one of its members set: {', '.join(shape.members)}")
    for name, member_value in value.items():
        found = members.get(name)
        if found is None or member_value is None or found[1] is None:
            continue
        wire, check = found
        check(member_value, _join(path, wire), out)


def _join(path: str, member: str) -> str:
    return f"{path}.{member}" if path else member


def _check_items(check: Checker, value: list[Any], path: str, out: _Collector) -> None:
    for index, item in enumerate(value, 1):
        if item is not None:
            check(item, f"{path}.{index}.member", out)


def _check_entries(check_key: Checker | None, check_value: Checker | None, value: dict[str, Any], path: str,
                   out: _Collector) -> None:
    for key, item in value.items():
        if check_key is not None:
            check_key(key, f"{path}.{key}.key", out)
        if item is not None and check_value is not None:
            check_value(item, f"{path}.{key}.value", out)


def _check_string(shape: Shape, low: float | None, high: float | None, enum: list[str] | None,
                  allowed: frozenset[str] | None, pattern: str | None, compiled: Matcher | None, value: str,
                  path: str, out: _Collector) -> None:
    too_long = high is not None and len(value) > high
    if low is not None or high is not None:
        _check_length(shape, low, high, value, path, out)
    if "\x00" in value:
        # profilestack takes no U+0000 in any string, whatever the model allows (docs/decisions.md): PostgreSQL
        # cannot store it, and the answer to a call must not depend on the database behind it.
        out.add(path, value, shape, "Member must not contain the null character (U+0000)")
    if allowed is not None and value not in allowed:
        out.add(path, value, shape, f"Member must satisfy enum value set: [{', '.join(enum or ())}]")
    # A value already too long is not matched: some model patterns take quadratic time to fail (Outbound
    # Campaigns' EmailAddress, ``.*[^\s@]+@…``, took 28 s on 70,000 characters), and the length check reports it.
    if compiled is not None and not too_long and compiled.match(value) is None:
        out.add(path, value, shape, f"Member must satisfy regular expression pattern: {pattern}")


def _check_range(shape: Shape, low: float | None, high: float | None, value: float, path: str,
                 out: _Collector) -> None:
    if low is not None and value < low:
        out.add(path, value, shape, f"Member must have value greater than or equal to {_num(low)}")
    if high is not None and value > high:
        out.add(path, value, shape, f"Member must have value less than or equal to {_num(high)}")


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _check_length(shape: Shape, low: float | None, high: float | None, value: Any, path: str,
                  out: _Collector) -> None:
    size = len(value)
    if low is not None and size < low:
        out.add(path, value, shape, f"Member must have length greater than or equal to {_num(low)}")
    if high is not None and size > high:
        out.add(path, value, shape, f"Member must have length less than or equal to {_num(high)}")
