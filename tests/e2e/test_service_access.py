"""IAM ListPoliciesGrantingServiceAccess: an identity's policies that allow some action of a service."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.e2e.identities import ACCOUNT, allow, deny, document, make_user, unique


def granting(iam, arn: str, *namespaces: str) -> dict[str, list[dict]]:
    answer = iam.list_policies_granting_service_access(Arn=arn, ServiceNamespaces=list(namespaces))
    assert answer["IsTruncated"] is False
    return {entry["ServiceNamespace"]: entry["Policies"] for entry in answer["PoliciesGrantingServiceAccess"]}


def test_a_users_own_and_its_groups_policies_that_grant_each_service(server) -> None:
    iam = server.client("iam")
    watch = "arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"
    user = make_user(server, document(allow("cloudwatch:ListMetrics")), managed=(watch,))  # and inline-0
    iam.put_user_policy(UserName=user.name, PolicyName="denies", PolicyDocument=document(deny("profile:*")))
    iam.put_user_policy(UserName=user.name, PolicyName="everything-but-iam",
                        PolicyDocument=document({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}))
    group = unique("readers")
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user.name)
    iam.put_group_policy(GroupName=group, PolicyName="profiles", PolicyDocument=document(allow("profile:Get*")))
    iam.attach_group_policy(GroupName=group, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    iam.attach_group_policy(GroupName=group, PolicyArn=watch)  # the user has it too: listed once

    found = granting(iam, user.arn, "cloudwatch", "profile", "iam", "sts")
    assert sorted(found["cloudwatch"], key=lambda item: item["PolicyName"]) == [
        {"PolicyName": "CloudWatchReadOnlyAccess", "PolicyType": "MANAGED", "PolicyArn": watch},
        {"PolicyName": "everything-but-iam", "PolicyType": "INLINE", "EntityType": "USER", "EntityName": user.name},
        {"PolicyName": "inline-0", "PolicyType": "INLINE", "EntityType": "USER", "EntityName": user.name}]
    assert sorted((item["PolicyName"], item.get("EntityType")) for item in found["profile"]) == [
        ("everything-but-iam", "USER"), ("profiles", "GROUP")]  # a Deny grants nothing
    assert sorted(item["PolicyArn"] for item in found["iam"]) == [  # CloudWatch's read-only policy reads some IAM
        watch, "arn:aws:iam::aws:policy/IAMReadOnlyAccess"]
    assert all(item["PolicyType"] == "MANAGED" and "EntityType" not in item for item in found["iam"])
    assert "everything-but-iam" in [item["PolicyName"] for item in found["sts"]]

    role = iam.create_role(RoleName=unique("svc"), AssumeRolePolicyDocument=document(
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}))["Role"]
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="metrics", PolicyDocument=document(
        allow("cloudwatch:PutMetricData")))
    assert granting(iam, role["Arn"], "cloudwatch", "profile") == {
        "cloudwatch": [{"PolicyName": "metrics", "PolicyType": "INLINE", "EntityType": "ROLE",
                        "EntityName": role["RoleName"]}], "profile": []}
    assert sorted(item["PolicyName"] for item in granting(iam, f"arn:aws:iam::{ACCOUNT}:group/{group}",
                                                          "iam")["iam"]) == ["CloudWatchReadOnlyAccess",
                                                                             "IAMReadOnlyAccess"]


def test_unknown_identities_and_services(server) -> None:
    iam = server.client("iam")
    with pytest.raises(ClientError) as raised:
        iam.list_policies_granting_service_access(Arn=f"arn:aws:iam::{ACCOUNT}:user/{unique('nobody')}",
                                                  ServiceNamespaces=["iam"])
    assert raised.value.response["Error"]["Code"] == "NoSuchEntity"
    user = make_user(server)
    for arn, namespaces in ((f"arn:aws:s3:::{unique('bucket')}", ["iam"]), (user.arn, ["no-such-service"])):
        with pytest.raises(ClientError) as raised:
            iam.list_policies_granting_service_access(Arn=arn, ServiceNamespaces=namespaces)
        assert raised.value.response["Error"]["Code"] == "InvalidInput"
