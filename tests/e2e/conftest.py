"""Fixtures the end-to-end modules share: clients of the root for a service, a Customer Profiles domain."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.identities import unique


@pytest.fixture
def profiles(client):
    return client("customer-profiles")


@pytest.fixture
def cloudwatch(client):
    return client("cloudwatch")


@pytest.fixture
def domain(profiles) -> Iterator[str]:
    """A new domain (thirty days' expiry), deleted afterwards."""
    name = unique("data")
    profiles.create_domain(DomainName=name, DefaultExpirationDays=30)
    yield name
    profiles.delete_domain(DomainName=name)
