"""Listings kept between the pages of one listing instead of being worked out again for each: those worked out
from a whole domain or object type (rule-based match groups: every profile read; an attribute's values: every
object of the type), which no position in stored rows can resume (listings of stored rows page by position:
next_token.keyset_page).

The first page works the listing out; when more pages follow, the listing is kept and its ``NextToken`` names it
along with the next page's offset. Later pages read the kept listing: one listing's pages agree with each other
(no item skipped or repeated because the data changed in between), and paging through a hundred thousand match
groups costs one pass over the domain, not one per page. A token whose listing is gone (kept ``ttl`` seconds,
dropped oldest first past ``most_items``, or served by another process) has the listing worked out afresh and
read from its offset, as every page was before. A new listing (no token) is always worked out afresh.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any, NamedTuple, TypeVar

from profilestack.services.next_token import next_token, read_token

V = TypeVar("V")


class _Kept(NamedTuple):
    scope: Hashable
    value: Any
    items: Sequence[Any]
    kept_at: float


class ListingSnapshots:
    def __init__(self, ttl: float = 900.0, most_items: int = 500_000,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.most_items = most_items
        self.monotonic = monotonic
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        self._held_items = 0
        self._lock = threading.Lock()  # PostgreSQL serves calls on several threads
        self._numbers = itertools.count(1)
        self._prefix = f"{time.time_ns():x}"  # a token from an earlier run of the server names no listing of this one

    def page(self, scope: Hashable, params: dict[str, Any], work_out: Callable[[], tuple[V, Sequence[Any]]],
             default_size: int = 100) -> tuple[V, list[Any], str | None]:
        """The listing (``work_out``'s value and items, kept or worked out now) for ``scope`` (what it lists:
        a token is honoured only where its listing was made), one page of its items, the next page's token."""
        listing, start = read_token(params)
        kept = self._find(listing, scope)
        if kept is None:
            listing = None
            value, items = work_out()
        else:
            value, items = kept.value, kept.items
        size = params.get("MaxResults") or default_size
        if start + size >= len(items):
            return value, list(items[start:]), None
        if listing is None:
            listing = self._keep(scope, value, items)
        return value, list(items[start:start + size]), next_token(start + size, listing)

    def _find(self, listing: str | None, scope: Hashable) -> _Kept | None:
        if listing is None:
            return None
        with self._lock:
            self._drop_expired()
            kept = self._kept.get(listing)
        return kept if kept is not None and kept.scope == scope else None

    def _keep(self, scope: Hashable, value: Any, items: Sequence[Any]) -> str | None:
        if len(items) > self.most_items:
            return None  # read again page by page
        listing = f"{self._prefix}-{next(self._numbers)}"
        with self._lock:
            self._drop_expired()
            self._kept[listing] = _Kept(scope, value, items, self.monotonic())
            self._held_items += len(items)
            while self._held_items > self.most_items:
                self._drop_oldest()
        return listing

    def _drop_expired(self) -> None:
        now = self.monotonic()
        while self._kept and now - next(iter(self._kept.values())).kept_at > self.ttl:
            self._drop_oldest()

    def _drop_oldest(self) -> None:
        _, dropped = self._kept.popitem(last=False)
        self._held_items -= len(dropped.items)
