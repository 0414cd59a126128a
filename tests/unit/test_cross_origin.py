"""Which web pages' origins may call (cross_origin.CrossOriginPolicy)."""

from __future__ import annotations

import pytest

from profilestack.cli import _settings, build_parser
from profilestack.cross_origin import CrossOriginPolicy, page_origin

DEFAULT = CrossOriginPolicy(None)


@pytest.mark.parametrize("origin", [
    "http://localhost:3000", "https://localhost", "HTTP://LOCALHOST:5173", "http://app.localhost:8080",
    "http://127.0.0.1:4566", "http://127.0.0.2", "http://[::1]:3000",
])
def test_pages_on_this_machine_may_call_by_default(origin: str) -> None:
    assert DEFAULT.allows(origin, "127.0.0.1:4566")


@pytest.mark.parametrize("origin", [
    "https://evil.example", "http://localhost.evil.example", "http://127.0.0.1.evil.example", "null",
    "file://", "chrome-extension://abcdef", "http://[bad", "", "http://10.0.0.5:3000",
])
def test_pages_of_other_origins_may_not(origin: str) -> None:
    assert not DEFAULT.allows(origin, "127.0.0.1:4566")


def test_the_servers_own_pages_may_call_by_the_name_they_reached_it_at() -> None:
    assert DEFAULT.allows("https://profiles.internal", "profiles.internal")
    assert DEFAULT.allows("http://profiles.internal:4566", "Profiles.Internal:4566")
    assert not DEFAULT.allows("http://profiles.internal:4567", "profiles.internal:4566")
    assert not DEFAULT.allows("http://profiles.internal", None)


def test_configured_origins_are_matched_whole_and_star_allows_any() -> None:
    configured = CrossOriginPolicy(" https://app.example.com/ , https://Admin.Example.com")
    assert configured.allows("https://app.example.com", "127.0.0.1:4566")
    assert configured.allows("https://admin.example.com", "127.0.0.1:4566")
    assert configured.allows("http://localhost:3000", "127.0.0.1:4566")  # this machine's pages still may
    assert not configured.allows("http://app.example.com", "127.0.0.1:4566")  # another scheme is another origin
    assert not configured.allows("https://app.example.com:8443", "127.0.0.1:4566")
    assert not configured.allows("https://evil.app.example.com", "127.0.0.1:4566")
    anyone = CrossOriginPolicy("*")
    assert anyone.allows("https://evil.example", "127.0.0.1:4566") and anyone.allows("null", None)
    assert CrossOriginPolicy("null").allows("null", None)


def test_serve_takes_origins_from_its_flags() -> None:
    args = build_parser().parse_args(["serve", "--cors-origin", "https://a.example", "--cors-origin", "*"])
    assert _settings(args).cors_origins == "https://a.example,*"
    assert _settings(build_parser().parse_args(["serve"])).cors_origins is None


@pytest.mark.parametrize(("headers", "expected"), [
    ({}, None),  # not a browser
    ({"origin": "https://a.example", "sec-fetch-site": "cross-site"}, "https://a.example"),
    ({"sec-fetch-site": "none"}, None),  # an address typed in, a bookmark
    ({"sec-fetch-site": "same-origin"}, None),
    ({"sec-fetch-site": "cross-site", "referer": "https://evil.example/page?x=1"}, "https://evil.example"),
    ({"sec-fetch-site": "same-site", "referer": "http://localhost:3000/"}, "http://localhost:3000"),
    ({"sec-fetch-site": "cross-site"}, "null"),  # the page withheld its address
    ({"sec-fetch-site": "cross-site", "referer": "not a url"}, "null"),
])
def test_a_page_is_known_by_its_origin_or_for_an_image_or_link_by_its_referer(headers: dict, expected: str) -> None:
    assert page_origin(headers) == expected
