"""IAM's ``Marker``/``IsTruncated``/``MaxItems`` pagination: next_token.py's, under IAM's names and error."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from profilestack.gateway.errors import AwsError
from profilestack.services import next_token

DEFAULT_MAX_ITEMS = 100


def _invalid_marker(_message: str) -> AwsError:
    return AwsError("ValidationError", "Invalid Marker.", 400)


Shaper = Callable[[list[Any]], list[Any]]


def page(items: Sequence[Any], params: dict[str, Any], key: str, shape: Shaper | None = None,
         place: Callable[[Any], str] | None = None) -> dict[str, Any]:
    """One page of ``items``; ``shape`` turns the page's items (rows, say) into what the answer shows, so that only
    those are shaped, however long the list. With ``place`` (an item's unique place in the listing's order: its
    name, say) the marker names the last item a page answered (next_token.page), so that deleting what each page
    shows does not make the next page skip any; without it the marker is an offset."""
    chunk, marker = next_token.page(items, params, DEFAULT_MAX_ITEMS, _invalid_marker, "MaxItems", place, "Marker")
    result: dict[str, Any] = {key: shape(chunk) if shape else chunk, "IsTruncated": marker is not None}
    if marker is not None:
        result["Marker"] = marker
    return result


def page_grouped(entries: Sequence[tuple[str, Any]], params: dict[str, Any], keys: Sequence[str],
                 shape: Shaper | None = None, place: Callable[[tuple[str, Any]], str] | None = None
                 ) -> dict[str, Any]:
    """One page over items of several lists (``(list name, item)`` in order), returned as those lists; ``shape``
    and ``place`` as ``page``'s."""
    result = page(entries, params, "_entries", shape, place)
    lists: dict[str, list[Any]] = {key: [] for key in keys}
    for key, item in result.pop("_entries"):
        lists[key].append(item)
    return {**lists, **result}
