"""Paging by position (next_token.keyset_page, and next_token.page over a list with a ``place``): the token names
the last item's place, the next page starts after it whatever changed before it; tokens of the offset kind that
earlier versions gave still read. IAM's markers are the same under its own names and error."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta

import pytest

from profilestack.gateway.errors import AwsError
from profilestack.services.iam import paging as iam_paging
from profilestack.services.next_token import (
    ascending,
    descending,
    itself,
    newest_first,
    next_token,
    page,
    position_token,
    read_position,
    read_token,
    sequence_place,
)


def _pages(items: list[str], params: dict) -> tuple[list[str], str | None]:
    return page(items, params, place=itself)


def test_pages_follow_the_last_item_not_an_offset() -> None:
    items = ["a", "c", "e", "g", "i"]
    first, token = _pages(items, {"MaxResults": 2})
    assert first == ["a", "c"] and token
    items.remove("a")  # one already listed goes, one comes before the next page's place
    items.insert(0, "0")
    assert _pages(items, {"MaxResults": 2, "NextToken": token}) == (["e", "g"], position_token(["g"]))
    assert _pages(items, {"MaxResults": 2, "NextToken": position_token(["g"])}) == (["i"], None)
    assert _pages(items, {"MaxResults": 5}) == (items, None)  # exactly a page: no token


def test_an_offset_token_of_an_earlier_version_still_reads() -> None:
    assert _pages(["a", "b", "c", "d"], {"MaxResults": 2, "NextToken": next_token(1)}) == (
        ["b", "c"], position_token(["c"]))


@pytest.mark.parametrize("token", [
    "!!",  # not base64
    base64.urlsafe_b64encode(b"x").decode(),  # neither an offset nor a position
    base64.urlsafe_b64encode(b"-1").decode(),  # a negative offset
    base64.urlsafe_b64encode(str(2**70).encode()).decode(),  # an offset no database takes
    position_token(["a", "b"]),  # a place of another listing's shape
    position_token([]),
    position_token(["a\x00"]),  # what PostgreSQL refuses to compare
])
def test_a_token_profilestack_did_not_give_is_refused(token: str) -> None:
    with pytest.raises(AwsError) as refused:
        _pages(["a", "b"], {"NextToken": token})
    assert (refused.value.code, refused.value.message, refused.value.status) == (
        "BadRequestException", "The next token is invalid.", 400)


def test_a_listing_by_place_is_in_its_order_whatever_the_order_given() -> None:
    rows = [{"name": name} for name in ("m", "B", "a", "z")]
    first, token = page(rows, {"MaxResults": 2}, place=lambda row: row["name"].lower())
    assert [row["name"] for row in first] == ["a", "B"]
    rest, _ = page(rows, {"MaxResults": 2, "NextToken": token}, place=lambda row: row["name"].lower())
    assert [row["name"] for row in rest] == ["m", "z"]


def test_places_by_number_and_by_time_compare_as_text_in_their_order() -> None:
    numbers = [3, 10, 1, 2**40]
    assert sorted(numbers, key=ascending) == [1, 3, 10, 2**40]
    assert sorted(numbers, key=descending) == [2**40, 10, 3, 1]
    now = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
    jobs = [(now, "b"), (now + timedelta(microseconds=1), "z"), (now, "a"), (now - timedelta(days=400), "c")]
    assert [tie for _, tie in sorted(jobs, key=lambda job: newest_first(*job))] == ["z", "a", "b", "c"]


def test_a_token_of_a_listing_by_place_is_no_offset() -> None:
    with pytest.raises(AwsError):
        page(["a", "b", "c"], {"NextToken": position_token(["a"])})


def test_iam_markers_name_the_last_item_answered() -> None:
    names = ["ann", "bob", "cy", "dee"]
    first = iam_paging.page(names, {"MaxItems": 3}, "Users", place=itself)
    assert (first["Users"], first["IsTruncated"]) == (["ann", "bob", "cy"], True)
    names.remove("ann")
    rest = iam_paging.page(names, {"Marker": first["Marker"]}, "Users", place=itself)
    assert rest == {"Users": ["dee"], "IsTruncated": False}
    earlier = base64.urlsafe_b64encode(b"offset:1").decode()  # an earlier version's marker
    assert iam_paging.page(names, {"Marker": earlier}, "Users", place=itself)["Users"] == ["cy", "dee"]
    assert iam_paging.page(names, {"Marker": earlier, "MaxItems": 1}, "Users")["Users"] == ["cy"]


@pytest.mark.parametrize("marker", ["garbage", base64.urlsafe_b64encode(b"offset:-2").decode(),
                                    position_token(["a", "b"])])
def test_an_iam_marker_profilestack_did_not_give_is_invalid(marker: str) -> None:
    with pytest.raises(AwsError) as refused:
        iam_paging.page(["a", "b"], {"Marker": marker}, "Users", place=itself)
    assert (refused.value.code, refused.value.message, refused.value.status) == (
        "ValidationError", "Invalid Marker.", 400)


@pytest.mark.parametrize("place", ["x", "-1", "\u00b2", "\u0663", str(2**70)])
def test_a_sequence_place_is_a_plain_number_a_database_takes(place: str) -> None:
    with pytest.raises(AwsError):
        sequence_place([place])
    assert sequence_place(["42"]) == 42 and sequence_place(None) is None


def test_tokens_are_letters_digits_dashes_and_underscores_and_padded_ones_still_read() -> None:
    for position in (["a"], ["ab"], ["abc", "2026-12-06T10:00:00"], ["x" * 37]):
        token = position_token(position)
        assert re.fullmatch(r"[A-Za-z0-9_-]+", token), token  # CloudWatch's NextToken pattern, among others
        assert read_position({"NextToken": token}) == (position, 0)
        padded = base64.urlsafe_b64encode(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))).decode()
        assert read_position({"NextToken": padded}) == (position, 0)
    assert read_token({"NextToken": next_token(7, "listing")}) == ("listing", 7)


def test_offset_tokens_are_long_enough_for_every_model_and_earlier_short_ones_still_read() -> None:
    for offset in (0, 1, 2, 99, 12_345_678, 2**62):
        token = next_token(offset)
        assert len(token) >= 4, token  # CloudTrail's NextToken minimum, which botocore checks before sending
        assert read_token({"NextToken": token}) == (None, offset)
        assert read_position({"NextToken": token}) == (None, offset)
    earlier = base64.urlsafe_b64encode(b"2").decode().rstrip("=")  # "Mg", as versions before this one gave
    assert read_token({"NextToken": earlier}) == (None, 2)
