"""IAM's ``Marker``/``IsTruncated``/``MaxItems`` pagination over an ordered list."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any

from profilestack.gateway.errors import AwsError

DEFAULT_MAX_ITEMS = 100


def _encode(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _decode(marker: str) -> int:
    try:
        text = base64.urlsafe_b64decode(marker.encode()).decode()
        kind, _, value = text.partition(":")
        offset = int(value)
        if kind != "offset" or offset < 0:
            raise ValueError(marker)
        return offset
    except ValueError as exc:
        raise AwsError("ValidationError", "Invalid Marker.", 400) from exc


Shaper = Callable[[list[Any]], list[Any]]


def page(items: Sequence[Any], params: dict[str, Any], key: str, shape: Shaper | None = None) -> dict[str, Any]:
    """One page of ``items``; ``shape`` turns the page's items (rows, say) into what the answer shows, so that only
    those are shaped, however long the list."""
    start = _decode(params["Marker"]) if params.get("Marker") else 0
    size = params.get("MaxItems") or DEFAULT_MAX_ITEMS
    chunk = list(items[start:start + size])
    result: dict[str, Any] = {key: shape(chunk) if shape else chunk, "IsTruncated": start + size < len(items)}
    if result["IsTruncated"]:
        result["Marker"] = _encode(start + size)
    return result


def page_grouped(entries: Sequence[tuple[str, Any]], params: dict[str, Any], keys: Sequence[str],
                 shape: Shaper | None = None) -> dict[str, Any]:
    """One page over items of several lists (``(list name, item)`` in order), returned as those lists; ``shape``
    turns the page's entries into shaped ones (as ``page``'s does)."""
    result = page(entries, params, "_entries", shape)
    lists: dict[str, list[Any]] = {key: [] for key in keys}
    for key, item in result.pop("_entries"):
        lists[key].append(item)
    return {**lists, **result}
