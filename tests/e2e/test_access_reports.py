"""Service last accessed reports from the audit trail: for users, roles (through their sessions), groups (through
their members) and managed policies (through what they are attached to), at service and action level."""

from __future__ import annotations

import json

from tests.e2e.errors import refused
from tests.e2e.identities import ACCOUNT, allow, assume, document, make_user, trust, unique
from tests.e2e.waiting import wait_for

POLICY = document(allow(["sts:GetCallerIdentity", "profile:ListDomains", "iam:GetUser"]))


def _report(iam, arn: str, granularity: str = "SERVICE_LEVEL", ready=lambda services: True) -> tuple[str, dict]:
    """A report for ``arn``, made again until ``ready`` (the audit trail is written in batches)."""
    def made():
        job_id = iam.generate_service_last_accessed_details(Arn=arn, Granularity=granularity)["JobId"]
        answer = iam.get_service_last_accessed_details(JobId=job_id)
        services = {entry["ServiceNamespace"]: entry for entry in answer["ServicesLastAccessed"]}
        return ready(services) and (job_id, answer)
    return wait_for(made)


def test_a_users_report_names_the_services_its_policies_allow_and_when_it_used_them(server) -> None:
    iam = server.client("iam")
    user = make_user(server, POLICY)
    user.client("sts").get_caller_identity()
    user.client("customer-profiles").list_domains()
    assert refused(user.client("customer-profiles").create_domain, DomainName=unique("no"),
                    DefaultExpirationDays=1)[0] == "AccessDeniedException"  # denied calls count too

    job_id, answer = _report(iam, user.arn, "ACTION_LEVEL",
                             lambda services: "LastAuthenticated" in services["profile"]
                             and len(services["profile"]["TrackedActionsLastAccessed"]) == 2)
    assert (answer["JobStatus"], answer["JobType"]) == ("COMPLETED", "ACTION_LEVEL")
    assert answer["JobCompletionDate"] >= answer["JobCreationDate"]
    services = {entry["ServiceNamespace"]: entry for entry in answer["ServicesLastAccessed"]}
    assert sorted(services) == ["iam", "profile", "sts"]
    sts = services["sts"]
    assert (sts["ServiceName"], sts["LastAuthenticatedEntity"], sts["LastAuthenticatedRegion"],
            sts["TotalAuthenticatedEntities"]) == ("AWS Security Token Service", user.arn, "us-east-1", 1)
    assert "LastAuthenticated" not in services["iam"] and services["iam"]["TotalAuthenticatedEntities"] == 0
    assert [(action["ActionName"], action["LastAccessedEntity"])
            for action in services["profile"]["TrackedActionsLastAccessed"]] == [
        ("CreateDomain", user.arn), ("ListDomains", user.arn)]

    first = iam.get_service_last_accessed_details(JobId=job_id, MaxItems=2)
    rest = iam.get_service_last_accessed_details(JobId=job_id, Marker=first["Marker"])
    assert first["IsTruncated"] and [entry["ServiceNamespace"] for entry in
                                     first["ServicesLastAccessed"] + rest["ServicesLastAccessed"]] == [
        "iam", "profile", "sts"]
    details = iam.get_service_last_accessed_details_with_entities(JobId=job_id, ServiceNamespace="sts")
    [entity] = details["EntityDetailsList"]
    assert entity["EntityInfo"]["Arn"] == user.arn and entity["EntityInfo"]["Type"] == "USER"
    assert entity["LastAuthenticated"] == sts["LastAuthenticated"]


def test_a_roles_report_counts_its_sessions(server) -> None:
    iam = server.client("iam")
    role = unique("reported")
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))[
        "Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=POLICY)
    caller = make_user(server, document(allow("sts:AssumeRole", arn)))
    assume(caller, arn).client("sts").get_caller_identity()
    _, answer = _report(iam, arn, ready=lambda services: "LastAuthenticated" in services["sts"])
    sts = next(entry for entry in answer["ServicesLastAccessed"] if entry["ServiceNamespace"] == "sts")
    assert sts["LastAuthenticatedEntity"] == arn  # the role, not its session


def test_a_groups_and_a_policys_reports_name_their_entities(server) -> None:
    iam = server.client("iam")
    group = unique("reported")
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="p", PolicyDocument=POLICY)
    active, idle = make_user(server), make_user(server)
    for member in (active, idle):
        iam.add_user_to_group(GroupName=group, UserName=member.name)
    active.client("sts").get_caller_identity()
    group_arn = iam.get_group(GroupName=group)["Group"]["Arn"]
    job_id, answer = _report(iam, group_arn, ready=lambda services: "LastAuthenticated" in services["sts"])
    sts = next(entry for entry in answer["ServicesLastAccessed"] if entry["ServiceNamespace"] == "sts")
    assert (sts["LastAuthenticatedEntity"], sts["TotalAuthenticatedEntities"]) == (active.arn, 1)
    [entity] = iam.get_service_last_accessed_details_with_entities(JobId=job_id, ServiceNamespace="sts")[
        "EntityDetailsList"]
    assert entity["EntityInfo"]["Type"] == "GROUP" and "LastAuthenticated" in entity

    policy_arn = iam.create_policy(PolicyName=unique("reported"), PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "cloudwatch:ListMetrics",
                                                 "Resource": "*"}]}))["Policy"]["Arn"]
    for member in (active, idle):
        iam.attach_user_policy(UserName=member.name, PolicyArn=policy_arn)
    idle.client("cloudwatch").list_metrics()
    job_id, answer = _report(iam, policy_arn,
                             ready=lambda services: "LastAuthenticated" in services["cloudwatch"])
    assert [entry["ServiceNamespace"] for entry in answer["ServicesLastAccessed"]] == ["cloudwatch"]
    listed = iam.get_service_last_accessed_details_with_entities(JobId=job_id, ServiceNamespace="cloudwatch")[
        "EntityDetailsList"]
    last = {entity["EntityInfo"]["Name"]: "LastAuthenticated" in entity for entity in listed}
    assert last == {active.name: False, idle.name: True}


def test_what_a_report_refuses(server) -> None:
    iam = server.client("iam")
    assert refused(iam.generate_service_last_accessed_details, Arn=f"arn:aws:iam::{ACCOUNT}:user/nobody-here")[
        0] == "NoSuchEntity"
    assert refused(iam.generate_service_last_accessed_details, Arn="arn:aws:s3:::a-bucket-of-mine")[0] == (
        "InvalidInput")
    missing = "00000000-0000-4000-8000-000000000000"
    assert refused(iam.get_service_last_accessed_details, JobId=missing) == (
        "NoSuchEntity", f"No service last accessed report with job id {missing}.")
    user = make_user(server, POLICY)
    job_id = iam.generate_service_last_accessed_details(Arn=user.arn)["JobId"]
    assert refused(iam.get_service_last_accessed_details_with_entities, JobId=job_id,
                    ServiceNamespace="no-such-service")[0] == "InvalidInput"


def test_the_global_endpoint_token_version(server) -> None:
    iam = server.client("iam")
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
    try:
        assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 2
    finally:
        iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v1Token")
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 1
