"""Metric math's reader and evaluator on their own: precedence, long expressions without deep recursion, limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from profilestack.services.cloudwatch.expressions import Context, ExpressionError, TimeSeries, evaluate, references
from profilestack.services.cloudwatch.math_syntax import MOST_TOKENS, Chain, Name, Number, Unary, parse

START = datetime(2026, 12, 1, tzinfo=UTC)
ORDERS = TimeSeries({START: 2.0, START + timedelta(minutes=1): 3.0}, "Orders", 60)


def worked_out(expression: str) -> object:
    def lookup(query_id: str) -> TimeSeries:
        if query_id != "orders":
            raise ExpressionError(f"{query_id} is not a query id")
        return ORDERS

    return evaluate(expression, Context(lookup, [("orders", ORDERS)], START, START + timedelta(minutes=2)))


@pytest.mark.parametrize(("expression", "value"), [
    ("1 + 2 * 3", 7.0),
    ("(1 + 2) * 3", 9.0),
    ("2 ^ 3 ^ 2", 512.0),
    ("-2 ^ 2", -4.0),
    ("2 ^ -1", 0.5),
    ("- - -1", -1.0),
    ("1 + 2 > 2 AND 0 OR 1", 1.0),  # ((1 + 2) > 2 AND 0) OR 1
    ("NOT 0 && 1", 1.0),
    ("!1 || 0", 0.0),
    ("3 >= 3 == 1", 1.0),  # comparisons chain from the left: (3 >= 3) == 1
    ("10 / 4 - 1", 1.5),
    ("1 / 0", None),  # no value, not an error
    (".5e1 + 1.", 6.0),
])
def test_operators_and_their_precedence(expression: str, value: float | None) -> None:
    assert worked_out(expression) == value


def test_a_long_sum_is_a_flat_chain_worked_out_without_deep_recursion() -> None:
    terms = MOST_TOKENS // 2
    tree = parse(" + ".join(["1"] * terms))
    assert isinstance(tree, Chain) and len(tree.rest) == terms - 1
    assert worked_out(" + ".join(["orders"] * terms)).values == {  # type: ignore[union-attr]
        moment: value * terms for moment, value in ORDERS.values.items()}
    assert worked_out("-" * (MOST_TOKENS - 1) + "1") == -1.0


def test_the_tree_keeps_unary_operators_outermost_first() -> None:
    assert parse("-!orders") == Unary(("-", "!"), Name("orders"))
    assert parse("2 ^ -x") == Chain(Number(2.0), (("^", Unary(("-",), Name("x"))),))


@pytest.mark.parametrize(("expression", "message"), [
    ("1 +" + " 1 +" * MOST_TOKENS + " 1", f"more than {MOST_TOKENS} parts"),
    ("(" * 33 + "1" + ")" * 33, "nests brackets more than 32 deep"),
    ("orders )", "Unexpected ')'"),
    ("MAX(orders,)", "Unexpected ')'"),
    ("MAX(orders orders)", "Expected ',' or ')'"),
    ("", "The expression is empty."),
    ("1 @ 2", "Unexpected '@'"),
])
def test_what_cannot_be_read_says_why(expression: str, message: str) -> None:
    with pytest.raises(ExpressionError, match="Not valid metric math") as raised:
        worked_out(expression)
    assert message in str(raised.value)


def test_references_are_the_names_an_expression_reads() -> None:
    assert references('FILL(m1, REPEAT) + SUM([m2, METRICS("x")]) * -e1 ^ m3') == {"m1", "REPEAT", "m2", "e1", "m3"}
