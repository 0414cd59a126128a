"""The search of a metric math SEARCH('{Namespace, Dimension, ...} SearchTerm', 'Statistic', Period) (pure): its
metric schema and search term read, and whether a metric matches them, as the search expression syntax documents.

The schema, in braces, names a namespace and the exact set of dimension names a metric has. The term joins
partial matches (``count``), exact matches (``"CustomCount1"``), and property matches (``MetricName="Errors"``,
``Namespace=AWS``, ``InstanceType=micro``: a dimension's value) with ``AND`` (or nothing), ``OR``, ``NOT`` and
parentheses. A partial match compares tokens: names are cut at camel case, digits and other characters; a term
matches a whole name (its letters and digits, in any case), or a name's tokens in a row: in any case where the term
is cut by other characters only, case and all where its own capitals and digits cut it (``Count1``, not
``count1``, as documented).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

MOST_CHARACTERS = 1024
_PIECE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
# a word of the term: anything up to a space or a parenthesis, exact strings whole, backslash escapes kept
_WORD = re.compile(r'(?:[^\s()"\\]|\\.)*(?:"(?:[^"\\]|\\.)*"(?:[^\s()"\\]|\\.)*)*')


class SearchError(ValueError):
    """The search is not one the syntax allows; the message says where."""


@dataclass(frozen=True)
class Metric:
    namespace: str
    name: str
    dimensions: dict[str, str]


Matcher = Callable[[Metric], bool]


@dataclass(frozen=True)
class Search:
    namespace: str | None  # the schema's, when the search has one
    dimension_names: frozenset[str] | None
    term: Matcher | None

    def matches(self, metric: Metric) -> bool:
        if self.namespace is not None and (metric.namespace != self.namespace
                                           or set(metric.dimensions) != self.dimension_names):
            return False
        return self.term is None or self.term(metric)


def parse(text: str) -> Search:
    if len(text) > MOST_CHARACTERS:
        raise SearchError(f"A search is {MOST_CHARACTERS} characters at most.")
    rest = text.strip()
    namespace, names = None, None
    if rest.startswith("{"):
        end = _closing_brace(rest)
        parts = [_unquoted(part.strip()) for part in _split_schema(rest[1:end])]
        if not parts or not parts[0]:
            raise SearchError("A metric schema names a namespace first: {Namespace, DimensionName, ...}.")
        namespace, names = parts[0], frozenset(parts[1:])
        rest = rest[end + 1:].strip().removeprefix(",").strip()
    if namespace is None and not rest:
        raise SearchError("A search needs a metric schema, a search term, or both.")
    reader = _Reader(_tokens(rest))
    term = reader.either() if rest else None
    reader.end()
    return Search(namespace, names, term)


def _closing_brace(text: str) -> int:
    quoted = False
    for place, character in enumerate(text):
        if character == '"':
            quoted = not quoted
        elif character == "}" and not quoted:
            return place
    raise SearchError("The metric schema's { is not closed.")


def _split_schema(text: str) -> list[str]:
    return re.findall(r'"(?:[^"\\]|\\.)*"|[^,]+', text)


def _unquoted(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def _tokens(text: str) -> list[str]:
    """Parentheses, exact strings (with their quotes and escapes), and the words between spaces."""
    tokens, place = [], 0
    while place < len(text):
        character = text[place]
        if character.isspace():
            place += 1
        elif character in "()":
            tokens.append(character)
            place += 1
        else:
            found = _WORD.match(text, place)
            if found is None or found.end() == place:
                raise SearchError(f"The search term cannot be read at: {text[place:place + 20]}")
            tokens.append(found.group())
            place = found.end()
    return tokens


class _Reader:
    def __init__(self, tokens: list[str]) -> None:
        self._tokens, self._place = tokens, 0

    def _peek(self) -> str | None:
        return self._tokens[self._place] if self._place < len(self._tokens) else None

    def either(self) -> Matcher:
        parts = [self.both()]
        while self._peek() == "OR":
            self._place += 1
            parts.append(self.both())
        return parts[0] if len(parts) == 1 else (lambda metric: any(part(metric) for part in parts))

    def both(self) -> Matcher:
        parts = [self.negated()]
        while self._peek() not in (None, ")", "OR"):
            if self._peek() == "AND":
                self._place += 1
            parts.append(self.negated())
        return parts[0] if len(parts) == 1 else (lambda metric: all(part(metric) for part in parts))

    def negated(self) -> Matcher:
        if self._peek() == "NOT":
            self._place += 1
            inner = self.negated()
            return lambda metric: not inner(metric)
        return self.single()

    def single(self) -> Matcher:
        token = self._peek()
        if token is None or token in ("AND", "OR", ")"):
            raise SearchError(f"A search term is expected where the search has {token or 'its end'}.")
        self._place += 1
        if token == "(":
            inner = self.either()
            if self._peek() != ")":
                raise SearchError("A ( of the search term is not closed.")
            self._place += 1
            return inner
        return _term(token)

    def end(self) -> None:
        if self._peek() is not None:
            raise SearchError(f"The search term goes on after its end, at {self._peek()}.")


def _term(token: str) -> Matcher:
    """One term: ``word``, ``"exact"``, ``Property=word`` or ``Property="exact"``."""
    designator, value = None, token
    found = re.match(r'([A-Za-z0-9_.:/-]+)=(.+)\Z', token, re.DOTALL)
    if found and not token.startswith('"'):
        designator, value = found.group(1), found.group(2)
    exact = value.startswith('"')
    if exact and not (len(value) >= 2 and value.endswith('"')):
        raise SearchError(f"The exact match {value} has no closing double quote.")
    wanted = _unquoted(value) if exact else value
    test = (lambda name: name == wanted) if exact else _partial(wanted)

    def properties(metric: Metric) -> list[str]:
        if designator is None:
            return [metric.namespace, metric.name, *metric.dimensions, *metric.dimensions.values()]
        if designator == "MetricName":
            return [metric.name]
        if designator == "Namespace":
            return [metric.namespace]
        return [metric.dimensions[designator]] if designator in metric.dimensions else []

    return lambda metric: any(test(name) for name in properties(metric))


def _partial(term: str) -> Callable[[str], bool]:
    words = [_PIECE.findall(word) for word in re.split(r"[^A-Za-z0-9]+", term) if word]
    wanted = [(piece, len(pieces) > 1) for pieces in words for piece in pieces]  # (piece, case counts)
    if not wanted:
        raise SearchError(f"The search term {term} holds no letters or digits.")

    whole = "".join(piece for piece, _ in wanted).lower()

    def matches(name: str) -> bool:
        pieces = _PIECE.findall(name)
        if whole == "".join(pieces).lower():
            return True  # the whole name, its letters and digits, in any case
        for start in range(len(pieces) - len(wanted) + 1):
            if all(pieces[start + offset] == piece if cased else pieces[start + offset].lower() == piece.lower()
                   for offset, (piece, cased) in enumerate(wanted)):
                return True
        return False

    return matches
