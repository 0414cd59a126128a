"""``*`` and ``?`` wildcards as IAM uses them in actions, ARNs and ``StringLike`` values."""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=8192)
def wildcard_regex(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """A NUL before a character makes it literal (how ``${*}`` and ``${?}`` reach the matcher)."""
    return re.compile(_wildcard_source(pattern), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _wildcard_source(pattern: str, any_char: str = ".") -> str:
    parts = []
    literal = False
    for char in pattern:
        if literal:
            parts.append(re.escape(char))
            literal = False
        elif char == "\x00":
            literal = True
        elif char == "*":
            parts.append(f"{any_char}*")
        elif char == "?":
            parts.append(any_char)
        else:
            parts.append(re.escape(char))
    return "".join(parts)


def wildcard_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    if pattern == "*":
        return True
    if "*" not in pattern and "?" not in pattern and "\x00" not in pattern:
        return pattern.lower() == value.lower() if ignore_case else pattern == value
    return wildcard_regex(pattern, ignore_case).fullmatch(value) is not None


def arn_match(pattern: str, arn: str) -> bool:
    """ARN matching as ``ArnLike`` and ``Resource`` do it: each of the six colon-separated parts on its own."""
    if pattern == "*":
        return True
    regex = _arn_regex(pattern)
    if regex is None:
        return wildcard_match(pattern, arn)
    return regex.fullmatch(arn) is not None


@lru_cache(maxsize=8192)
def _arn_regex(pattern: str) -> re.Pattern[str] | None:
    """One regex for the six parts: wildcards in the first five stay within their part (no ``:``), the
    resource part takes the rest. None for a pattern that is not six parts."""
    parts = pattern.split(":", 5)
    if len(parts) != 6:
        return None
    return re.compile(":".join([*(_wildcard_source(part, "[^:]") for part in parts[:5]),
                                _wildcard_source(parts[5])]), re.DOTALL)
