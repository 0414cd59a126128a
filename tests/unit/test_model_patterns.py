"""Model patterns read as the services read them (gateway.validation.model_pattern)."""

import pytest

from profilestack.gateway.validation import model_pattern


@pytest.mark.parametrize(("pattern", "value", "matches"), [
    ("^[a-zA-Z0-9_-]+$", "shop", True),
    ("^[a-zA-Z0-9_-]+$", "shop\n", False),  # Python's $ alone takes a final newline
    ("[\\w+=,.@-]+", "bob\n", False),  # unanchored: the whole value
    ("(\\d+|\\$[a-z_]+)", "$rank", True),  # an escaped dollar is a dollar sign
    ("(\\d+|\\$[a-z_]+)", "12\n", False),
    ("^[a-zA-Z0-9._/\\-:$]+$", "a$b:c", True),  # a dollar in a class is a dollar sign
    ("^[a-zA-Z0-9._/\\-:$]+$", "a$b\n", False),
    ("^arn:aws:.*$", "arn:aws:x\ny", True),  # "." takes any character, newlines too (lenient, docs/decisions.md)
])
def test_dollar_is_the_end_of_the_value(pattern: str, value: str, matches: bool) -> None:
    compiled = model_pattern(pattern)
    assert compiled is not None
    assert (compiled.match(value) is not None) is matches
