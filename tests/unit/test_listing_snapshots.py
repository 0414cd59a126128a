"""Listings kept between their pages: which later pages read the kept listing, and when it is worked out again."""

from __future__ import annotations

import pytest

from profilestack.gateway.errors import AwsError
from profilestack.services.listing_snapshots import ListingSnapshots
from profilestack.services.next_token import next_token


class Source:
    """A listing that changes each time it is worked out."""

    def __init__(self) -> None:
        self.work = 0

    def __call__(self) -> tuple[str, list[str]]:
        self.work += 1
        return f"v{self.work}", [f"{self.work}-{index}" for index in range(5)]


def test_later_pages_read_the_listing_the_first_page_worked_out() -> None:
    listings, source = ListingSnapshots(), Source()
    value, items, token = listings.page("scope", {"MaxResults": 2}, source)
    assert (value, items) == ("v1", ["1-0", "1-1"])
    value, items, token = listings.page("scope", {"MaxResults": 2, "NextToken": token}, source)
    assert (value, items) == ("v1", ["1-2", "1-3"])
    value, items, last = listings.page("scope", {"MaxResults": 2, "NextToken": token}, source)
    assert (value, items, last, source.work) == ("v1", ["1-4"], None, 1)
    assert listings.page("scope", {"MaxResults": 2}, source)[:2] == ("v2", ["2-0", "2-1"])  # a new listing


def test_a_listing_made_elsewhere_or_gone_is_worked_out_again_from_the_offset() -> None:
    now = [0.0]
    listings, source = ListingSnapshots(ttl=60, most_items=7, monotonic=lambda: now[0]), Source()
    _, _, token = listings.page("a", {"MaxResults": 2}, source)
    assert listings.page("b", {"MaxResults": 2, "NextToken": token}, source)[1] == ["2-2", "2-3"]
    now[0] = 61.0
    assert listings.page("a", {"MaxResults": 2, "NextToken": token}, source)[1] == ["3-2", "3-3"]  # expired
    _, _, first = listings.page("a", {"MaxResults": 1}, source)  # kept: 5 items
    listings.page("c", {"MaxResults": 1}, source)  # 10 items held, over 7: the oldest goes
    assert listings.page("a", {"MaxResults": 1, "NextToken": first}, source)[1] == ["6-1"]
    assert listings.page("a", {"MaxResults": 3, "NextToken": next_token(1)}, source)[1] == ["7-1", "7-2", "7-3"]


@pytest.mark.parametrize("token", ["bm90IGEgdG9rZW4=", next_token(-1), "%%%"])
def test_a_token_that_is_not_one_is_refused(token: str) -> None:
    with pytest.raises(AwsError) as refused:
        ListingSnapshots().page("scope", {"NextToken": token}, Source())
    assert (refused.value.code, refused.value.message) == ("BadRequestException", "The next token is invalid.")
