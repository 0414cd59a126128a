"""The condition keys of one request, some computed only when a policy asks for them."""

from __future__ import annotations

from collections.abc import Callable

Provider = Callable[[str], list[str] | None]


class RequestContext:
    """Lower-cased condition key → values. ``lazy`` providers answer a key family (``aws:resourcetag/``)
    on first use, so a lookup that costs a query happens only for policies that test it."""

    __slots__ = ("_lazy", "_values")

    def __init__(self, values: dict[str, list[str]], lazy: list[tuple[str, Provider]] | None = None) -> None:
        self._values = values
        self._lazy = lazy or []

    def get(self, key: str) -> list[str] | None:
        key = key.lower()
        if key in self._values:
            return self._values[key]
        for prefix, provider in self._lazy:
            if key.startswith(prefix):
                found = provider(key)
                self._values[key] = found
                return found
        return None

    def known(self) -> dict[str, list[str]]:
        return {key: value for key, value in self._values.items() if value is not None}
