"""Metrics Insights queries read into an InsightsQuery (pure), as the query language documents them:

    SELECT FUNCTION(metricName) FROM namespace | SCHEMA(namespace [, labelKey ...])
    [ WHERE labelKey = | != 'labelValue' [ AND ... ] ] [ GROUP BY labelKey [, ...] ]
    [ ORDER BY FUNCTION() [ ASC | DESC ] ] [ LIMIT number ]

Keywords are read in any case, names as written: a namespace, metric name or label key with characters other than
letters, digits and underscores, or spelt like a keyword of the language, is written in double quotes; label values
in single quotes; a quote inside either is escaped with a backslash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FUNCTIONS = ("AVG", "COUNT", "MAX", "MIN", "SUM")
MOST_SERIES = 500
_KEYWORDS = frozenset({"SELECT", "FROM", "SCHEMA", "WHERE", "AND", "GROUP", "ORDER", "BY", "ASC", "DESC", "LIMIT",
                       *FUNCTIONS})
_TOKEN = re.compile(r"""\s*(?:(?P<quoted>"(?:[^"\\]|\\.)*")|(?P<text>'(?:[^'\\]|\\.)*')|(?P<operator>!=|[=(),*])
                        |(?P<word>[A-Za-z0-9_]+))""", re.VERBOSE)


class InsightsError(ValueError):
    """The query is not one the language allows; the message says where."""


@dataclass(frozen=True)
class Condition:
    key: str
    equal: bool  # = (True) or != (False)
    value: str


@dataclass(frozen=True)
class InsightsQuery:
    function: str
    metric: str
    namespace: str
    schema: frozenset[str] | None  # SCHEMA's label keys: metrics with exactly those dimensions; None: any
    where: tuple[Condition, ...] = ()
    group_by: tuple[str, ...] = ()
    order_by: str | None = None  # the function that orders the series
    descending: bool = False
    limit: int = MOST_SERIES


def is_insights_query(expression: str) -> bool:
    """Whether a MetricDataQuery's Expression is a Metrics Insights query rather than metric math."""
    return expression.lstrip()[:6].upper() == "SELECT" and expression.lstrip()[6:7] in (" ", "\t", "\n", "\r", "")


def parse(text: str) -> InsightsQuery:
    reader = _Reader(_tokens(text))
    reader.keyword("SELECT")
    function = reader.function()
    reader.expect("(")
    metric = reader.name("metric name")
    reader.expect(")")
    reader.keyword("FROM")
    namespace, schema = reader.source()
    where: list[Condition] = []
    if reader.accept_keyword("WHERE"):
        where.append(reader.condition())
        while reader.accept_keyword("AND"):
            where.append(reader.condition())
    group_by: list[str] = []
    if reader.accept_keyword("GROUP"):
        reader.keyword("BY")
        group_by.append(reader.name("label key"))
        while reader.accept(","):
            group_by.append(reader.name("label key"))
    order_by, descending = None, False
    if reader.accept_keyword("ORDER"):
        reader.keyword("BY")
        order_by = reader.function()
        reader.expect("(")
        reader.expect(")")
        if reader.accept_keyword("DESC"):
            descending = True
        else:
            reader.accept_keyword("ASC")
    limit = MOST_SERIES
    if reader.accept_keyword("LIMIT"):
        limit = reader.count()
    reader.end()
    return InsightsQuery(function, metric, namespace, schema, tuple(where), tuple(group_by), order_by, descending,
                         limit)


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, place = [], 0
    while place < len(text):
        found = _TOKEN.match(text, place)
        if found is None:
            if text[place:].strip() == "":
                break
            raise InsightsError(f"The query cannot be read at: {text[place:place + 30].strip()}")
        kind = found.lastgroup or ""
        tokens.append((kind, found.group(kind)))
        place = found.end()
    return tokens


def _unquoted(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


class _Reader:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self._tokens, self._place = tokens, 0

    def _peek(self) -> tuple[str, str] | None:
        return self._tokens[self._place] if self._place < len(self._tokens) else None

    def _next(self, wanted: str) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise InsightsError(f"The query ends where {wanted} is expected.")
        self._place += 1
        return token

    def _is_keyword(self, token: tuple[str, str] | None, keyword: str) -> bool:
        return token is not None and token[0] == "word" and token[1].upper() == keyword

    def keyword(self, keyword: str) -> None:
        token = self._next(keyword)
        if not self._is_keyword(token, keyword):
            raise InsightsError(f"{keyword} is expected where the query has {token[1]}.")

    def accept_keyword(self, keyword: str) -> bool:
        if self._is_keyword(self._peek(), keyword):
            self._place += 1
            return True
        return False

    def expect(self, symbol: str) -> None:
        token = self._next(f"'{symbol}'")
        if token != ("operator", symbol):
            raise InsightsError(f"'{symbol}' is expected where the query has {token[1]}.")

    def accept(self, symbol: str) -> bool:
        if self._peek() == ("operator", symbol):
            self._place += 1
            return True
        return False

    def function(self) -> str:
        token = self._next("a function")
        if token[0] != "word" or token[1].upper() not in FUNCTIONS:
            raise InsightsError(f"{token[1]} is not a function of the query language: use {', '.join(FUNCTIONS)}.")
        return token[1].upper()

    def name(self, what: str) -> str:
        token = self._next(f"a {what}")
        if token[0] == "quoted":
            return _unquoted(token[1])
        if token[0] != "word":
            raise InsightsError(f"A {what} is expected where the query has {token[1]}.")
        if token[1].upper() in _KEYWORDS:
            raise InsightsError(f"{token[1]} is a keyword: write a {what} spelt like one in double quotes.")
        return token[1]

    def source(self) -> tuple[str, frozenset[str] | None]:
        if not self.accept_keyword("SCHEMA"):
            return self.name("namespace"), None
        self.expect("(")
        namespace = self.name("namespace")
        keys = []
        while self.accept(","):
            keys.append(self.name("label key"))
        self.expect(")")
        return namespace, frozenset(keys)

    def condition(self) -> Condition:
        key = self.name("label key")
        token = self._next("= or !=")
        if token not in (("operator", "="), ("operator", "!=")):
            raise InsightsError(f"= or != is expected after {key}, where the query has {token[1]}.")
        value = self._next("a label value in single quotes")
        if value[0] != "text":
            raise InsightsError(f"Label values are written in single quotes: {value[1]} is not.")
        return Condition(key, token[1] == "=", _unquoted(value[1]))

    def count(self) -> int:
        token = self._next("a number")
        if token[0] != "word" or not token[1].isdigit() or not 1 <= int(token[1]) <= MOST_SERIES:
            raise InsightsError(f"LIMIT takes a number from 1 to {MOST_SERIES}: {token[1]} is not.")
        return int(token[1])

    def end(self) -> None:
        token = self._peek()
        if token is not None:
            raise InsightsError(f"The query goes on after its end, at {token[1]}.")
