"""Routing from the models alone."""

from __future__ import annotations

import pytest

from profilestack.gateway.http import HttpRequest
from profilestack.gateway.routing import RoutingError, route
from tests.unit.memory import bytes_kept


def _signed_for(service: str) -> dict[str, str]:
    return {"authorization": f"AWS4-HMAC-SHA256 Credential=test/20261126/us-east-1/{service}/aws4_request, "
                             "SignedHeaders=host, Signature=00"}


def test_rest_labels_are_matched_and_kept_encoded() -> None:
    found = route(HttpRequest("POST", "/domains/my-domain/profiles/objects", "", _signed_for("profile")))
    assert (found.spec.name, found.operation.name) == ("customer-profiles", "ListProfileObjects")
    assert found.labels == {"DomainName": "my-domain"}


def test_greedy_label_takes_the_rest_of_the_path() -> None:
    arn = "arn%3Aaws%3Aprofile%3Aus-east-1%3A000000000000%3Adomains%2Fd"
    found = route(HttpRequest("GET", f"/tags/{arn}", "", _signed_for("profile")))
    assert found.operation.name == "ListTagsForResource"
    assert found.labels == {"resourceArn": arn}


def test_connect_campaigns_v2_paths_start_with_v2() -> None:
    v2 = route(HttpRequest("PUT", "/v2/campaigns/abc/profile-outbound-requests", "", _signed_for("connect-campaigns")))
    assert (v2.spec.name, v2.operation.name) == ("connectcampaignsv2", "PutProfileOutboundRequestBatch")
    v1 = route(HttpRequest("GET", "/campaigns/abc", "", _signed_for("connect-campaigns")))
    assert (v1.spec.name, v1.operation.name) == ("connectcampaigns", "DescribeCampaign")


def test_query_services_share_a_path_and_differ_by_signing_name() -> None:
    form = {"content-type": "application/x-www-form-urlencoded"}
    iam = route(HttpRequest("POST", "/", "", {**form, **_signed_for("iam")}, b"Action=ListRoles&Version=2010-05-08"))
    assert (iam.spec.name, iam.protocol) == ("iam", "query")
    cloudwatch = route(HttpRequest("POST", "/", "", {**form, **_signed_for("monitoring")},
                                   b"Action=ListMetrics&Version=2010-08-01"))
    assert (cloudwatch.spec.name, cloudwatch.protocol) == ("cloudwatch", "query")


def test_unsigned_query_requests_are_routed_by_version() -> None:
    form = {"content-type": "application/x-www-form-urlencoded"}
    found = route(HttpRequest("POST", "/", "", form, b"Action=GetCallerIdentity&Version=2011-06-15"))
    assert found.spec.name == "sts"


def test_unknown_rest_operation() -> None:
    with pytest.raises(RoutingError) as caught:
        route(HttpRequest("DELETE", "/nothing/here", "", _signed_for("profile")))
    assert (caught.value.code, caught.value.status) == ("UnknownOperationException", 404)


def test_json_targets_may_name_the_service_by_its_full_prefix_or_its_short_name() -> None:
    headers = {"content-type": "application/x-amz-json-1.1", **_signed_for("cloudtrail")}
    for target in ("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents",
                   "CloudTrail_20131101.LookupEvents"):  # the JavaScript SDK v3 sends the short name
        found = route(HttpRequest("POST", "/", "", {**headers, "x-amz-target": target}, b"{}"))
        assert (found.spec.name, found.operation.name) == ("cloudtrail", "LookupEvents")
    with pytest.raises(RoutingError) as raised:
        route(HttpRequest("POST", "/", "", {**headers, "x-amz-target": "v20131101.CloudTrail_20131101.LookupEvents"},
                          b"{}"))
    assert raised.value.code == "UnknownOperationException"


def test_signing_names_nobody_signs_for_leave_nothing_behind() -> None:
    """The signing name is read before a request is authenticated: routing must not keep one per name asked,
    or a stream of made-up names would grow the server's memory without end."""

    def route_unknown(count: int, start: int) -> None:
        for index in range(start, start + count):
            with pytest.raises(RoutingError):
                route(HttpRequest("POST", "/nothing/here", "", _signed_for(f"made-up-{index:06d}")))

    route_unknown(100, 0)  # whatever is built once (the models' tables) is built before measuring
    grown = bytes_kept(lambda: route_unknown(5_000, 100))
    assert grown < 100_000, f"{grown:,} bytes kept after 5,000 made-up signing names"
