"""Validate decoded parameters against their botocore shape, the way AWS's front door does.

Collects every violation and reports them in AWS's wording:
"2 validation errors detected: Value 'x' at 'roleName' failed to satisfy constraint: ...".
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from botocore.model import Shape

from profilestack.gateway.errors import AwsError

_MAX_REPORTED = 10


@cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    # Model patterns without anchors are matched against the whole value, as the
    # services do; a pattern Python cannot compile (Java-only syntax) is not enforced.
    if not (pattern.startswith("^") or pattern.endswith("$")):
        pattern = f"(?:{pattern})\\Z"
    try:
        return re.compile(pattern, re.DOTALL)
    except re.error:
        return None


def _pattern_matches(pattern: str, value: str) -> bool:
    compiled = _compiled(pattern)
    return compiled is None or compiled.match(value) is not None


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
    if shape is None:
        return []
    collector = _Collector()
    _check_structure(shape, params, "", collector)
    return collector.errors


def raise_if_invalid(shape: Shape | None, params: dict[str, Any], code: str, status: int = 400) -> None:
    problems = validate(shape, params)
    if problems:
        raise AwsError(code, validation_message(problems), status)


def _check_structure(shape: Shape, value: dict[str, Any], path: str, out: _Collector) -> None:
    members = shape.members
    for name in shape.required_members:
        if value.get(name) is None:
            out.add(_join(path, name), None, members[name], "Member must not be null")
    for name, member_value in value.items():
        member = members.get(name)
        if member is None or member_value is None:
            continue
        _check(member, member_value, _join(path, name), out)


def _join(path: str, name: str) -> str:
    name = _lower_first(name)
    return f"{path}.{name}" if path else name


def _check(shape: Shape, value: Any, path: str, out: _Collector) -> None:
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        if not meta.get("document"):
            _check_structure(shape, value, path, out)
        return
    if kind in ("string", "blob", "list", "map"):
        _check_length(shape, value, path, out, meta)
    if kind == "string":
        enum = meta.get("enum")
        if enum and value not in enum:
            out.add(path, value, shape, f"Member must satisfy enum value set: [{', '.join(enum)}]")
        pattern = meta.get("pattern")
        if pattern and not _pattern_matches(pattern, value):
            out.add(path, value, shape, f"Member must satisfy regular expression pattern: {pattern}")
    elif kind in ("integer", "long", "float", "double"):
        low, high = meta.get("min"), meta.get("max")
        if low is not None and value < low:
            out.add(path, value, shape, f"Member must have value greater than or equal to {_num(low)}")
        if high is not None and value > high:
            out.add(path, value, shape, f"Member must have value less than or equal to {_num(high)}")
    elif kind == "list":
        for index, item in enumerate(value, 1):
            if item is not None:
                _check(shape.member, item, f"{path}.{index}.member", out)
    elif kind == "map":
        for key, item in value.items():
            _check(shape.key, key, f"{path}.{key}.key", out)
            if item is not None:
                _check(shape.value, item, f"{path}.{key}.value", out)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _check_length(shape: Shape, value: Any, path: str, out: _Collector, meta: dict[str, Any]) -> None:
    low, high = meta.get("min"), meta.get("max")
    if low is None and high is None:
        return
    size = len(value)
    if low is not None and size < low:
        out.add(path, value, shape, f"Member must have length greater than or equal to {_num(low)}")
    if high is not None and size > high:
        out.add(path, value, shape, f"Member must have length less than or equal to {_num(high)}")
