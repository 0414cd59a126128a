"""The seed, sentence by sentence: "Using service-linked roles for Amazon Connect Customer Profiles".

Every test names the sentence it checks, through boto3 (and the AWS CLI) against a running server.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server, narrowed_policy_server
from tests.e2e.cli import AwsCli, profilestack
from tests.e2e.identities import ACCOUNT, allow, document, make_user, unique
from tests.e2e.waiting import wait_for

PRINCIPAL = "profile.amazonaws.com"
ROLE_PATH = f"/aws-service-role/{PRINCIPAL}/"
POLICY_ARN = "arn:aws:iam::aws:policy/aws-service-role/CustomerProfilesServiceLinkedRolePolicy"
REGIONS = ["us-east-1", "us-west-2", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1",
           "ca-central-1", "eu-central-1", "eu-west-2", "af-south-1"]


def profile_roles(server) -> set[str]:
    roles = server.client("iam").list_roles(PathPrefix=ROLE_PATH, MaxItems=1000)["Roles"]
    return {role["RoleName"] for role in roles}


def create_domain(server, client=None, region: str = "us-east-1", **extra) -> tuple[str, str]:
    """A new domain and the role that appeared with it."""
    before = profile_roles(server)
    name = unique("domain")
    (client or server.client("customer-profiles", region)).create_domain(DomainName=name, DefaultExpirationDays=30,
                                                                         **extra)
    (role,) = profile_roles(server) - before
    return name, role


def role_exists(server, name: str) -> bool:
    try:
        server.client("iam").get_role(RoleName=name)
        return True
    except ClientError as error:
        assert error.response["Error"]["Code"] == "NoSuchEntity"
        return False


def deletion_status(server, role: str) -> dict:
    iam = server.client("iam")
    task = iam.delete_service_linked_role(RoleName=role)["DeletionTaskId"]
    assert task.startswith(f"task/aws-service-role/{PRINCIPAL}/{role}/")
    return wait_for(lambda: (status := iam.get_service_linked_role_deletion_status(DeletionTaskId=task))["Status"]
                    in ("SUCCEEDED", "FAILED") and status)


def events(server, name: str) -> list[dict]:
    found = server.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": name}], MaxResults=50)["Events"]
    return [json.loads(event["CloudTrailEvent"]) for event in found]


# "Amazon Connect Customer Profiles uses the service-linked role named AWSServiceRoleForProfile_unique-id"
# "The AWSServiceRoleForProfile prefixed service-linked role trusts the following services to assume the role:
#  profile.amazonaws.com"
def test_the_role_is_named_with_a_unique_id_and_trusts_only_customer_profiles(server) -> None:
    _, role_name = create_domain(server)
    assert re.fullmatch(r"AWSServiceRoleForProfile_[a-z0-9]+", role_name)
    role = server.client("iam").get_role(RoleName=role_name)["Role"]
    assert role["Path"] == ROLE_PATH
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role{ROLE_PATH}{role_name}"
    assert role["AssumeRolePolicyDocument"] == {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": PRINCIPAL}, "Action": "sts:AssumeRole"}]}


# "The role permissions policy named CustomerProfilesServiceLinkedRolePolicy allows Amazon Connect Customer
#  Profiles to complete the following actions": the four actions.
def test_the_role_carries_the_managed_policy_and_its_four_actions(server) -> None:
    _, role_name = create_domain(server)
    iam = server.client("iam")
    assert iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == [
        {"PolicyName": "CustomerProfilesServiceLinkedRolePolicy", "PolicyArn": POLICY_ARN}]
    policy = iam.get_policy(PolicyArn=POLICY_ARN)["Policy"]
    document_ = iam.get_policy_version(PolicyArn=POLICY_ARN, VersionId=policy["DefaultVersionId"])[
        "PolicyVersion"]["Document"]
    actions = {statement["Action"][0] if isinstance(statement["Action"], list) else statement["Action"]:
               statement for statement in document_["Statement"]}
    assert set(actions) == {"cloudwatch:PutMetricData", "iam:DeleteRole",
                            "connect-campaigns:PutProfileOutboundRequestBatch", "profile:BatchGetProfile"}
    assert actions["cloudwatch:PutMetricData"]["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": "AWS/CustomerProfiles"}}
    assert actions["iam:DeleteRole"]["Resource"] == \
        "arn:aws:iam::*:role/aws-service-role/profile.amazonaws.com/AWSServiceRoleForProfile_*"


# "unless defined otherwise, only Amazon Connect Customer Profiles can assume its roles"
def test_only_customer_profiles_can_assume_the_role(server) -> None:
    _, role_name = create_domain(server)
    admin = make_user(server, managed=("arn:aws:iam::aws:policy/AdministratorAccess",))
    with pytest.raises(ClientError) as raised:
        admin.client("sts").assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role{ROLE_PATH}{role_name}",
                                        RoleSessionName="intruder")
    assert raised.value.response["Error"]["Code"] == "AccessDenied"


# "this permissions policy cannot be attached to any other IAM entity"
def test_the_permissions_policy_cannot_be_attached_elsewhere(server) -> None:
    iam = server.client("iam")
    user = unique("user")
    iam.create_user(UserName=user)
    with pytest.raises(ClientError) as raised:
        iam.attach_user_policy(UserName=user, PolicyArn=POLICY_ARN)
    assert raised.value.response["Error"]["Code"] == "PolicyNotAttachable"


# "each Amazon Connect Customer Profiles domain requires a dedicated SLR"
def test_each_domain_gets_its_own_role(server) -> None:
    first, first_role = create_domain(server)
    second, second_role = create_domain(server)
    assert first_role != second_role
    for domain, role in ((first, first_role), (second, second_role)):
        usage = deletion_status(server, role)["Reason"]["RoleUsageList"]
        arn = f"arn:aws:profile:us-east-1:{ACCOUNT}:domains/{domain}"
        assert usage == [{"Region": "us-east-1", "Resources": [arn]}]


# "You must configure permissions to allow an IAM entity ... to create ... a service-linked role"
# "When you create your first Amazon Connect Customer Profiles domain ... Customer Profiles creates the
#  service-linked role for you": on the caller's behalf, so the caller needs iam:CreateServiceLinkedRole.
def test_creating_a_domain_requires_permission_to_create_the_role(server) -> None:
    profiles_only = make_user(server, document(allow("profile:*")))
    before = profile_roles(server)
    name = unique("domain")
    with pytest.raises(ClientError) as raised:
        profiles_only.client("customer-profiles").create_domain(DomainName=name, DefaultExpirationDays=30)
    error = raised.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert "iam:CreateServiceLinkedRole" in error["Message"]
    assert f"role{ROLE_PATH}AWSServiceRoleForProfile_" in error["Message"]
    assert profile_roles(server) == before  # nothing left behind
    with pytest.raises(ClientError) as missing:
        server.client("customer-profiles").get_domain(DomainName=name)
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"

    other_service = make_user(server, document(allow("profile:*"), allow(
        "iam:CreateServiceLinkedRole", "arn:aws:iam::*:role/aws-service-role/*",
        Condition={"StringEquals": {"iam:AWSServiceName": "connect.amazonaws.com"}})))
    with pytest.raises(ClientError) as raised:
        other_service.client("customer-profiles").create_domain(DomainName=name, DefaultExpirationDays=30)
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"

    allowed = make_user(server, document(allow("profile:*"), allow(
        "iam:CreateServiceLinkedRole", f"arn:aws:iam::*:role{ROLE_PATH}*",
        Condition={"StringEquals": {"iam:AWSServiceName": PRINCIPAL}})))
    _, role = create_domain(server, allowed.client("customer-profiles"))
    created = [e for e in events(server, "CreateServiceLinkedRole") if e["userIdentity"].get("arn") == allowed.arn]
    assert created and created[0]["userIdentity"]["invokedBy"] == PRINCIPAL
    assert created[0]["requestParameters"]["aWSServiceName"] == PRINCIPAL
    assert role_exists(server, role)


# "Amazon Connect Customer Profiles does not allow you to edit the AWSServiceRoleForProfile prefixed role ...
#  However, you can edit the description of the role using IAM."
def test_the_role_cannot_be_changed_except_its_description(server) -> None:
    _, role = create_domain(server)
    iam = server.client("iam")
    refused = {
        "delete_role": {},
        "update_assume_role_policy": {"PolicyDocument": document({"Effect": "Allow", "Principal": {"AWS": ACCOUNT},
                                                                  "Action": "sts:AssumeRole"})},
        "attach_role_policy": {"PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
        "detach_role_policy": {"PolicyArn": POLICY_ARN},
        "put_role_policy": {"PolicyName": "extra", "PolicyDocument": document(allow())},
        "delete_role_policy": {"PolicyName": "extra"},
        "put_role_permissions_boundary": {"PermissionsBoundary": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
        "delete_role_permissions_boundary": {},
        "update_role": {"MaxSigninSessionDuration": 3600},  # the role's settings, unlike its description
    }
    for operation, params in refused.items():
        with pytest.raises(ClientError) as raised:
            getattr(iam, operation)(RoleName=role, **params)
        assert raised.value.response["Error"] == {
            "Type": "Sender", "Code": "UnmodifiableEntity",
            "Message": f"Cannot perform the operation on the protected role '{role}' - this role is only "
                       "modifiable by AWS"}, operation
    profile = unique("profile")
    iam.create_instance_profile(InstanceProfileName=profile)
    with pytest.raises(ClientError) as raised:
        iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    assert raised.value.response["Error"]["Code"] == "UnmodifiableEntity"
    assert iam.update_role_description(RoleName=role, Description="edited")["Role"]["Description"] == "edited"
    iam.update_role(RoleName=role, Description="edited again")
    iam.tag_role(RoleName=role, Tags=[{"Key": "owner", "Value": "contact-center"}])
    current = iam.get_role(RoleName=role)["Role"]
    assert (current["Description"], current["Tags"]) == ("edited again", [{"Key": "owner",
                                                                           "Value": "contact-center"}])
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"][0]["PolicyArn"] == POLICY_ARN


# "When you delete the Amazon Connect Customer Profiles domain ... Customer Profiles cleans up the resources and
#  deletes the service-linked role for you." — as the role itself (iam:DeleteRole), recorded as such.
def test_deleting_the_domain_deletes_its_role_through_the_role(server) -> None:
    name, role = create_domain(server)
    answer = server.client("customer-profiles").delete_domain(DomainName=name)
    assert answer["Message"]
    wait_for(lambda: not role_exists(server, role))
    session_arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/CustomerProfiles"
    deleted = wait_for(lambda: [e for e in events(server, "DeleteRole")
                                if e["userIdentity"].get("arn") == session_arn])
    assert deleted[0]["userIdentity"]["type"] == "AssumedRole"
    assert deleted[0]["userIdentity"]["invokedBy"] == PRINCIPAL
    context = deleted[0]["userIdentity"]["sessionContext"]  # the session's issuer: the domain's role itself
    assert (context["sessionIssuer"]["type"], context["sessionIssuer"]["userName"]) == ("Role", role)
    assert context["sessionIssuer"]["arn"] == f"arn:aws:iam::{ACCOUNT}:role{ROLE_PATH}{role}"
    assert "creationDate" in context["attributes"]
    assert "errorCode" not in deleted[0]
    assumed = [e for e in events(server, "AssumeRole")
               if e["requestParameters"].get("roleArn", "").endswith(f"/{role}")]
    assert assumed and assumed[0]["userIdentity"]["type"] == "AWSService"
    assert assumed[0]["userIdentity"]["invokedBy"] == PRINCIPAL


# "you must first manually clean up the resources for your service-linked role and then you can manually
#  delete it": while the domain exists the deletion task fails and names it.
def test_manual_deletion_fails_while_the_domain_uses_the_role(server) -> None:
    name, role = create_domain(server, region="ap-southeast-2")
    status = deletion_status(server, role)
    assert status["Status"] == "FAILED"
    assert status["Reason"]["RoleUsageList"] == [
        {"Region": "ap-southeast-2", "Resources": [f"arn:aws:profile:ap-southeast-2:{ACCOUNT}:domains/{name}"]}]
    assert role in status["Reason"]["Reason"]
    assert role_exists(server, role)


# "If you delete this service-linked role, and then need to create it again ... Customer Profiles creates the
#  service-linked role for you again."
def test_recreating_the_domain_creates_a_new_role(server) -> None:
    name, role = create_domain(server)
    server.client("customer-profiles").delete_domain(DomainName=name)
    wait_for(lambda: not role_exists(server, role))
    before = profile_roles(server)
    server.client("customer-profiles").create_domain(DomainName=name, DefaultExpirationDays=30)
    (new_role,) = profile_roles(server) - before
    assert new_role != role


# The supported regions table: exactly these ten.
def test_customer_profiles_exists_in_the_ten_regions(server) -> None:
    for region in REGIONS:
        client = server.client("customer-profiles", region)
        name = unique("regional")
        client.create_domain(DomainName=name, DefaultExpirationDays=7)
        assert client.get_domain(DomainName=name)["DomainName"] == name
        assert name not in [d["DomainName"] for d in server.client(
            "customer-profiles", "us-east-1" if region != "us-east-1" else "us-west-2").list_domains()["Items"]]
    with pytest.raises(ClientError) as raised:
        server.client("customer-profiles", "eu-west-1").create_domain(DomainName=unique("nope"),
                                                                     DefaultExpirationDays=7)
    error = raised.value.response["Error"]
    assert error["Code"] == "BadRequestException"
    assert "eu-west-1" in error["Message"] and all(region in error["Message"] for region in REGIONS)


# Terraform's aws_iam_service_linked_role: create with a suffix, read, delete, poll the deletion status.
def test_terraform_style_service_linked_role_lifecycle(server) -> None:
    iam = server.client("iam")
    suffix = unique("tf").replace("-", "")
    role = iam.create_service_linked_role(AWSServiceName=PRINCIPAL, CustomSuffix=suffix,
                                          Description="managed by terraform")["Role"]
    assert role["RoleName"] == f"AWSServiceRoleForProfile_{suffix}"
    assert iam.get_role(RoleName=role["RoleName"])["Role"]["Description"] == "managed by terraform"
    with pytest.raises(ClientError) as taken:
        iam.create_service_linked_role(AWSServiceName=PRINCIPAL, CustomSuffix=suffix.upper())
    assert taken.value.response["Error"] == {
        "Type": "Sender", "Code": "InvalidInput",
        "Message": f"Service role name AWSServiceRoleForProfile_{suffix.upper()} has been taken in this account, "
                   "please try a different suffix."}
    assert deletion_status(server, role["RoleName"])["Status"] == "SUCCEEDED"
    assert not role_exists(server, role["RoleName"])


def test_service_linked_role_errors(server) -> None:
    iam = server.client("iam")
    with pytest.raises(ClientError) as unknown:
        iam.create_service_linked_role(AWSServiceName="nothing.amazonaws.com")
    assert unknown.value.response["Error"]["Code"] == "InvalidInput"
    with pytest.raises(ClientError) as no_suffix:
        iam.create_service_linked_role(AWSServiceName="connect-campaigns.amazonaws.com", CustomSuffix="x")
    assert no_suffix.value.response["Error"]["Message"] == \
        "Custom suffix is not allowed for connect-campaigns.amazonaws.com"
    with pytest.raises(ClientError) as missing:
        iam.get_service_linked_role_deletion_status(
            DeletionTaskId=f"task/aws-service-role/{PRINCIPAL}/AWSServiceRoleForProfile_x/"
                           "00000000-0000-4000-8000-000000000000")
    assert missing.value.response["Error"]["Code"] == "NoSuchEntity"
    with pytest.raises(ClientError) as malformed:
        iam.get_service_linked_role_deletion_status(DeletionTaskId="task/whatever")
    assert malformed.value.response["Error"]["Code"] == "InvalidInput"


def test_domain_access_follows_resource_tags(server) -> None:
    client = server.client("customer-profiles")
    dev, prod = unique("dev"), unique("prod")
    client.create_domain(DomainName=dev, DefaultExpirationDays=7, Tags={"stage": "dev"})
    client.create_domain(DomainName=prod, DefaultExpirationDays=7, Tags={"stage": "prod"})
    user = make_user(server, document(allow("profile:GetDomain", Condition={
        "StringEquals": {"aws:ResourceTag/stage": "dev"}})))
    assert user.client("customer-profiles").get_domain(DomainName=dev)["Tags"] == {"stage": "dev"}
    with pytest.raises(ClientError) as raised:
        user.client("customer-profiles").get_domain(DomainName=prod)
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
    assert f"arn:aws:profile:us-east-1:{ACCOUNT}:domains/{prod}" in raised.value.response["Error"]["Message"]


def test_seed_through_the_aws_cli(server) -> None:
    run = AwsCli(server.endpoint, region="eu-west-2")
    before = profile_roles(server)
    name = unique("cli")
    assert run("customer-profiles", "create-domain", "--domain-name", name, "--default-expiration-days",
               "30")["DomainName"] == name
    (role,) = profile_roles(server) - before
    assert run("iam", "get-role", "--role-name", role)["Role"]["Path"] == ROLE_PATH
    task = run("iam", "delete-service-linked-role", "--role-name", role)["DeletionTaskId"]
    status = wait_for(lambda: (found := run("iam", "get-service-linked-role-deletion-status", "--deletion-task-id",
                                            task))["Status"] == "FAILED" and found)
    assert status["Reason"]["RoleUsageList"][0]["Region"] == "eu-west-2"


@pytest.fixture(scope="module")
def narrowed_server(tmp_path_factory: pytest.TempPathFactory):
    """A server whose CustomerProfilesServiceLinkedRolePolicy lacks iam:DeleteRole (a test-only switch)."""
    yield from narrowed_policy_server(tmp_path_factory.mktemp("narrowed"), POLICY_ARN, {
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "profile:BatchGetProfile",
                                                "Resource": "*"}]})


# The role's policy is enforced on the service itself: without iam:DeleteRole it cannot delete its own role.
def test_the_service_is_bound_by_the_role_policy(narrowed_server) -> None:
    server = narrowed_server
    name, role = create_domain(server)
    server.client("customer-profiles").delete_domain(DomainName=name)
    session_arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/CustomerProfiles"
    denied = wait_for(lambda: [e for e in events(server, "DeleteRole")
                               if e["userIdentity"].get("arn") == session_arn])
    assert denied[0]["errorCode"] == "AccessDenied"
    assert "because no identity-based policy allows the iam:DeleteRole action" in denied[0]["errorMessage"]
    assert role_exists(server, role)
    # the domain is gone, so a manual deletion now succeeds
    assert deletion_status(server, role)["Status"] == "SUCCEEDED"
    assert not role_exists(server, role)


# "This service-linked role can appear in your account if ... you were using the Amazon Connect Customer
#  Profiles service before June 8, 2023": domains without a role get one, created by the service.
def test_roles_appear_for_domains_that_have_none(tmp_path: Path) -> None:
    server = Server(data_dir=tmp_path)
    server.start()
    try:
        name, role = create_domain(server)
        server.stop()
        database = tmp_path / "profilestack.db"
        with sqlite3.connect(database) as connection:  # as restored from a version without service-linked roles
            connection.execute("UPDATE profile_domains SET role_name = NULL")
            connection.execute("DELETE FROM iam_attachments")
            connection.execute("DELETE FROM iam_roles")
        doctor = profilestack("doctor", "--data-dir", str(tmp_path))
        assert doctor.returncode == 1
        assert f"domain without its service-linked role: arn:aws:profile:us-east-1:{ACCOUNT}:domains/{name}" \
            in doctor.stdout
        server.start()
        (appeared,) = profile_roles(server)
        assert appeared != role
        created = wait_for(lambda: [e for e in events(server, "CreateServiceLinkedRole")
                                    if e["userIdentity"]["type"] == "AWSService"])
        assert created[0]["userIdentity"]["invokedBy"] == PRINCIPAL
        status = deletion_status(server, appeared)
        assert status["Reason"]["RoleUsageList"][0]["Resources"] == [
            f"arn:aws:profile:us-east-1:{ACCOUNT}:domains/{name}"]
        healthy = profilestack("doctor", "--data-dir", str(tmp_path))
        assert healthy.returncode == 0, healthy.stdout
    finally:
        server.stop()
