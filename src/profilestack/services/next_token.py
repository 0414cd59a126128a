"""``NextToken``/``MaxResults`` pagination, and the same under other names (IAM's ``Marker``/``MaxItems``): by
position for listings in an order of their own — the token names the last item a page answered, the next page
starts after it — and by offset over a list otherwise (and for tokens earlier versions gave)."""

from __future__ import annotations

import base64
import json
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import Connection, Row, Select
from sqlalchemy.sql.elements import ColumnElement

from profilestack import jsontext
from profilestack.gateway.errors import AwsError

T = TypeVar("T")


# No listing holds more; a larger number in a token is no token profilestack gave (databases take 64 bits at most)
_MOST_PLACE = 2**62


def bad_token(message: str) -> AwsError:
    return AwsError("BadRequestException", message, 400)


def _encoded(text: str) -> str:
    """URL-safe base64 without its ``=`` padding: letters, digits, ``-`` and ``_`` only, which every model's token
    pattern admits (CloudWatch's ``[A-Za-z0-9_-]+`` among them)."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decoded(token: str) -> bytes:
    """A token's text; a padded one (as earlier versions gave) reads the same. ValueError when it is no base64."""
    unpadded = token.rstrip("=")
    return base64.urlsafe_b64decode((unpadded + "=" * (-len(unpadded) % 4)).encode())


def read_token(params: dict[str, Any], invalid: Callable[[str], AwsError] = bad_token,
               token_name: str = "NextToken") -> tuple[str | None, int]:
    """The kept listing a ``NextToken`` names (listing_snapshots.py; None for a plain offset) and the offset of
    the page it asks for; no token: the first page."""
    token = params.get(token_name)
    if not token:
        return None, 0
    try:
        listing, _, offset = _decoded(token).decode().rpartition(":")
        start = int(offset)
    except ValueError as exc:
        raise invalid("The next token is invalid.") from exc
    if not 0 <= start <= _MOST_PLACE:
        raise invalid("The next token is invalid.")
    return listing or None, start


def next_token(offset: int, listing: str | None = None) -> str:
    # eight digits at least: CloudTrail's models want four characters or more, and botocore checks a token it
    # sends back (the token of offset 2 was "Mg")
    return _encoded(f"{listing}:{offset}" if listing else f"{offset:08d}")


def position_token(position: Sequence[str]) -> str:
    """The token of a listing read by position (keyset paging): the next page starts after the item at
    ``position`` in the listing's order, whatever was added or removed before it meanwhile."""
    return _encoded(json.dumps(["after", *position]))


def read_position(params: dict[str, Any], invalid: Callable[[str], AwsError] = bad_token,
                  token_name: str = "NextToken") -> tuple[list[str] | None, int]:
    """The position a ``NextToken`` of position_token names, or, for a token of the offset kind (as an earlier
    version gave), None and its offset; no token: None and 0."""
    token = params.get(token_name)
    if not token:
        return None, 0
    try:
        decoded = jsontext.loads(_decoded(token))
    except ValueError:
        decoded = None
    if isinstance(decoded, list) and decoded[:1] == ["after"] and all(isinstance(item, str) for item in decoded):
        if any("\x00" in item for item in decoded):  # what no database compares (PostgreSQL refuses it)
            raise invalid("The next token is invalid.")
        return decoded[1:], 0
    return None, read_token(params, invalid, token_name)[1]


def keyset_page(read: Callable[[list[str] | None, int, int], Iterable[T]], params: dict[str, Any],
                key: Callable[[T], list[str]], default_size: int = 100, parts: int = 1,
                invalid: Callable[[str], AwsError] = bad_token, size_name: str = "MaxResults",
                token_name: str = "NextToken") -> tuple[list[T], str | None]:
    """One page of a listing read by position, and the next page's token (None after the last):
    ``read(after, skipped, count)`` answers up to ``count`` items in the listing's order, those after the item
    whose ``key`` (``parts`` strings) is ``after`` (None: from the first), less the first ``skipped`` (an offset
    token's)."""
    position, skipped = read_position(params, invalid, token_name)
    if position is not None and len(position) != parts:
        raise invalid("The next token is invalid.")
    size = params.get(size_name) or default_size
    items = list(islice(read(position, skipped, size + 1), size + 1))
    return items[:size], position_token(key(items[size - 1])) if len(items) > size else None


def sequence_place(after: list[str] | None, invalid: Callable[[str], AwsError] = bad_token) -> int | None:
    """The sequence number a position of one part names (listings of numbered rows), None for none."""
    if after is None:
        return None
    if not after or not (after[0].isascii() and after[0].isdigit()) or int(after[0]) > _MOST_PLACE:
        raise invalid("The next token is invalid.")
    return int(after[0])


