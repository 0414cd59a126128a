"""Which operations of the botocore models have handlers: every one of the services the README calls complete,
and the counts it gives for the others (a handler dropped from its module's registration shows here)."""

from __future__ import annotations

import pytest

from profilestack.gateway.catalog import service_model
from profilestack.services.registry import all_handlers

# service → operations of its model answered (the README's counts)
ANSWERED = {"customer-profiles": 120, "connectcampaigns": 22, "connectcampaignsv2": 37, "cloudtrail-data": 1,
            "iam": 168, "sts": 10, "cloudtrail": 49, "cloudwatch": 47}


@pytest.mark.parametrize(("service", "count"), sorted(ANSWERED.items()))
def test_the_operations_answered_are_those_the_readme_counts(service: str, count: int) -> None:
    handlers = all_handlers()
    operations = service_model(service).operation_names
    answered = [name for name in operations if (service, name) in handlers]
    assert len(answered) == count, sorted(set(operations) - set(answered))
    assert all((service, name) in handlers for name in operations) == (count == len(operations))
