"""Reading a text as a run of tokens: what CloudWatch's two small languages (composite alarm rules, metric math)
share before each gives its tokens meaning."""

from __future__ import annotations

import re
from collections.abc import Iterator

_REST_IS_SPACE = re.compile(r"\s*\Z")


class Unreadable(ValueError):
    """Nothing a token may be starts at ``position`` (counted from 0)."""

    def __init__(self, position: int) -> None:
        super().__init__(f"nothing readable at character {position + 1}")
        self.position = position


def scan(text: str, token: re.Pattern[str]) -> Iterator[re.Match[str]]:
    """One match of ``token`` (which takes the white space before it) after another, to the end of ``text`` or to
    white space that ends it."""
    position = 0
    while not _REST_IS_SPACE.match(text, position):
        found = token.match(text, position)
        if found is None or found.end() == position:
            rest = text[position:]
            raise Unreadable(position + len(rest) - len(rest.lstrip()))
        yield found
        position = found.end()
