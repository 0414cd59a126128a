"""The syntax of CloudWatch metric math: an expression's text read into a tree (expressions.py evaluates it).

Numbers, "strings", query ids, bare words (``REPEAT`` in ``FILL(m1, REPEAT)``), function calls, array literals
``[m1, m2]``, unary ``-``/``NOT``/``!``, and the binary operators from loosest to tightest: ``OR``/``||``,
``AND``/``&&``, comparisons (``== != < <= > >=``), ``+ -``, ``* /``, ``^`` (right to left)."""

from __future__ import annotations

import math
import re
from collections.abc import Set
from dataclasses import dataclass

from profilestack.services.cloudwatch.scanning import Unreadable, scan

_TOKEN = re.compile(r"""\s*(?:
    (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<string>"[^"]*"|'[^']*')
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<operator>&&|\|\||==|!=|<=|>=|[-+*/^<>!(),\[\]])
)""", re.VERBOSE)
_SPELLED = {"OR": "||", "AND": "&&", "NOT": "!"}  # the operators written as words, read as their symbols
# The binary operators by level, loosest first ("^" binds tighter than unary minus and is read apart)
_BINARY = (frozenset({"||"}), frozenset({"&&"}), frozenset({"==", "!=", "<", "<=", ">", ">="}), frozenset({"+", "-"}),
           frozenset({"*", "/"}))
MOST_TOKENS = 1024  # a longer expression is refused: each part is worked out over whole time series
MOST_NESTING = 32  # brackets and calls within one another (the reader and the evaluation recurse on them)


class SyntaxProblem(ValueError):
    pass


@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class Text:
    value: str


@dataclass(frozen=True)
class Name:
    """A query id (``m1``) or, in upper case, a bare word a function takes (``REPEAT``)."""
    name: str


@dataclass(frozen=True)
class Call:
    function: str  # upper case
    arguments: tuple[Node, ...]


@dataclass(frozen=True)
class Array:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Unary:
    operators: tuple[str, ...]  # "-" and "!", outermost first
    operand: Node


@dataclass(frozen=True)
class Chain:
    """Operands joined by operators of one precedence level (symbols only: "&&", "==", "+", "^", …): a flat list,
    so that a long sum is not a deep tree. "^" chains are worked out from the right."""
    first: Node
    rest: tuple[tuple[str, Node], ...]


Node = Number | Text | Name | Call | Array | Unary | Chain


def parse(expression: str) -> Node:
    tokens = _tokens(expression)
    if len(tokens) > MOST_TOKENS:
        raise SyntaxProblem(f"The expression has more than {MOST_TOKENS} parts.")
    depth = 0
    for _, text in tokens:
        depth += (text in ("(", "[")) - (text in (")", "]"))
        if depth > MOST_NESTING:
            raise SyntaxProblem(f"The expression nests brackets more than {MOST_NESTING} deep.")
    reader = _Reader(tokens)
    tree = reader.binary(0)
    if reader.position < len(tokens):
        raise SyntaxProblem(f"Unexpected {tokens[reader.position][1]!r}.")
    return tree


def _tokens(expression: str) -> list[tuple[str, str]]:
    tokens = []
    try:
        for found in scan(expression, _TOKEN):
            kind = found.lastgroup or ""
            text = found.group(kind)
            if kind == "word" and text in _SPELLED:
                kind, text = "operator", _SPELLED[text]
            tokens.append((kind, text))
    except Unreadable as unreadable:
        raise SyntaxProblem(f"Unexpected {expression[unreadable.position]!r}.") from None
    if not tokens:
        raise SyntaxProblem("The expression is empty.")
    return tokens


class _Reader:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.position = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, wanted: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise SyntaxProblem("The expression ends too soon.")
        if wanted is not None and token[1] != wanted:
            raise SyntaxProblem(f"Expected {wanted!r}, found {token[1]!r}.")
        self.position += 1
        return token

    def binary(self, level: int) -> Node:
        if level == len(_BINARY):
            return self.unary()
        first = self.binary(level + 1)
        rest = []
        while self._operator_in(_BINARY[level]):
            rest.append((self.take()[1], self.binary(level + 1)))
        return Chain(first, tuple(rest)) if rest else first

    def unary(self) -> Node:
        operators = []
        while self._operator_in({"-", "!", "+"}):
            operator = self.take()[1]
            if operator != "+":
                operators.append(operator)
        operand = self.power()
        return Unary(tuple(operators), operand) if operators else operand

    def power(self) -> Node:
        first = self.atom()
        rest = []
        while self._operator_in({"^"}):  # 2^-1 and 2^3^2 (= 2^9: worked out from the right)
            self.take()
            signs = []
            while self._operator_in({"-", "+"}):
                if self.take()[1] == "-":
                    signs.append("-")
            operand = self.atom()
            rest.append(("^", Unary(tuple(signs), operand) if signs else operand))
        return Chain(first, tuple(rest)) if rest else first

    def _operator_in(self, symbols: Set[str]) -> bool:
        token = self.peek()
        return token is not None and token[0] == "operator" and token[1] in symbols

    def atom(self) -> Node:
        kind, text = self.take()
        if kind == "number":
            if not math.isfinite(float(text)):
                raise SyntaxProblem(f"The number {text} is too large.")
            return Number(float(text))
        if kind == "string":
            return Text(text[1:-1])
        if kind == "word":
            token = self.peek()
            if token is not None and token[1] == "(":
                self.take()
                return Call(text.upper(), self.items(")"))
            return Name(text)
        if text == "(":
            inner = self.binary(0)
            self.take(")")
            return inner
        if text == "[":
            return Array(self.items("]"))
        raise SyntaxProblem(f"Unexpected {text!r}.")

    def items(self, closing: str) -> tuple[Node, ...]:
        items: list[Node] = []
        token = self.peek()
        if token is not None and token[1] == closing:
            self.take()
            return ()
        while True:
            items.append(self.binary(0))
            if self.take()[1] == closing:
                return tuple(items)
            if self.tokens[self.position - 1][1] != ",":
                raise SyntaxProblem(f"Expected ',' or {closing!r}.")
