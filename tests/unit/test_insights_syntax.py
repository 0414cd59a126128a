"""Metrics Insights queries as insights_syntax.py reads them."""

from __future__ import annotations

import pytest

from profilestack.services.cloudwatch.insights_syntax import (
    Condition,
    InsightsError,
    InsightsQuery,
    is_insights_query,
    parse,
)


def test_every_clause_is_read() -> None:
    query = parse('select avg(CPUUtilization) from SCHEMA("AWS/EC2", InstanceType, InstanceId) '
                  "WHERE InstanceType = 'c5.large' and InstanceId != 'i-1' GROUP BY InstanceType, InstanceId "
                  "order by max() desc limit 7")
    assert query == InsightsQuery(
        function="AVG", metric="CPUUtilization", namespace="AWS/EC2",
        schema=frozenset({"InstanceType", "InstanceId"}),
        where=(Condition("InstanceType", True, "c5.large"), Condition("InstanceId", False, "i-1")),
        group_by=("InstanceType", "InstanceId"), order_by="MAX", descending=True, limit=7)


def test_defaults_quotes_and_escapes() -> None:
    plain = parse("SELECT SUM(Orders) FROM Shop")
    assert (plain.schema, plain.where, plain.group_by, plain.order_by, plain.limit) == (None, (), (), None, 500)
    assert parse("SELECT SUM(Orders) FROM SCHEMA(Shop)").schema == frozenset()  # metrics without dimensions
    assert parse("SELECT SUM(Orders) FROM Shop ORDER BY SUM()").descending is False  # ASC by default
    quoted = parse(r'SELECT MAX("LIMIT") FROM "my.ns" WHERE "it\"s" = ' + r"'o\'k'")
    assert (quoted.metric, quoted.namespace, quoted.where) == ("LIMIT", "my.ns", (Condition('it"s', True, "o'k"),))


@pytest.mark.parametrize(("text", "message"), [
    ("", "The query ends where SELECT is expected"),
    ("SELECT PERCENTILE(Orders) FROM Shop", "PERCENTILE is not a function"),
    ("SELECT SUM(Orders) FROM Shop WHERE Store LIKE 'a'", "= or != is expected after Store"),
    ("SELECT SUM(Orders) FROM Shop WHERE Store > 'a'", "cannot be read at: > 'a'"),
    ("SELECT SUM(Orders) FROM Shop WHERE Store = \"a\"", "Label values are written in single quotes"),
    ("SELECT SUM(Orders) FROM Shop WHERE Store = 'a' OR Store = 'b'", "goes on after its end, at OR"),
    ("SELECT SUM(Orders) FROM Shop LIMIT 0", "LIMIT takes a number from 1 to 500"),
    ("SELECT SUM(Orders) FROM Shop ORDER BY SUM", "ends where '\\(' is expected"),
    ("SELECT SUM(group) FROM Shop", "group is a keyword"),
    ("SELECT SUM(Orders) FROM Shop WHERE Store = 'a", "cannot be read at: 'a"),
])
def test_what_the_language_does_not_allow_is_refused(text: str, message: str) -> None:
    with pytest.raises(InsightsError, match=message):
        parse(text)


def test_a_select_is_told_from_metric_math() -> None:
    assert is_insights_query("  select SUM(x) FROM y") and is_insights_query("SELECT\nSUM(x) FROM y")
    assert not is_insights_query("SELECTED * 2") and not is_insights_query("m1 * 2") and not is_insights_query("")
