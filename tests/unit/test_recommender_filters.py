"""Recommender filter expressions (Personalize's syntax): what they read and which items they keep."""

from __future__ import annotations

import pytest

from profilestack.services.profiles.filter_expressions import FilterError, apply, parse

CATALOG = {"A": {"Category": "kitchen", "Price": "30"}, "B": {"Category": "kitchen", "Price": "45"},
           "C": {"Category": "garden", "Price": "20"}, "D": {"Category": "garden", "Price": "80"}}
DONE = {"A": {"purchase"}, "C": {"view"}}


def kept(expression: str, **values: str) -> list[str]:
    return apply(parse(expression), list(CATALOG), values,
                 lambda item, field: next((value for name, value in CATALOG[item].items()
                                           if name.lower() == field.lower()), None),
                 lambda item: DONE.get(item, set()))


def test_include_and_exclude_by_catalog_columns_and_interactions() -> None:
    assert kept('INCLUDE ItemID WHERE Items.CATEGORY IN ("garden")') == ["C", "D"]
    assert kept('EXCLUDE ItemID WHERE Items.CATEGORY NOT IN ("garden")') == ["C", "D"]
    assert kept("INCLUDE ItemID WHERE Items.PRICE >= 30 AND Items.PRICE < 80") == ["A", "B"]
    assert kept('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase", "view")') == ["B", "D"]


def test_and_binds_tighter_than_or() -> None:
    expression = 'INCLUDE ItemID WHERE Items.CATEGORY IN ("garden") AND Items.PRICE > 50 OR Items.PRICE < 35'
    assert kept(expression) == ["A", "C", "D"]


def test_parameters_take_comma_separated_values_and_an_unset_one_leaves_its_expression_out() -> None:
    assert kept("INCLUDE ItemID WHERE Items.PRICE IN ($PRICES)", PRICES="20, 80") == ["C", "D"]
    assert kept("INCLUDE ItemID WHERE Items.PRICE IN ($PRICES)") == ["A", "B", "C", "D"]


def test_joined_expressions_include_the_union_less_what_any_excludes() -> None:
    expression = ('INCLUDE ItemID WHERE Items.CATEGORY IN ("kitchen") | INCLUDE ItemID WHERE Items.PRICE < 25 | '
                  'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")')
    assert kept(expression) == ["B", "C"]


@pytest.mark.parametrize(("expression", "message"), [
    ("KEEP ItemID WHERE Items.X IN (1)", "Expected INCLUDE or EXCLUDE, found KEEP."),
    ("INCLUDE UserID WHERE Items.X IN (1)", "Expected ITEMID, found UserID."),
    ("INCLUDE ItemID WHERE Items.X IN (1", "Expected , or ) in the list after IN."),
    ("INCLUDE ItemID WHERE Interactions.EVENT_VALUE IN (1)",
     "Interactions.EVENT_VALUE cannot be filtered on: Interactions.EVENT_TYPE can."),
    ('INCLUDE ItemID WHERE Items.X IN (1) AND Interactions.EVENT_TYPE IN ("view")',
     "The conditions joined by AND or OR must all read the same dataset (Items or Interactions); join "
     "expressions of two datasets with |."),
    ("INCLUDE ItemID WHERE Items.X IN (1) EXCLUDE", "Expected | or the end of the expression, found EXCLUDE."),
    ("INCLUDE ItemID WHERE Items.X ~ 1", "Unexpected text at character 30: ~ 1"),
])
def test_what_cannot_be_read_says_where(expression: str, message: str) -> None:
    with pytest.raises(FilterError) as raised:
        parse(expression)
    assert str(raised.value) == message
