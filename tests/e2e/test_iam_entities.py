"""IAM's entities through boto3: shapes, ids, ARNs, quotas, errors, pagination, the managed catalogue."""

from __future__ import annotations

import base64
import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest
from botocore.exceptions import ClientError

from tests.e2e.identities import ACCOUNT, allow, document, trust, unique
from tests.e2e.wire import FORM, send, signed_request

SLR_POLICY = "arn:aws:iam::aws:policy/aws-service-role/CustomerProfilesServiceLinkedRolePolicy"


@pytest.fixture
def iam(client):
    return client("iam")


def error_of(call, **kwargs) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    response = raised.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_user_lifecycle(iam) -> None:
    name = unique("alice")
    user = iam.create_user(UserName=name, Path="/staff/", Tags=[{"Key": "team", "Value": "red"}])["User"]
    assert re.fullmatch(r"AIDA[A-Z2-7]{17}", user["UserId"])
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/staff/{name}"
    assert user["Tags"] == [{"Key": "team", "Value": "red"}]
    assert iam.get_user(UserName=name)["User"]["UserId"] == user["UserId"]
    assert error_of(iam.create_user, UserName=name.upper()) == (
        "EntityAlreadyExists", f"User with name {name.upper()} already exists.", 409)
    renamed = unique("bob")
    iam.update_user(UserName=name, NewUserName=renamed, NewPath="/ops/")
    moved = iam.get_user(UserName=renamed)["User"]
    assert (moved["UserId"], moved["Arn"]) == (user["UserId"], f"arn:aws:iam::{ACCOUNT}:user/ops/{renamed}")
    assert renamed in [u["UserName"] for u in iam.list_users(PathPrefix="/ops/")["Users"]]
    assert renamed not in [u["UserName"] for u in iam.list_users(PathPrefix="/staff/")["Users"]]
    iam.delete_user(UserName=renamed)
    assert error_of(iam.get_user, UserName=renamed) == (
        "NoSuchEntity", f"The user with name {renamed} cannot be found.", 404)


def test_delete_conflicts_name_what_remains(iam) -> None:
    name = unique("user")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=document(allow()))
    iam.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    group = unique("group")
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=name)
    steps = [
        ("Cannot delete entity, must delete access keys first.",
         lambda: iam.delete_access_key(UserName=name, AccessKeyId=key)),
        ("Cannot delete entity, must delete policies first.",
         lambda: iam.delete_user_policy(UserName=name, PolicyName="p")),
        ("Cannot delete entity, must detach all policies first.",
         lambda: iam.detach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")),
        ("Cannot delete entity, must remove user from all groups first.",
         lambda: iam.remove_user_from_group(GroupName=group, UserName=name)),
    ]
    for message, fix in steps:
        assert error_of(iam.delete_user, UserName=name) == ("DeleteConflict", message, 409)
        fix()
    iam.delete_user(UserName=name)
    iam.delete_group(GroupName=group)


def test_groups_and_membership(iam) -> None:
    group, user = unique("group"), unique("user")
    created = iam.create_group(GroupName=group, Path="/g/")["Group"]
    assert re.fullmatch(r"AGPA[A-Z2-7]{17}", created["GroupId"])
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/g/{group}"
    iam.create_user(UserName=user)
    iam.add_user_to_group(GroupName=group, UserName=user)
    assert [u["UserName"] for u in iam.get_group(GroupName=group)["Users"]] == [user]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=user)["Groups"]] == [group]
    assert error_of(iam.delete_group, GroupName=group) == (
        "DeleteConflict", "Cannot delete entity, must remove users from group first.", 409)
    iam.remove_user_from_group(GroupName=group, UserName=user)
    assert iam.get_group(GroupName=group)["Users"] == []
    iam.delete_group(GroupName=group)


