"""CreateSegmentEstimate and GetSegmentEstimate: counted in the background, kept a day, refused when they cannot
be counted."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.conftest import Server
from tests.e2e.errors import refused
from tests.e2e.identities import unique
from tests.e2e.test_segments import Customers, _attribute, _groups
from tests.e2e.waiting import wait_for
from tests.e2e.wire import send, signed_request


def _estimate(profiles, domain: str, query: dict) -> dict:
    estimate_id = profiles.create_segment_estimate(DomainName=domain, SegmentQuery=query)["EstimateId"]
    return wait_for(lambda: (answer := profiles.get_segment_estimate(DomainName=domain, EstimateId=estimate_id))[
        "Status"] != "RUNNING" and answer)


def test_an_estimate_counts_the_profiles_a_query_holds(server: Server) -> None:
    customers = Customers(server)
    profiles, domain = customers.profiles, customers.domain
    cases = [
        (_groups({"Dimensions": [_attribute("EmailAddress", "ENDS_WITH", ".com")]}), "2"),
        (_groups({"Dimensions": [_attribute("FirstName", "BEGINS_WITH", "Z")]}), "0"),
        (_groups({"Dimensions": [{"CalculatedAttributes": {"spend": {"DimensionType": "GREATER_THAN",
                                                                     "Values": ["100"]}}}]}), "1"),
    ]
    customers.define("named_a", _groups({"Dimensions": [_attribute("FirstName", "BEGINS_WITH", "A")]}))
    cases.append((_groups({"SourceSegments": [{"SegmentDefinitionName": "named_a"}]}, include="NONE"), "2"))
    for query, expected in cases:
        answer = _estimate(profiles, domain, query)
        assert (answer["Status"], answer["Estimate"], answer["DomainName"]) == ("SUCCEEDED", expected, domain), query
        assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200 and "Message" not in answer


def test_an_estimate_counts_past_the_first_thousand_profiles(server: Server) -> None:
    profiles = server.client("customer-profiles")
    domain = unique("many")
    profiles.create_domain(DomainName=domain, DefaultExpirationDays=30)
    for index in range(1105):
        profiles.create_profile(DomainName=domain, FirstName="Even" if index % 2 == 0 else "Odd")
    answer = _estimate(profiles, domain, _groups({"Dimensions": [_attribute("FirstName", "INCLUSIVE", "Even")]}))
    assert (answer["Status"], answer["Estimate"]) == ("SUCCEEDED", "553")


def test_what_cannot_be_estimated_isrefused(server: Server) -> None:
    profiles = server.client("customer-profiles")
    domain = unique("refusals")
    profiles.create_domain(DomainName=domain, DefaultExpirationDays=30)
    assert refused(profiles.create_segment_estimate, DomainName=domain, SegmentSqlQuery="SELECT 1") == (
        "BadRequestException", "SegmentSqlQuery is not supported by profilestack yet: estimate a SegmentQuery.")
    assert refused(profiles.create_segment_estimate, DomainName=domain) == (
        "BadRequestException", "A segment estimate needs a SegmentQuery with at least one group.")
    code, message = refused(profiles.create_segment_estimate, DomainName=domain, SegmentQuery=_groups(
        {"SourceSegments": [{"SegmentDefinitionName": "nowhere"}]}))
    assert code == "BadRequestException" and "nowhere" in message
    assert refused(profiles.create_segment_estimate, DomainName=domain, SegmentQuery=_groups(
        {"SourceSegments": [{}]})) == ("BadRequestException", "A source segment needs its SegmentDefinitionName.")
    assert refused(profiles.get_segment_estimate, DomainName=domain, EstimateId="f" * 32) == (
        "ResourceNotFoundException", f"Segment estimate {'f' * 32} does not exist in domain {domain}.")
    assert refused(profiles.create_segment_estimate, DomainName=unique("nodomain"),
                    SegmentQuery=_groups({"Dimensions": [_attribute("FirstName", "INCLUSIVE", "A")]}))[0] == (
        "ResourceNotFoundException")


def test_an_estimate_is_kept_a_day(clocked_server) -> None:
    server, offset = clocked_server
    profiles = server.client("customer-profiles")
    domain = unique("kept")
    profiles.create_domain(DomainName=domain, DefaultExpirationDays=30)
    estimate_id = _estimate(profiles, domain, _groups({"Dimensions": [_attribute("FirstName", "INCLUSIVE", "A")]}))[
        "EstimateId"]

    def status_after(seconds: int) -> int:
        request = signed_request(f"{server.endpoint}/domains/{domain}/segment-estimates/{estimate_id}", "profile",
                                 "us-east-1", method="GET", at=datetime.now(UTC) + timedelta(seconds=seconds))
        status, _, body = send(request)
        if status == 200:
            assert json.loads(body)["EstimateId"] == estimate_id
        return status

    try:
        offset.write_text(str(23 * 3600))
        assert status_after(23 * 3600) == 200
        offset.write_text(str(25 * 3600))
        assert status_after(25 * 3600) == 404
    finally:
        offset.write_text("0")