def keyset_result(read: Callable[[list[str] | None, int, int], Iterable[T]], params: dict[str, Any],
                  key: Callable[[T], list[str]], shape: Callable[[list[T]], list[Any]], result_key: str = "Items",
                  default_size: int = 100, parts: int = 1, invalid: Callable[[str], AwsError] = bad_token
                  ) -> dict[str, Any]:
    """``{result_key: [...], "NextToken": ...}`` for one page of keyset_page; ``shape`` turns its items into the
    answer's."""
    chunk, token = keyset_page(read, params, key, default_size, parts, invalid)
    return _answer(result_key, shape(chunk), token)


def _answer(key: str, items: list[Any], token: str | None) -> dict[str, Any]:
    """A listing's answer: its page of items, and the token for the next page when there is one."""
    return {key: items, **({"NextToken": token} if token else {})}


def rows_by_name(db: Connection, query: Select[Any], column: ColumnElement[str], params: dict[str, Any],
                 shape: Callable[[list[Row[Any]]], list[Any]], result_key: str = "Items",
                 invalid: Callable[[str], AwsError] = bad_token, default_size: int = 100) -> dict[str, Any]:
    """keyset_result over the rows ``query`` selects, in the order of ``column`` (unique among them: a name, an
    id), each page read from after the last value the previous one answered."""
    def read(after: list[str] | None, skipped: int, count: int) -> list[Row[Any]]:
        ordered = query.order_by(column) if after is None else query.where(column > after[0]).order_by(column)
        return db.execute(ordered.offset(skipped).limit(count)).all()

    return keyset_result(read, params, key=lambda row: [row._mapping[column]], shape=shape, result_key=result_key,
                         default_size=default_size, invalid=invalid)


def rows_newest_first(db: Connection, query: Select[Any], sequence: ColumnElement[int], params: dict[str, Any],
                      shape: Callable[[list[Row[Any]]], list[Any]], result_key: str = "Items") -> dict[str, Any]:
    """keyset_result over the rows ``query`` selects, the highest ``sequence`` number (the newest) first, each page
    read from below the last number the previous one answered: rows added between pages push none back."""
    def read(after: list[str] | None, skipped: int, count: int) -> list[Row[Any]]:
        before = sequence_place(after)
        older = query if before is None else query.where(sequence < before)
        return db.execute(older.order_by(sequence.desc()).offset(skipped).limit(count)).all()

    return keyset_result(read, params, key=lambda row: [str(row._mapping[sequence])], shape=shape,
                         result_key=result_key)


def itself(item: str) -> str:
    """The place (``page``'s) of an item of a listing of unique strings: the string."""
    return item


def ascending(number: int) -> str:
    """The place (``page``'s) of an item in a listing by a number, smallest first: the number at a fixed width, to
    compare as text."""
    return f"{number:020d}"


def descending(number: int) -> str:
    """The same, largest first."""
    return ascending(_MOST_PLACE - number)


def newest_first(moment: datetime, tie: str) -> str:
    """The place of an item in a listing newest first, by the time it was made (``tie`` orders those made at the
    same moment)."""
    return f"{descending(round(moment.timestamp() * 1_000_000))} {tie}"


def page(items: Sequence[Any], params: dict[str, Any], default_size: int = 100,
         invalid: Callable[[str], AwsError] = bad_token, size_name: str = "MaxResults",
         place: Callable[[Any], str] | None = None, token_name: str = "NextToken") -> tuple[list[Any], str | None]:
    """One page and the token of the next one (None when this is the last); ``size_name`` and ``token_name``: the
    parameters that ask for a page size and give the token.

    With ``place`` (each item's, unique among them: a name, an id) the items are listed in its order and read by
    position: an item deleted from the pages already answered, or one added to them, moves none of the others into
    or out of the next page, so that a client deleting what each page shows pages on through the rest. Without it
    the token is an offset into ``items`` as given."""
    if place is not None:
        ordered = sorted(items, key=place)

        def read(after: list[str] | None, skipped: int, count: int) -> list[Any]:
            start = skipped + (bisect_right(ordered, after[0], key=place) if after is not None else 0)
            return ordered[start:start + count]

        return keyset_page(read, params, lambda item: [place(item)], default_size, 1, invalid, size_name,
                           token_name)
    _, start = read_token(params, invalid, token_name)
    size = params.get(size_name) or default_size
    chunk = list(items[start:start + size])
    more = start + size < len(items)
    return chunk, next_token(start + size) if more else None


def page_result(items: Sequence[Any], params: dict[str, Any],
                shape: Callable[[list[Any]], list[Any]] | None = None, default_size: int = 100, key: str = "Items",
                invalid: Callable[[str], AwsError] = bad_token, size_name: str = "MaxResults",
                place: Callable[[Any], str] | None = None) -> dict[str, Any]:
    """``{key: [...], "NextToken": ...}`` for one page (of ``page``, by ``place`` when given); ``shape`` turns the
    page's rows into items."""
    chunk, token = page(items, params, default_size, invalid, size_name, place)
    return _answer(key, shape(chunk) if shape else chunk, token)
