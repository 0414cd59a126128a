"""Policy variables: ``${aws:username}``, ``${aws:PrincipalTag/team}``, ``${key, 'default'}`` and the
escapes ``${*}``, ``${?}``, ``${$}`` — substituted in ``Resource`` and condition values (version 2012-10-17)."""

from __future__ import annotations

import re
from collections.abc import Callable

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_DEFAULT = re.compile(r"^\s*([^,]+?)\s*,\s*'([^']*)'\s*$")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}

Lookup = Callable[[str], list[str] | None]


def has_variables(text: str) -> bool:
    return "${" in text


def substitute(text: str, lookup: Lookup, escape_wildcards: bool = False) -> str | None:
    """The text with its variables filled, or None when a variable has no value and no default.

    Escaped ``${*}`` and ``${?}`` stand for literal characters; with ``escape_wildcards`` they are
    returned in a form the wildcard matcher treats literally (for patterns).
    """
    missing = False

    def replace(match: re.Match[str]) -> str:
        nonlocal missing
        body = match.group(1)
        if body in _ESCAPES:
            literal = _ESCAPES[body]
            return f"\x00{literal}" if escape_wildcards and literal in "*?" else literal
        default = None
        found = _DEFAULT.match(body)
        if found:
            body, default = found.group(1), found.group(2)
        values = lookup(body.strip())
        if not values:
            if default is None:
                missing = True
                return ""
            return default
        return values[0]

    filled = _VARIABLE.sub(replace, text)
    return None if missing else filled
