"""Composite alarms' rules (pure): ``ALARM(name)``, ``OK(name)``, ``INSUFFICIENT_DATA(name)``, ``TRUE``, ``FALSE``,
``NOT``, ``AND``, ``OR`` and parentheses; NOT binds tightest, then AND, then OR. A name may be quoted and may be an
alarm's ARN."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from profilestack.services.cloudwatch.scanning import Unreadable, scan

STATES = ("ALARM", "OK", "INSUFFICIENT_DATA")
_TOKEN = re.compile(r'\s*(?:(\()|(\))|(ALARM|OK|INSUFFICIENT_DATA)\s*\(\s*(?:"([^"]*)"|([^()"]*?))\s*\)|'
                    r"(TRUE|FALSE|NOT|AND|OR)\b)")
_ARN = re.compile(r"arn:aws:cloudwatch:[^:]*:[^:]*:alarm:(.+)")


class RuleError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Rule:
    """A parsed rule: ``holds`` given each alarm's state, and the alarms it names (ARNs as given)."""

    holds: Callable[[Callable[[str], str | None]], bool]
    names: frozenset[str]

    @property
    def alarms(self) -> frozenset[str]:
        """The names of the alarms it names (an ARN's alarm name)."""
        return frozenset(alarm_name(name) for name in self.names)


def alarm_name(reference: str) -> str:
    """An alarm's name from a rule's reference to it (its name, or its ARN)."""
    found = _ARN.fullmatch(reference)
    return found.group(1) if found else reference


def parse(text: str) -> Rule:
    tokens = _tokens(text)
    names: set[str] = set()
    position = 0

    def peek() -> tuple[str, str] | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> tuple[str, str]:
        nonlocal position
        if position >= len(tokens):
            raise RuleError("the rule ends too early")
        position += 1
        return tokens[position - 1]

    def joined(word: str, operand: Callable[[], Callable], combine: Callable) -> Callable:
        """Operands joined by ``word`` (AND, OR), combined by ``combine`` (all, any)."""
        parts = [operand()]
        while peek() == ("word", word):
            take()
            parts.append(operand())
        return parts[0] if len(parts) == 1 else lambda state: combine(part(state) for part in parts)

    def either() -> Callable:
        return joined("OR", both, any)

    def both() -> Callable:
        return joined("AND", single, all)

    def single() -> Callable:
        kind, value = take()
        if (kind, value) == ("word", "NOT"):
            inner = single()
            return lambda state: not inner(state)
        if kind == "(":
            inner = either()
            if take()[0] != ")":
                raise RuleError("a parenthesis is not closed")
            return inner
        if kind == "word" and value in ("TRUE", "FALSE"):
            return lambda _state: value == "TRUE"
        if kind in STATES:
            if not value:
                raise RuleError(f"{kind}() names no alarm")
            names.add(value)
            name = alarm_name(value)
            return lambda state: state(name) == kind
        raise RuleError(f"unexpected {_shown((kind, value))}")

    holds = either()
    if position != len(tokens):
        raise RuleError(f"unexpected {_shown(tokens[position])}")
    return Rule(holds, frozenset(names))


def _shown(token: tuple[str, str]) -> str:
    kind, value = token
    return value if kind == "word" else f"{kind}({value})" if kind in STATES else kind


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens = []
    try:
        for found in scan(text, _TOKEN):
            opened, closed, function, quoted, bare, word = found.groups()
            if opened:
                tokens.append(("(", ""))
            elif closed:
                tokens.append((")", ""))
            elif function:
                tokens.append((function, quoted if quoted is not None else bare))
            else:
                tokens.append(("word", word))
    except Unreadable as unreadable:
        raise RuleError(f"cannot read the rule at character {unreadable.position + 1}") from None
    if not tokens:
        raise RuleError("the rule is empty")
    return tokens


@dataclass(frozen=True, slots=True)
class Suppressor:
    """Where a composite alarm's actions suppressor stands: its state, since when, and the state it left then."""

    state: str
    since: datetime
    left: str | None


def suppressed_by(state: str, since: datetime, suppressor: Suppressor | None, wait: int, extension: int,
                  now: datetime) -> str | None:
    """Why a composite alarm in ``state`` since ``since`` has its actions suppressed now — ``Alarm`` while the
    suppressor is in ALARM, ``ExtensionPeriod`` for ``extension`` seconds after it left ALARM, ``WaitPeriod`` for
    the first ``wait`` seconds in ALARM while waiting for the suppressor — or None."""
    if state != "ALARM" or suppressor is None:
        return None
    if suppressor.state == "ALARM":
        return "Alarm"
    if suppressor.left == "ALARM" and now < suppressor.since + timedelta(seconds=extension):
        return "ExtensionPeriod"
    if now < since + timedelta(seconds=wait):
        return "WaitPeriod"
    return None
