"""Issue 3's acceptance: IAM policies enforced on every request, end to end through boto3."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.conftest import OTHER_ROOT_KEY, OTHER_ROOT_SECRET
from tests.e2e.identities import ACCOUNT, allow, assume, deny, document, make_user, trust, unique


def error_of(call, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def make_role(server, path: str = "/", trust_policy: str | None = None, name: str | None = None) -> dict:
    iam = server.client("iam")
    return iam.create_role(RoleName=name or unique("role"), Path=path,
                           AssumeRolePolicyDocument=trust_policy or trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
                           )["Role"]


def test_a_user_without_policies_is_denied_everything(server) -> None:
    user = make_user(server)
    role = make_role(server)
    code, message = error_of(user.client("iam").get_role, RoleName=role["RoleName"])
    assert code == "AccessDenied"
    assert message == (f"User: {user.arn} is not authorized to perform: iam:GetRole on resource: {role['Arn']} "
                       "because no identity-based policy allows the iam:GetRole action")
    assert error_of(user.client("iam").list_users)[0] == "AccessDenied"
    assert error_of(user.client("cloudtrail").lookup_events)[0] == "AccessDeniedException"
    # who-am-I needs no permission, as on AWS
    assert user.client("sts").get_caller_identity()["Arn"] == user.arn


def test_get_role_on_one_path_only(server) -> None:
    path = f"/{unique('team')}/"
    inside, outside = make_role(server, path), make_role(server)
    user = make_user(server, document(allow("iam:GetRole", f"arn:aws:iam::{ACCOUNT}:role{path}*")))
    iam = user.client("iam")
    assert iam.get_role(RoleName=inside["RoleName"])["Role"]["Arn"] == inside["Arn"]
    code, message = error_of(iam.get_role, RoleName=outside["RoleName"])
    assert code == "AccessDenied" and outside["Arn"] in message
    assert error_of(iam.delete_role, RoleName=inside["RoleName"])[0] == "AccessDenied"


def test_explicit_deny_beats_allow(server) -> None:
    role = make_role(server)
    user = make_user(server, document(allow("iam:*"), deny("iam:GetRole", role["Arn"])))
    code, message = error_of(user.client("iam").get_role, RoleName=role["RoleName"])
    assert code == "AccessDenied"
    assert message.endswith("with an explicit deny in an identity-based policy")
    assert user.client("iam").list_roles()["Roles"]


def test_permissions_boundary_caps_administrator_access(server) -> None:
    iam = server.client("iam")
    boundary = iam.create_policy(PolicyName=unique("boundary"),
                                 PolicyDocument=document(allow(["iam:Get*", "iam:List*"])))["Policy"]["Arn"]
    user = make_user(server, managed=("arn:aws:iam::aws:policy/AdministratorAccess",), boundary=boundary)
    assert user.client("iam").list_users()["Users"]
    code, message = error_of(user.client("iam").create_user, UserName=unique("nope"))
    assert code == "AccessDenied"
    assert message.endswith("because no permissions boundary allows the iam:CreateUser action")
    iam.delete_user_permissions_boundary(UserName=user.name)
    assert user.client("iam").create_user(UserName=unique("now-ok"))["User"]


def test_requested_region_condition_allows_one_region(server) -> None:
    user = make_user(server, document(allow("cloudtrail:LookupEvents",
                                            Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-2"}})))
    assert "Events" in user.client("cloudtrail", "eu-west-2").lookup_events(MaxResults=1)
    code, message = error_of(user.client("cloudtrail", "us-west-2").lookup_events, MaxResults=1)
    assert code == "AccessDeniedException"
    assert "cloudtrail:LookupEvents" in message


def test_time_conditions_see_the_request_time(server) -> None:
    user = make_user(server, document(
        allow("iam:ListUsers", Condition={"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"},
                                          "NumericGreaterThan": {"aws:EpochTime": "1577836800"}}),
        allow("iam:ListRoles", Condition={"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}),
        allow("iam:ListGroups", Condition={"NumericLessThan": {"aws:EpochTime": "1577836800"}})))
    assert "Users" in user.client("iam").list_users()
    assert error_of(user.client("iam").list_roles)[0] == "AccessDenied"
    assert error_of(user.client("iam").list_groups)[0] == "AccessDenied"


def test_source_ip_is_the_connection_and_cannot_be_forwarded_in(server) -> None:
    user = make_user(server, document(
        allow("iam:ListUsers", Condition={"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}),
        allow("cloudtrail:LookupEvents", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})))
    assert "Users" in user.client("iam").list_users()

    trail = user.client("cloudtrail")
    for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
        value = "for=10.1.2.3" if header == "Forwarded" else "10.1.2.3"
        trail.meta.events.register("before-sign.cloudtrail.LookupEvents",
                                   lambda request, header=header, value=value, **_: request.headers.add_header(
                                       header, value))
    code, message = error_of(trail.lookup_events, MaxResults=1)
    assert code == "AccessDeniedException"
    assert "cloudtrail:LookupEvents" in message


def test_assumed_role_session_is_the_intersection_with_its_session_policy(server) -> None:
    iam = server.client("iam")
    role = make_role(server)
    iam.attach_role_policy(RoleName=role["RoleName"], PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    user = make_user(server, document(allow("sts:AssumeRole", role["Arn"])))
    target = make_role(server)

    full = assume(user, role["Arn"])
    assert full.client("iam").get_role(RoleName=target["RoleName"])
    assert full.client("iam").list_users()
    assert error_of(full.client("iam").create_user, UserName=unique("x"))[0] == "AccessDenied"

    narrowed = assume(user, role["Arn"], Policy=document(allow("iam:GetRole")))
    assert narrowed.client("iam").get_role(RoleName=target["RoleName"])
    code, message = error_of(narrowed.client("iam").list_users)
    assert code == "AccessDenied"
    assert message.endswith("because no session policy allows the iam:ListUsers action")
    identity = narrowed.client("sts").get_caller_identity()
    assert identity["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role['RoleName']}/{narrowed.name}"
    assert identity["UserId"] == f"{role['RoleId']}:{narrowed.name}"


def test_trust_policy_that_does_not_name_the_caller_refuses(server) -> None:
    stranger = make_user(server, document(allow("sts:AssumeRole")))
    named = make_user(server)
    role = make_role(server, trust_policy=trust({"AWS": named.arn}))
    code, message = error_of(stranger.client("sts").assume_role, RoleArn=role["Arn"], RoleSessionName="s1")
    assert code == "AccessDenied"
    assert message.startswith(f"User: {stranger.arn} is not authorized to perform: sts:AssumeRole on resource: "
                              f"{role['Arn']}")
    # the trust policy names this user: no identity policy needed within the account
    session = assume(named, role["Arn"])
    assert session.client("sts").get_caller_identity()["Arn"].endswith(f"/{role['RoleName']}/{session.name}")


def test_trusting_the_account_still_needs_an_identity_policy(server) -> None:
    role = make_role(server)
    user = make_user(server)
    assert error_of(user.client("sts").assume_role, RoleArn=role["Arn"], RoleSessionName="s1")[0] == "AccessDenied"
    server.client("iam").put_user_policy(UserName=user.name, PolicyName="assume",
                                         PolicyDocument=document(allow("sts:AssumeRole", role["Arn"])))
    assert assume(user, role["Arn"]).token


def test_external_id_condition_in_the_trust_policy(server) -> None:
    user = make_user(server)
    role = make_role(server, trust_policy=trust({"AWS": user.arn},
                                                Condition={"StringEquals": {"sts:ExternalId": "secret-123"}}))
    assert error_of(user.client("sts").assume_role, RoleArn=role["Arn"], RoleSessionName="s1")[0] == "AccessDenied"
    assert error_of(user.client("sts").assume_role, RoleArn=role["Arn"], RoleSessionName="s1",
                    ExternalId="wrong-one")[0] == "AccessDenied"
    assert assume(user, role["Arn"], ExternalId="secret-123").token


def test_root_cannot_assume_roles(server) -> None:
    role = make_role(server)
    code, message = error_of(server.client("sts").assume_role, RoleArn=role["Arn"], RoleSessionName="s1")
    assert (code, message) == ("AccessDenied", "Roles may not be assumed by root accounts.")


def test_duration_is_capped_by_the_role(server) -> None:
    user = make_user(server)
    role = make_role(server, trust_policy=trust({"AWS": user.arn}))
    code, message = error_of(user.client("sts").assume_role, RoleArn=role["Arn"], RoleSessionName="s1",
                             DurationSeconds=7200)
    assert code == "ValidationError"
    assert message == "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."


def test_a_removed_policy_stops_allowing_at_once(server) -> None:
    role = make_role(server)
    user = make_user(server, document(allow("iam:GetRole")))
    assert user.client("iam").get_role(RoleName=role["RoleName"])
    server.client("iam").delete_user_policy(UserName=user.name, PolicyName="inline-0")
    assert error_of(user.client("iam").get_role, RoleName=role["RoleName"])[0] == "AccessDenied"


def test_group_policies_apply_to_members(server) -> None:
    iam = server.client("iam")
    group = unique("group")
    iam.create_group(GroupName=group)
    iam.attach_group_policy(GroupName=group, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    user = make_user(server)
    assert error_of(user.client("iam").list_roles)[0] == "AccessDenied"
    iam.add_user_to_group(GroupName=group, UserName=user.name)
    assert "Roles" in user.client("iam").list_roles()


def test_tag_conditions_on_principal_and_resource(server) -> None:
    iam = server.client("iam")
    red = make_role(server)
    blue = make_role(server)
    iam.tag_role(RoleName=red["RoleName"], Tags=[{"Key": "team", "Value": "red"}])
    iam.tag_role(RoleName=blue["RoleName"], Tags=[{"Key": "team", "Value": "blue"}])
    user = make_user(server, document(allow("iam:GetRole", Condition={
        "StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}})), tags={"team": "red"})
    assert user.client("iam").get_role(RoleName=red["RoleName"])
    assert error_of(user.client("iam").get_role, RoleName=blue["RoleName"])[0] == "AccessDenied"


def test_request_tag_conditions(server) -> None:
    user = make_user(server, document(allow("iam:CreateUser", Condition={
        "StringEquals": {"aws:RequestTag/cost-center": "42"}, "ForAllValues:StringEquals": {
            "aws:TagKeys": ["cost-center"]}})))
    iam = user.client("iam")
    assert error_of(iam.create_user, UserName=unique("u"))[0] == "AccessDenied"
    assert error_of(iam.create_user, UserName=unique("u"), Tags=[{"Key": "cost-center", "Value": "7"}])[0] \
        == "AccessDenied"
    assert iam.create_user(UserName=unique("u"), Tags=[{"Key": "cost-center", "Value": "42"}])["User"]


def test_username_variable_scopes_access_to_oneself(server) -> None:
    user = make_user(server, document(allow(["iam:ListAccessKeys", "iam:GetUser"],
                                            f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}")))
    other = make_user(server)
    iam = user.client("iam")
    assert iam.get_user(UserName=user.name)["User"]["Arn"] == user.arn
    assert iam.list_access_keys(UserName=user.name)["AccessKeyMetadata"][0]["AccessKeyId"] == user.key
    assert error_of(iam.list_access_keys, UserName=other.name)[0] == "AccessDenied"


def test_service_condition_key_from_the_request(server) -> None:
    user = make_user(server, document(allow("iam:AttachUserPolicy", Condition={
        "ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"}})))
    iam = user.client("iam")
    assert error_of(iam.attach_user_policy, UserName=user.name,
                    PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")[0] == "AccessDenied"
    iam.attach_user_policy(UserName=user.name, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")


def test_inactive_and_deleted_keys_are_refused(server) -> None:
    user = make_user(server)
    iam = server.client("iam")
    iam.update_access_key(UserName=user.name, AccessKeyId=user.key, Status="Inactive")
    assert error_of(user.client("sts").get_caller_identity)[0] == "InvalidClientTokenId"
    iam.update_access_key(UserName=user.name, AccessKeyId=user.key, Status="Active")
    assert user.client("sts").get_caller_identity()["Arn"] == user.arn
    iam.delete_access_key(UserName=user.name, AccessKeyId=user.key)
    assert error_of(user.client("sts").get_caller_identity)[0] == "InvalidClientTokenId"


def test_a_call_without_a_user_name_acts_on_the_calling_user(server) -> None:
    """IAM calls that default to the caller (ListAccessKeys, GetUser, … without UserName) are authorized against
    the caller's own ARN, so a policy naming ``user/${aws:username}`` allows them."""
    own = f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}"
    user = make_user(server, document(allow(["iam:ListAccessKeys", "iam:GetUser"], own)))
    iam = user.client("iam")
    assert [key["AccessKeyId"] for key in iam.list_access_keys()["AccessKeyMetadata"]] == [user.key]
    assert iam.get_user()["User"]["Arn"] == user.arn
    with pytest.raises(ClientError) as raised:
        iam.list_access_keys(UserName="someone-else")
    assert raised.value.response["Error"]["Code"] == "AccessDenied"


