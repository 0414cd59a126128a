"""Reads of a whole domain on a server of its own, where SQLite reads the domains by scanning the table rather than
through the domain's index (profile_store.whole_domain: a domain counts as most of the profiles — here every
domain does, its counters not yet folded), and each domain still reads its own profiles alone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import Server, server_on

MATCHING = {"Enabled": True, "MatchingRules": [{"Rule": ["EmailAddress"]}]}


@pytest.fixture(scope="module")
def own_server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with server_on(backend, tmp_path_factory.mktemp(f"whole-{backend}")) as instance:
        yield instance


def test_a_domain_that_is_most_of_the_profiles_reads_its_own(own_server: Server) -> None:
    profiles = own_server.client("customer-profiles")
    for name in ("large", "small"):
        profiles.create_domain(DomainName=name, DefaultExpirationDays=30, RuleBasedMatching=MATCHING)
    for first in ("Ana", "Bob", "Bob"):
        profiles.create_profile(DomainName="large", FirstName=first, EmailAddress=f"{first}@example.com")
    profiles.create_profile(DomainName="small", FirstName="Cy", EmailAddress="Ana@example.com")

    def values(domain: str) -> list[str]:
        return [item["Value"] for item in profiles.list_profile_attribute_values(
            DomainName=domain, AttributeName="FirstName")["Items"]]

    assert (values("large"), values("small")) == (["Ana", "Bob"], ["Cy"])
    assert len(profiles.list_rule_based_matches(DomainName="large")["MatchIds"]) == 1  # the two Bobs
    assert profiles.list_rule_based_matches(DomainName="small")["MatchIds"] == []  # not with the large's Ana
