"""``NextToken``/``MaxResults`` pagination over an ordered list (REST services: Customer Profiles, campaigns)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any

from profilestack.gateway.errors import AwsError


def _bad_token(message: str) -> AwsError:
    return AwsError("BadRequestException", message, 400)


def page(items: Sequence[Any], params: dict[str, Any], default_size: int = 100,
         invalid: Callable[[str], AwsError] = _bad_token, size_name: str = "MaxResults"
         ) -> tuple[list[Any], str | None]:
    """One page and the token of the next one (None when this is the last); ``size_name``: the parameter that
    asks for a page size."""
    token = params.get("NextToken")
    start = 0
    if token:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode())
        except ValueError as exc:
            raise invalid("The next token is invalid.") from exc
    size = params.get(size_name) or default_size
    chunk = list(items[start:start + size])
    more = start + size < len(items)
    return chunk, base64.urlsafe_b64encode(str(start + size).encode()).decode() if more else None


def page_result(items: Sequence[Any], params: dict[str, Any],
                shape: Callable[[list[Any]], list[Any]] | None = None, default_size: int = 100, key: str = "Items",
                invalid: Callable[[str], AwsError] = _bad_token, size_name: str = "MaxResults") -> dict[str, Any]:
    """``{key: [...], "NextToken": ...}`` for one page; ``shape`` turns the page's rows into items."""
    chunk, token = page(items, params, default_size, invalid, size_name)
    result: dict[str, Any] = {key: shape(chunk) if shape else chunk}
    if token:
        result["NextToken"] = token
    return result