def test_role_shape_and_updates(iam) -> None:
    name = unique("role")
    policy = trust({"Service": "lambda.amazonaws.com"})
    role = iam.create_role(RoleName=name, Path="/app/", AssumeRolePolicyDocument=policy, Description="first",
                           MaxSessionDuration=7200, Tags=[{"Key": "env", "Value": "dev"}])["Role"]
    assert re.fullmatch(r"AROA[A-Z2-7]{17}", role["RoleId"])
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/app/{name}"
    assert role["AssumeRolePolicyDocument"] == json.loads(policy)
    assert (role["Description"], role["MaxSessionDuration"]) == ("first", 7200)
    got = iam.get_role(RoleName=name)["Role"]
    assert got["Tags"] == [{"Key": "env", "Value": "dev"}]
    assert got["RoleLastUsed"] == {}
    assert iam.get_role(RoleName=name)["Role"] == got  # read again from the cached answer and its kept XML
    iam.update_role(RoleName=name, Description="second", MaxSessionDuration=3600)
    assert iam.get_role(RoleName=name)["Role"]["MaxSessionDuration"] == 3600
    assert iam.update_role_description(RoleName=name, Description="third")["Role"]["Description"] == "third"
    new_trust = trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=new_trust)
    assert iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"] == json.loads(new_trust)
    assert [t["Key"] for t in iam.list_role_tags(RoleName=name)["Tags"]] == ["env"]
    iam.untag_role(RoleName=name, TagKeys=["env"])
    assert iam.list_role_tags(RoleName=name)["Tags"] == []
    assert "Tags" not in iam.get_role(RoleName=name)["Role"]  # the write dropped the cached answer
    iam.delete_role(RoleName=name)
    assert error_of(iam.get_role, RoleName=name)[0] == "NoSuchEntity"


def test_a_roles_sign_in_session_duration_is_kept_until_reset(iam) -> None:
    name = unique("signin")
    path = f"/{name}/"
    role = iam.create_role(RoleName=name, Path=path, MaxSigninSessionDuration=43200,
                           AssumeRolePolicyDocument=trust({"Service": "lambda.amazonaws.com"}))["Role"]
    assert role["MaxSigninSessionDuration"] == 43200
    assert iam.get_role(RoleName=name)["Role"]["MaxSigninSessionDuration"] == 43200
    iam.update_role(RoleName=name, MaxSigninSessionDuration=7200)
    assert [r["MaxSigninSessionDuration"] for r in iam.list_roles(PathPrefix=path)["Roles"]] == [7200]
    iam.update_role(RoleName=name, Description="kept")  # what an update leaves out stays
    assert iam.get_role(RoleName=name)["Role"]["MaxSigninSessionDuration"] == 7200
    assert error_of(iam.update_role, RoleName=name, MaxSigninSessionDuration=3600,
                    ResetMaxSigninSessionDuration=True) == (
        "InvalidInput", "You cannot specify MaxSigninSessionDuration and set ResetMaxSigninSessionDuration to true in "
                        "the same request.", 400)
    iam.update_role(RoleName=name, ResetMaxSigninSessionDuration=True)
    assert "MaxSigninSessionDuration" not in iam.get_role(RoleName=name)["Role"]  # unset: left out
    iam.delete_role(RoleName=name)


def test_trust_policies_are_validated(iam) -> None:
    code, message, status = error_of(iam.create_role, RoleName=unique("r"),
                                     AssumeRolePolicyDocument=document(allow("sts:AssumeRole")))
    assert (code, status) == ("MalformedPolicyDocument", 400)
    assert message == "Has prohibited field Resource" or message == "Missing required field Principal"
    for not_json in ("{nope", "[" * 2000):  # the second nests deeper than any JSON reader goes
        assert error_of(iam.create_role, RoleName=unique("r"), AssumeRolePolicyDocument=not_json)[:2] == (
            "MalformedPolicyDocument", "Syntax errors in policy.")


def test_an_action_with_a_trailing_newline_is_no_action(iam) -> None:
    assert error_of(iam.create_policy, PolicyName=unique("p"), PolicyDocument=document(allow("iam:GetUser\n")))[:2] \
        == ("MalformedPolicyDocument", "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")


def test_documents_are_stored_as_sent_and_returned_url_encoded(server) -> None:
    iam = server.client("iam")
    name = unique("user")
    iam.create_user(UserName=name)
    text = '{"Version": "2012-10-17",\n "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}'
    iam.put_user_policy(UserName=name, PolicyName="spaced", PolicyDocument=text)
    form = f"Action=GetUserPolicy&Version=2010-05-08&UserName={name}&PolicyName=spaced"
    body = send(signed_request(server.endpoint, "iam", "us-east-1", form, headers=FORM))[2].decode()
    assert f"<PolicyDocument>{quote(text, safe='')}</PolicyDocument>" in body
    assert iam.get_user_policy(UserName=name, PolicyName="spaced")["PolicyDocument"] == json.loads(text)


