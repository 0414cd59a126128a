"""``*`` and ``?`` wildcards as IAM uses them in actions, ARNs and ``StringLike`` values."""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=8192)
def wildcard_regex(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """A NUL before a character makes it literal (how ``${*}`` and ``${?}`` reach the matcher)."""
    return re.compile(_wildcard_source(pattern), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _wildcard_source(pattern: str, any_char: str = ".") -> str:
    """The pattern cut at its ``*``s into pieces of fixed length (characters and ``?``s). A piece between two ``*``s
    is found at its first place and kept there — an atomic group, ``(?>.*?piece)`` —, which finds a match whenever
    there is one and never backtracks across the ``*``s: ``*a*a*a*a*a*a*a*a*b`` against a long run of ``a``s took
    minutes where it now takes microseconds. Only the last ``*`` backtracks, once, to end the value with the last
    piece."""
    pieces: list[list[str]] = [[]]
    literal = False
    for char in pattern:
        if literal:
            pieces[-1].append(re.escape(char))
            literal = False
        elif char == "\x00":
            literal = True
        elif char == "*":
            pieces.append([])
        elif char == "?":
            pieces[-1].append(any_char)
        else:
            pieces[-1].append(re.escape(char))
    first, *middle = ["".join(piece) for piece in pieces]
    if not middle:
        return first
    *between, last = middle
    return first + "".join(f"(?>{any_char}*?{piece})" for piece in between) + f"{any_char}*{last}"


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