def test_aws_resource_account_is_the_account_that_owns_the_resource(server) -> None:
    """The usual data-perimeter guard — deny whatever is not the caller's own account's — lets the account's own
    resources through and stops another account's: aws:ResourceAccount is the account in the resource's ARN."""
    perimeter = deny(Condition={"StringNotEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}})
    guarded = make_user(server, document(allow(["iam:GetRole", "sts:AssumeRole"]), perimeter))
    unguarded = make_user(server, document(allow("sts:AssumeRole")))
    own = make_role(server)
    assert guarded.client("iam").get_role(RoleName=own["RoleName"])["Role"]["Arn"] == own["Arn"]

    other_iam = server.client("iam", aws_access_key_id=OTHER_ROOT_KEY, aws_secret_access_key=OTHER_ROOT_SECRET)
    theirs = other_iam.create_role(RoleName=unique("perimeter"),
                                   AssumeRolePolicyDocument=trust({"AWS": [guarded.arn, unguarded.arn]}))["Role"]
    code, message = error_of(guarded.client("sts").assume_role, RoleArn=theirs["Arn"], RoleSessionName="guarded")
    assert code == "AccessDenied" and "with an explicit deny in an identity-based policy" in message
    assert unguarded.client("sts").assume_role(RoleArn=theirs["Arn"], RoleSessionName="free")["AssumedRoleUser"]

    named = make_user(server, document(allow("iam:GetRole", Condition={
        "StringEquals": {"aws:ResourceAccount": ACCOUNT}})))
    assert named.client("iam").get_role(RoleName=own["RoleName"])