def test_inline_policies_for_every_kind(iam) -> None:
    user, group, role = unique("u"), unique("g"), unique("r")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    for kind, name in (("user", user), ("group", group), ("role", role)):
        title = kind.capitalize()
        put = getattr(iam, f"put_{kind}_policy")
        put(**{f"{title}Name": name, "PolicyName": "one", "PolicyDocument": document(allow("s3:*"))})
        put(**{f"{title}Name": name, "PolicyName": "two", "PolicyDocument": document(allow("sqs:*"))})
        assert getattr(iam, f"list_{kind}_policies")(**{f"{title}Name": name})["PolicyNames"] == ["one", "two"]
        got = getattr(iam, f"get_{kind}_policy")(**{f"{title}Name": name, "PolicyName": "two"})
        assert got["PolicyDocument"]["Statement"][0]["Action"] == "sqs:*"
        getattr(iam, f"delete_{kind}_policy")(**{f"{title}Name": name, "PolicyName": "one"})
        assert error_of(getattr(iam, f"get_{kind}_policy"), **{f"{title}Name": name, "PolicyName": "one"}) == (
            "NoSuchEntity", f"The {kind} policy with name one cannot be found.", 404)
        code, message, _ = error_of(put, **{f"{title}Name": name, "PolicyName": "bad",
                                            "PolicyDocument": document({"Effect": "Allow", "Action": "*"})})
        assert (code, message) == ("MalformedPolicyDocument", "Policy statement must contain resources.")


def test_inline_policy_size_limit(iam) -> None:
    name = unique("user")
    iam.create_user(UserName=name)
    big = document(allow([f"s3:Get{'X' * 40}{index}" for index in range(60)]))
    code, message, _ = error_of(iam.put_user_policy, UserName=name, PolicyName="big", PolicyDocument=big)
    assert (code, message) == ("LimitExceeded", f"Maximum policy size of 2048 bytes exceeded for user {name}")


def test_managed_policy_versions(iam) -> None:
    name = unique("policy")
    policy = iam.create_policy(PolicyName=name, Path="/p/", PolicyDocument=document(allow("s3:*")),
                               Description="d", Tags=[{"Key": "k", "Value": "v"}])["Policy"]
    arn = policy["Arn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:policy/p/{name}"
    assert re.fullmatch(r"ANPA[A-Z2-7]{17}", policy["PolicyId"])
    assert (policy["DefaultVersionId"], policy["AttachmentCount"], policy["IsAttachable"]) == ("v1", 0, True)
    assert error_of(iam.create_policy, PolicyName=name, PolicyDocument=document(allow()))[:2] == (
        "EntityAlreadyExists", f"A policy called {name} already exists. Duplicate names are not allowed.")
    for index in range(2, 6):
        version = iam.create_policy_version(PolicyArn=arn, PolicyDocument=document(allow(f"sqs:V{index}")),
                                            SetAsDefault=index == 3)["PolicyVersion"]
        assert version["VersionId"] == f"v{index}"
    code, message, _ = error_of(iam.create_policy_version, PolicyArn=arn, PolicyDocument=document(allow()))
    assert (code, message) == ("LimitExceeded", "A managed policy can have up to 5 versions. Before you create a "
                                                "new version, you must delete an existing version.")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    assert iam.get_policy_version(PolicyArn=arn, VersionId="v3")["PolicyVersion"]["Document"]["Statement"][0][
        "Action"] == "sqs:V3"
    assert error_of(iam.delete_policy_version, PolicyArn=arn, VersionId="v3")[:2] == (
        "DeleteConflict", "Cannot delete the default version of a policy.")
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    assert iam.create_policy_version(PolicyArn=arn, PolicyDocument=document(allow()))["PolicyVersion"][
        "VersionId"] == "v6"
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v6")
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert (versions[0]["VersionId"], versions[0]["IsDefaultVersion"]) == ("v6", True)
    assert error_of(iam.delete_policy, PolicyArn=arn)[0] == "DeleteConflict"
    for version in versions:
        if not version["IsDefaultVersion"]:
            iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
    iam.delete_policy(PolicyArn=arn)
    assert error_of(iam.get_policy, PolicyArn=arn)[:2] == (
        "NoSuchEntity", f"Policy {arn} does not exist or is not attachable.")


def test_attachments_and_entities_for_policy(iam) -> None:
    arn = iam.create_policy(PolicyName=unique("p"), PolicyDocument=document(allow()))["Policy"]["Arn"]
    user, group, role = unique("u"), unique("g"), unique("r")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 3
    entities = iam.list_entities_for_policy(PolicyArn=arn)
    assert [u["UserName"] for u in entities["PolicyUsers"]] == [user]
    assert [g["GroupName"] for g in entities["PolicyGroups"]] == [group]
    assert [r["RoleName"] for r in entities["PolicyRoles"]] == [role]
    only_roles = iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="Role")
    assert (only_roles["PolicyUsers"], len(only_roles["PolicyRoles"])) == ([], 1)
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"][0]["PolicyArn"] == arn
    assert error_of(iam.delete_policy, PolicyArn=arn)[:2] == (
        "DeleteConflict", "Cannot delete a policy attached to entities.")
    assert error_of(iam.delete_role, RoleName=role)[:2] == (
        "DeleteConflict", "Cannot delete entity, must detach all policies first.")
    iam.detach_role_policy(RoleName=role, PolicyArn=arn)
    assert error_of(iam.detach_role_policy, RoleName=role, PolicyArn=arn)[:2] == (
        "NoSuchEntity", f"Policy {arn} was not found.")
    iam.delete_role(RoleName=role)
    iam.detach_user_policy(UserName=user, PolicyArn=arn)
    iam.detach_group_policy(GroupName=group, PolicyArn=arn)
    iam.delete_policy(PolicyArn=arn)


