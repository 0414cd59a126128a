"""What ``profilestack serve`` prints at start: where it listens, its storage, its credentials, the web pages that
may call it — and a warning when the well-known bootstrap secret is reachable from other machines or pages."""

from __future__ import annotations

import pytest

from profilestack.cli import _banner
from profilestack.config import Settings

WARNING = "WARNING: listening on"


@pytest.mark.parametrize(("overrides", "warned"), [
    ({"host": "127.0.0.1"}, False),
    ({"host": "localhost"}, False),
    ({"host": "::1"}, False),
    ({"host": "0.0.0.0"}, True),
    ({"host": "::"}, True),
    ({"host": "10.1.2.3"}, True),
    ({"host": "profiles.internal"}, True),
    ({"host": "0.0.0.0", "root_secret_key": "a-real-secret"}, False),
    ({"host": "0.0.0.0", "bootstrap_credentials": False}, False),
], ids=["loopback", "localhost", "ipv6-loopback", "all-ipv4", "all-ipv6", "private-address", "host-name",
        "own-secret", "no-bootstrap"])
def test_the_well_known_secret_on_a_reachable_address_is_warned_about(overrides: dict, warned: bool) -> None:
    banner = _banner(Settings.from_env({}, **overrides), "sqlite")
    assert (WARNING in banner) is warned
    assert "a-real-secret" not in banner


@pytest.mark.parametrize(("host", "url"), [("127.0.0.1", "http://127.0.0.1:4566"), ("::1", "http://[::1]:4566"),
                                           ("::", "http://[::]:4566"), ("profiles.internal", "http://profiles.internal:4566")])
def test_the_address_listened_on_is_a_url_an_ipv6_one_in_brackets(host: str, url: str) -> None:
    assert _banner(Settings.from_env({}, host=host), "sqlite").splitlines()[0].endswith(f" listening on {url}")


def test_the_origins_allowed_besides_this_machines_are_named_and_any_origin_with_the_test_secret_is_warned_about(
        ) -> None:
    assert "web pages" not in _banner(Settings.from_env({}), "sqlite")
    named = _banner(Settings.from_env({}, cors_origins="https://b.example,https://a.example"), "sqlite")
    assert "web pages that may call it: this machine's, and https://a.example, https://b.example" in named
    assert "WARNING" not in named
    anyone = _banner(Settings.from_env({}, cors_origins="*"), "sqlite")
    assert "and any origin" in anyone and "WARNING: any web site" in anyone
    assert "WARNING" not in _banner(Settings.from_env({}, cors_origins="*", root_secret_key="own"), "sqlite")


def test_names_a_loopback_server_answers_to_besides_this_machines_are_named() -> None:
    assert "reached as" not in _banner(Settings.from_env({}), "sqlite")
    named = _banner(Settings.from_env({}, allowed_hosts="crm.internal", public_url="https://profiles.example.com"),
                    "sqlite")
    assert "reached as: this machine (localhost, loopback addresses), or crm.internal, profiles.example.com" in named
    assert "reached as" not in _banner(Settings.from_env({}, host="0.0.0.0", allowed_hosts="crm.internal"), "sqlite")
    assert "reached as" not in _banner(Settings.from_env({}, allowed_hosts="*"), "sqlite")
