"""``*`` and ``?`` wildcards as IAM uses them in actions, ARNs and ``StringLike`` values."""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=8192)
def wildcard_regex(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """A NUL before a character makes it literal (how ``${*}`` and ``${?}`` reach the matcher)."""
    parts = []
    literal = False
    for char in pattern:
        if literal:
            parts.append(re.escape(char))
            literal = False
        elif char == "\x00":
            literal = True
        elif char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


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
    pattern_parts = pattern.split(":", 5)
    arn_parts = arn.split(":", 5)
    if len(pattern_parts) != 6 or len(arn_parts) != 6:
        return wildcard_match(pattern, arn)
    return all(wildcard_match(p, a) for p, a in zip(pattern_parts, arn_parts, strict=True))