def test_attached_policy_quota(iam) -> None:
    role = unique("r")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    for index in range(10):
        arn = iam.create_policy(PolicyName=unique(f"q{index}"), PolicyDocument=document(allow()))["Policy"]["Arn"]
        iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    assert error_of(iam.attach_role_policy, RoleName=role, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")[:2] \
        == ("LimitExceeded", "Cannot exceed quota for PoliciesPerRole: 10")


def test_aws_managed_catalogue_is_read_only(iam) -> None:
    slr = iam.get_policy(PolicyArn=SLR_POLICY)["Policy"]
    assert (slr["Path"], slr["DefaultVersionId"]) == ("/aws-service-role/", "v2")
    versions = {v["VersionId"] for v in iam.list_policy_versions(PolicyArn=SLR_POLICY)["Versions"]}
    assert versions == {"v1", "v2", "v3"}
    default = iam.get_policy_version(PolicyArn=SLR_POLICY, VersionId="v2")["PolicyVersion"]["Document"]
    actions = sorted(a for s in default["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str)
                                                               else s["Action"]))
    assert actions == ["cloudwatch:PutMetricData", "connect-campaigns:PutProfileOutboundRequestBatch",
                       "iam:DeleteRole", "profile:BatchGetProfile"]
    names = {p["PolicyName"] for p in iam.list_policies(Scope="AWS", MaxItems=1000)["Policies"]}
    assert {"AdministratorAccess", "ReadOnlyAccess", "IAMFullAccess", "CloudWatchFullAccess",
            "AmazonConnect_FullAccess", "CustomerProfilesServiceLinkedRolePolicy"} <= names
    local = iam.list_policies(Scope="Local", MaxItems=1000)["Policies"]
    assert all(not p["Arn"].startswith("arn:aws:iam::aws:") for p in local)
    code, message, status = error_of(iam.create_policy_version, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess",
                                     PolicyDocument=document(allow()))
    assert (code, status) == ("AccessDenied", 403)
    assert message.endswith("iam:CreatePolicyVersion on resource: arn:aws:iam::aws:policy/ReadOnlyAccess "
                            "because no resource-based policy allows the iam:CreatePolicyVersion action")
    assert error_of(iam.delete_policy, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")[0] == "AccessDenied"


def test_service_linked_role_policy_cannot_be_attached(iam) -> None:
    user, role = unique("u"), unique("r")
    iam.create_user(UserName=user)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    for call, kwargs in ((iam.attach_user_policy, {"UserName": user}), (iam.attach_role_policy, {"RoleName": role})):
        assert error_of(call, PolicyArn=SLR_POLICY, **kwargs) == (
            "PolicyNotAttachable", "Cannot attach a Service Role Policy to a Customer Role.", 400)


def test_access_keys(iam) -> None:
    name = unique("user")
    iam.create_user(UserName=name)
    first = iam.create_access_key(UserName=name)["AccessKey"]
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", first["AccessKeyId"])
    assert len(first["SecretAccessKey"]) == 40 and first["Status"] == "Active"
    iam.create_access_key(UserName=name)
    assert error_of(iam.create_access_key, UserName=name)[:2] == (
        "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")
    listed = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert len(listed) == 2 and all("SecretAccessKey" not in key for key in listed)
    assert iam.get_access_key_last_used(AccessKeyId=first["AccessKeyId"])["AccessKeyLastUsed"] == {
        "ServiceName": "N/A", "Region": "N/A"}
    assert error_of(iam.delete_access_key, UserName=name, AccessKeyId="AKIAAAAAAAAAAAAAAAAA")[:2] == (
        "NoSuchEntity", "The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found.")


def test_access_key_last_used_comes_from_real_calls(server) -> None:
    import time

    from tests.e2e.identities import make_user

    user = make_user(server)
    user.client("sts", "eu-west-2").get_caller_identity()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        used = server.client("iam").get_access_key_last_used(AccessKeyId=user.key)
        if "LastUsedDate" in used["AccessKeyLastUsed"]:
            break
        time.sleep(0.1)
    assert used["UserName"] == user.name
    assert (used["AccessKeyLastUsed"]["ServiceName"], used["AccessKeyLastUsed"]["Region"]) == ("sts", "eu-west-2")


def test_pagination_on_lists(iam) -> None:
    prefix = f"/{unique('page')}/"
    names = sorted(unique("u") for _ in range(5))
    for name in names:
        iam.create_user(UserName=name, Path=prefix)
    first = iam.list_users(PathPrefix=prefix, MaxItems=2)
    assert first["IsTruncated"] is True and len(first["Users"]) == 2
    seen = [u["UserName"] for u in first["Users"]]
    marker = first["Marker"]
    while marker:
        page = iam.list_users(PathPrefix=prefix, MaxItems=2, Marker=marker)
        seen += [u["UserName"] for u in page["Users"]]
        marker = page.get("Marker")
    assert seen == names
    paginated = [u["UserName"] for page in iam.get_paginator("list_users").paginate(
        PathPrefix=prefix, PaginationConfig={"PageSize": 3}) for u in page["Users"]]
    assert paginated == names
    for marker in ("garbage", base64.urlsafe_b64encode(b"offset:-2").decode()):  # a negative offset read the end
        assert error_of(iam.list_users, Marker=marker) == ("ValidationError", "Invalid Marker.", 400)


# kind: (how to make one under a path, the listing, its result key, the item's name, how to delete one)
SWEPT = {
    "roles": (lambda iam, name, path: iam.create_role(
        RoleName=name, Path=path, AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"})),
        "list_roles", "Roles", "RoleName", lambda iam, item: iam.delete_role(RoleName=item["RoleName"])),
    "users": (lambda iam, name, path: iam.create_user(UserName=name, Path=path),
              "list_users", "Users", "UserName", lambda iam, item: iam.delete_user(UserName=item["UserName"])),
    "groups": (lambda iam, name, path: iam.create_group(GroupName=name, Path=path),
               "list_groups", "Groups", "GroupName", lambda iam, item: iam.delete_group(GroupName=item["GroupName"])),
    "instance profiles": (
        lambda iam, name, path: iam.create_instance_profile(InstanceProfileName=name, Path=path),
        "list_instance_profiles", "InstanceProfiles", "InstanceProfileName",
        lambda iam, item: iam.delete_instance_profile(InstanceProfileName=item["InstanceProfileName"])),
    "policies": (
        lambda iam, name, path: iam.create_policy(PolicyName=name, Path=path, PolicyDocument=document(allow())),
        "list_policies", "Policies", "PolicyName", lambda iam, item: iam.delete_policy(PolicyArn=item["Arn"])),
}


@pytest.mark.parametrize("kind", SWEPT)
def test_deleting_what_each_page_shows_leaves_none_behind(iam, kind: str) -> None:
    """A clean-up script's loop: each page's items deleted before the next page is asked for. The marker names the
    last item a page answered, so the next page starts after it: with a marker counting items, every page after
    the first skipped as many as had been deleted."""
    make, listing, key, name_of, remove = SWEPT[kind]
    path = f"/{unique('sweep')}/"
    names = sorted(unique("s") for _ in range(7))
    for name in names:
        make(iam, name, path)
    scope = {"Scope": "Local"} if kind == "policies" else {}
    deleted = []
    for page in iam.get_paginator(listing).paginate(PathPrefix=path, PaginationConfig={"PageSize": 2}, **scope):
        for item in page[key]:
            remove(iam, item)
            deleted.append(item[name_of])
    assert deleted == names
    assert getattr(iam, listing)(PathPrefix=path, **scope)[key] == []


def test_emptying_a_role_page_by_page_leaves_nothing_attached(iam) -> None:
    """Before deleting a role a script detaches its policies, deletes its inline ones and untags it, a page at a
    time: each listing pages on after the last item it answered."""
    role = unique("emptied")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    managed = ["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/AdministratorAccess",
               "arn:aws:iam::aws:policy/AmazonConnectReadOnlyAccess"]
    for arn in managed:
        iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    for name in ("p1", "p2", "p3"):
        iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=document(allow()))
    iam.tag_role(RoleName=role, Tags=[{"Key": key, "Value": "v"} for key in ("k1", "k2", "k3")])
    one_at_a_time = {"PaginationConfig": {"PageSize": 1}}
    detached = []
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=role, **one_at_a_time):
        for policy in page["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=role, PolicyArn=policy["PolicyArn"])
            detached.append(policy["PolicyArn"])
    removed = []
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=role, **one_at_a_time):
        for name in page["PolicyNames"]:
            iam.delete_role_policy(RoleName=role, PolicyName=name)
            removed.append(name)
    untagged = []
    for page in iam.get_paginator("list_role_tags").paginate(RoleName=role, **one_at_a_time):
        iam.untag_role(RoleName=role, TagKeys=[tag["Key"] for tag in page["Tags"]])
        untagged += [tag["Key"] for tag in page["Tags"]]
    assert (sorted(detached), removed, untagged) == (sorted(managed), ["p1", "p2", "p3"], ["k1", "k2", "k3"])
    iam.delete_role(RoleName=role)


def test_detaching_a_policy_from_the_entities_each_page_shows_leaves_it_unattached(iam) -> None:
    """Before deleting a policy a script detaches it from every user, group and role that ListEntitiesForPolicy
    shows, page by page."""
    arn = iam.create_policy(PolicyName=unique("shared"), PolicyDocument=document(allow()))["Policy"]["Arn"]
    for _ in range(3):
        role, user, group = unique("r"), unique("u"), unique("g")
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
        iam.attach_role_policy(RoleName=role, PolicyArn=arn)
        iam.create_user(UserName=user)
        iam.attach_user_policy(UserName=user, PolicyArn=arn)
        iam.create_group(GroupName=group)
        iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    detached = []
    for page in iam.get_paginator("list_entities_for_policy").paginate(PolicyArn=arn,
                                                                      PaginationConfig={"PageSize": 2}):
        for item in page["PolicyRoles"]:
            iam.detach_role_policy(RoleName=item["RoleName"], PolicyArn=arn)
        for item in page["PolicyUsers"]:
            iam.detach_user_policy(UserName=item["UserName"], PolicyArn=arn)
        for item in page["PolicyGroups"]:
            iam.detach_group_policy(GroupName=item["GroupName"], PolicyArn=arn)
        detached += page["PolicyRoles"] + page["PolicyUsers"] + page["PolicyGroups"]
    assert len(detached) == 9
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 0
    iam.delete_policy(PolicyArn=arn)


def test_pages_by_marker_take_in_what_changed_behind_and_ahead(iam) -> None:
    """Users made between pages: one sorting before the marker is not shown again, nor does it push the next page
    back over the last one; one after it is listed in its place. A marker of the offset kind (earlier versions)
    still reads."""
    name = unique("moving")
    path = f"/{name}/"
    for suffix in ("b1", "b2", "b3", "b4"):
        iam.create_user(UserName=f"{name}-{suffix}", Path=path)

    def names(page: dict) -> list[str]:
        return [user["UserName"].rpartition("-")[2] for user in page["Users"]]

    first = iam.list_users(PathPrefix=path, MaxItems=2)
    assert names(first) == ["b1", "b2"]
    iam.create_user(UserName=f"{name}-a0", Path=path)
    iam.create_user(UserName=f"{name}-b25", Path=path)
    rest = iam.list_users(PathPrefix=path, MaxItems=10, Marker=first["Marker"])
    assert (names(rest), rest["IsTruncated"]) == (["b25", "b3", "b4"], False)
    by_offset = iam.list_users(PathPrefix=path, Marker=base64.urlsafe_b64encode(b"offset:4").decode())
    assert names(by_offset) == ["b3", "b4"]


def test_account_authorization_details(iam) -> None:
    user, group, role = unique("u"), unique("g"), unique("r")
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="gp", PolicyDocument=document(allow("sqs:*")))
    iam.create_user(UserName=user)
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.attach_user_policy(UserName=user, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    details = {}
    for page in iam.get_paginator("get_account_authorization_details").paginate(
            PaginationConfig={"PageSize": 7}):
        for key in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"):
            details.setdefault(key, []).extend(page[key])
    users = {u["UserName"]: u for u in details["UserDetailList"]}
    assert users[user]["GroupList"] == [group]
    assert users[user]["AttachedManagedPolicies"] == [{"PolicyName": "IAMReadOnlyAccess",
                                                       "PolicyArn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"}]
    groups = {g["GroupName"]: g for g in details["GroupDetailList"]}
    assert groups[group]["GroupPolicyList"][0]["PolicyDocument"]["Statement"][0]["Action"] == "sqs:*"
    roles = {r["RoleName"]: r for r in details["RoleDetailList"]}
    assert roles[role]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    policies = {p["Arn"]: p for p in details["Policies"]}
    read_only = policies["arn:aws:iam::aws:policy/IAMReadOnlyAccess"]
    assert read_only["PolicyVersionList"][0]["Document"]["Version"] == "2012-10-17"
    only_roles = iam.get_account_authorization_details(Filter=["Role"])
    assert only_roles["UserDetailList"] == [] and only_roles["RoleDetailList"]


def test_tags_on_policies_and_users(iam) -> None:
    arn = iam.create_policy(PolicyName=unique("p"), PolicyDocument=document(allow()))["Policy"]["Arn"]
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    iam.untag_policy(PolicyArn=arn, TagKeys=["a"])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    name = unique("u")
    iam.create_user(UserName=name)
    iam.tag_user(UserName=name, Tags=[{"Key": f"k{index}", "Value": "v"} for index in range(50)])
    assert error_of(iam.tag_user, UserName=name, Tags=[{"Key": "one-more", "Value": "v"}])[:2] == (
        "LimitExceeded", "Cannot exceed quota for TagsPerUser: 50")
    iam.tag_user(UserName=name, Tags=[{"Key": "K0", "Value": "replaced"}])
    assert len(iam.list_user_tags(UserName=name, MaxItems=100)["Tags"]) == 50


def test_policy_listings_count_attachments_and_boundaries(iam) -> None:
    """ListPolicies' counts, and its filters by them, agree with GetPolicy's (worked out for the whole listing at
    once, not per policy)."""
    path = f"/{unique('usage')}/"
    arns = {name: iam.create_policy(PolicyName=f"{name}{unique('')}", Path=path, PolicyDocument=document(allow()))[
        "Policy"]["Arn"] for name in ("attached", "bounding", "unused")}
    user, role = unique("u"), unique("r")
    iam.create_user(UserName=user, PermissionsBoundary=arns["bounding"])
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}),
                    PermissionsBoundary=arns["bounding"])
    iam.attach_user_policy(UserName=user, PolicyArn=arns["attached"])
    iam.attach_role_policy(RoleName=role, PolicyArn=arns["attached"])
    iam.attach_role_policy(RoleName=role, PolicyArn=arns["bounding"])

    def listed(**filters) -> dict[str, tuple[int, int]]:
        return {policy["Arn"]: (policy["AttachmentCount"], policy["PermissionsBoundaryUsageCount"])
                for policy in iam.list_policies(Scope="Local", PathPrefix=path, **filters)["Policies"]}

    expected = {arns["attached"]: (2, 0), arns["bounding"]: (1, 2), arns["unused"]: (0, 0)}
    assert listed() == expected
    assert {arn: (policy["AttachmentCount"], policy["PermissionsBoundaryUsageCount"]) for arn in arns.values()
            for policy in [iam.get_policy(PolicyArn=arn)["Policy"]]} == expected
    assert set(listed(OnlyAttached=True)) == set(listed(PolicyUsageFilter="PermissionsPolicy")) == {
        arns["attached"], arns["bounding"]}
    assert set(listed(PolicyUsageFilter="PermissionsBoundary")) == {arns["bounding"]}


