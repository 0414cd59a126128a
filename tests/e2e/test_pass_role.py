"""iam:PassRole: a role handed to a service in a request (a segment snapshot's export role, an integration's role, a
trail's CloudWatch Logs role) must be the caller's to pass, to that service and for that resource."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Server
from tests.e2e.errors import refused
from tests.e2e.identities import ACCOUNT, allow, document, make_user, trust, unique
from tests.e2e.test_event_triggers import Scenario
from tests.e2e.test_segment_snapshots import DESTINATION, IN_PORTUGAL
from tests.e2e.test_segments import Customers, _groups

PROFILES = "profile.amazonaws.com"


def _role(server: Server, service: str) -> str:
    return server.client("iam").create_role(RoleName=unique("passed"),
                                            AssumeRolePolicyDocument=trust({"Service": service}))["Role"]["Arn"]


def _pass(role: str, service: str, **conditions: Any) -> dict[str, Any]:
    return allow("iam:PassRole", role, Condition={"StringEquals": {"iam:PassedToService": service}, **conditions})


@pytest.fixture
def customers(server: Server) -> Customers:
    customers = Customers(server)
    for name in ("portugal", "lisbon"):
        customers.define(name, _groups(IN_PORTUGAL))
    return customers


def test_a_snapshot_role_needs_leave_to_pass_it_to_customer_profiles(server: Server, customers: Customers) -> None:
    role, domain = _role(server, PROFILES), customers.domain
    segment_arn = f"arn:aws:profile:us-east-1:{ACCOUNT}:domains/{domain}/segment-definitions"

    def snapshot(*statements: dict[str, Any], segment: str = "portugal", **params: Any) -> dict[str, Any]:
        profiles = make_user(server, document(allow("profile:*"), *statements)).client("customer-profiles")
        return {"DomainName": domain, "SegmentDefinitionName": segment, "DataFormat": "CSV",
                "DestinationUri": DESTINATION, "RoleArn": role, **params}, profiles

    params, profiles = snapshot()
    code, message = refused(profiles.create_segment_snapshot, **params)
    assert code == "AccessDeniedException"
    assert "is not authorized to perform: iam:PassRole on resource: " + role in message
    del params["RoleArn"]  # no role handed over: nothing to pass
    assert profiles.create_segment_snapshot(**params)["SnapshotId"]

    params, profiles = snapshot(_pass(role, PROFILES))
    assert profiles.create_segment_snapshot(**params)["SnapshotId"]
    params, profiles = snapshot(_pass(role, "cloudtrail.amazonaws.com"))  # leave to pass it elsewhere only
    assert refused(profiles.create_segment_snapshot, **params)[0] == "AccessDeniedException"
    params, profiles = snapshot(allow("iam:PassRole", _role(server, PROFILES)))  # another role
    assert refused(profiles.create_segment_snapshot, **params)[0] == "AccessDeniedException"

    # iam:AssociatedResourceArn is the segment definition the role goes with
    only_portugal = _pass(role, PROFILES, ArnLike={"iam:AssociatedResourceArn": f"{segment_arn}/portugal"})
    params, profiles = snapshot(only_portugal)
    assert profiles.create_segment_snapshot(**params)["SnapshotId"]
    params, profiles = snapshot(only_portugal, segment="lisbon")
    assert refused(profiles.create_segment_snapshot, **params)[0] == "AccessDeniedException"

    # the check sees the caller's address, as the request's own authorization does
    params, profiles = snapshot(_pass(role, PROFILES, IpAddress={"aws:SourceIp": "127.0.0.0/8"}))
    assert profiles.create_segment_snapshot(**params)["SnapshotId"]
    params, profiles = snapshot(_pass(role, PROFILES, IpAddress={"aws:SourceIp": "10.0.0.0/8"}))
    assert refused(profiles.create_segment_snapshot, **params)[0] == "AccessDeniedException"


def test_an_integrations_role_needs_leave_to_pass_it(server: Server) -> None:
    scenario = Scenario(server)
    scenario.profiles.create_event_trigger(
        DomainName=scenario.domain, EventTriggerName="any", ObjectTypeName="Order",
        EventTriggerConditions=[{"LogicalOperator": "ANY", "EventTriggerDimensions": [{"ObjectAttributes": [
            {"Source": "_source.status", "ComparisonOperator": "EQUAL", "Values": ["open"]}]}]}])
    role = _role(server, PROFILES)
    params = {"DomainName": scenario.domain, "Uri": scenario.campaign["arn"], "EventTriggerNames": ["any"],
              "RoleArn": role}
    without = make_user(server, document(allow("profile:*"))).client("customer-profiles")
    assert refused(without.put_integration, **params)[0] == "AccessDeniedException"
    assert refused(scenario.profiles.get_integration, DomainName=scenario.domain,  # nothing was written
                   Uri=scenario.campaign["arn"])[0] == "ResourceNotFoundException"
    allowed = make_user(server, document(allow("profile:*"), _pass(role, PROFILES))).client("customer-profiles")
    assert allowed.put_integration(**params)["RoleArn"] == role


def test_a_trails_logs_role_needs_leave_to_pass_it_to_cloudtrail(server: Server) -> None:
    role, other = _role(server, "cloudtrail.amazonaws.com"), _role(server, "cloudtrail.amazonaws.com")
    logs = {"CloudWatchLogsLogGroupArn": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:trail:*"}
    name = unique("trail")
    without = make_user(server, document(allow("cloudtrail:*"))).client("cloudtrail")
    code, message = refused(without.create_trail, Name=name, S3BucketName="audit-logs", CloudWatchLogsRoleArn=role,
                            **logs)
    assert (code, f"iam:PassRole on resource: {role}" in message) == ("AccessDeniedException", True)
    assert without.create_trail(Name=name, S3BucketName="audit-logs")["Name"] == name  # no role: nothing to pass

    trails = make_user(server, document(allow("cloudtrail:*"), _pass(role, "cloudtrail.amazonaws.com"))
                       ).client("cloudtrail")
    assert trails.update_trail(Name=name, CloudWatchLogsRoleArn=role, **logs)["CloudWatchLogsRoleArn"] == role
    assert refused(trails.update_trail, Name=name, CloudWatchLogsRoleArn=other)[0] == "AccessDeniedException"
    assert trails.get_trail(Name=name)["Trail"]["CloudWatchLogsRoleArn"] == role  # the refused update left it
    assert trails.update_trail(Name=name, S3KeyPrefix="cc")["CloudWatchLogsRoleArn"] == role  # role not handed again
    trails.delete_trail(Name=name)