def test_permissions_boundary_shape(iam) -> None:
    name = unique("u")
    iam.create_user(UserName=name, PermissionsBoundary="arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert iam.get_user(UserName=name)["User"]["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
    usage = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")["Policy"]
    assert usage["PermissionsBoundaryUsageCount"] >= 1
    assert error_of(iam.create_user, UserName=unique("u"),
                    PermissionsBoundary=f"arn:aws:iam::{ACCOUNT}:policy/missing")[0] == "NoSuchEntity"
    role = unique("r")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    iam.put_role_permissions_boundary(RoleName=role, PermissionsBoundary="arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert iam.get_role(RoleName=role)["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"].endswith(
        "/ReadOnlyAccess")
    iam.delete_role_permissions_boundary(RoleName=role)
    assert "PermissionsBoundary" not in iam.get_role(RoleName=role)["Role"]


def test_state_survives_a_restart(server) -> None:
    iam = server.client("iam")
    name = unique("durable")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    server.restart()
    assert server.client("iam").get_role(RoleName=name)["Role"]["RoleName"] == name


def test_instance_profiles(iam) -> None:
    name, role = unique("ip"), unique("r")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    profile = iam.create_instance_profile(InstanceProfileName=name, Path="/ec2/",
                                          Tags=[{"Key": "k", "Value": "v"}])["InstanceProfile"]
    assert re.fullmatch(r"AIPA[A-Z2-7]{17}", profile["InstanceProfileId"])
    assert profile["Arn"] == f"arn:aws:iam::{ACCOUNT}:instance-profile/ec2/{name}"
    assert profile["Roles"] == []
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)
    assert [r["RoleName"] for r in iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Roles"]] \
        == [role]
    other = unique("r")
    iam.create_role(RoleName=other, AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    assert error_of(iam.add_role_to_instance_profile, InstanceProfileName=name, RoleName=other)[:2] == (
        "LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
    assert [p["InstanceProfileName"] for p in iam.list_instance_profiles_for_role(RoleName=role)[
        "InstanceProfiles"]] == [name]
    assert error_of(iam.delete_role, RoleName=role)[:2] == (
        "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.")
    assert error_of(iam.delete_instance_profile, InstanceProfileName=name)[0] == "DeleteConflict"
    iam.remove_role_from_instance_profile(InstanceProfileName=name, RoleName=role)
    iam.delete_instance_profile(InstanceProfileName=name)
    iam.delete_role(RoleName=role)
    assert error_of(iam.get_instance_profile, InstanceProfileName=name)[0] == "NoSuchEntity"



def test_callers_creating_one_user_at_once_get_one_user_and_entity_already_exists(server) -> None:
    # On PostgreSQL requests run on threads: several may find the name free before one of them inserts it.
    body = f"Action=CreateUser&Version=2010-05-08&UserName={unique('racer')}"
    request = signed_request(f"{server.endpoint}/", "iam", "us-east-1", body, headers=FORM)
    start = threading.Barrier(16)

    def create(_index: int) -> int:
        start.wait()
        return send(request)[0]

    with ThreadPoolExecutor(16) as pool:
        statuses = sorted(pool.map(create, range(16)))
    assert statuses == [200] + [409] * 15  # 409 EntityAlreadyExists, never a 500
