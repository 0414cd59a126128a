"""SimulatePrincipalPolicy and SimulateCustomPolicy run the enforcing engine."""

from __future__ import annotations

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.e2e.identities import ACCOUNT, allow, document, unique


@pytest.fixture
def iam(client):
    return client("iam")


def test_simulate_principal_policy_reports_decisions_and_statements(iam) -> None:
    name = unique("u")
    iam.create_user(UserName=name)
    text = '{"Version": "2012-10-17",\n "Statement": [\n  {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},' \
           '\n  {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}\n ]}'
    iam.put_user_policy(UserName=name, PolicyName="storage", PolicyDocument=text)
    results = iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/{name}",
        ActionNames=["s3:GetObject", "s3:DeleteBucket", "sqs:SendMessage"])["EvaluationResults"]
    decisions = {r["EvalActionName"]: r for r in results}
    assert decisions["s3:GetObject"]["EvalDecision"] == "allowed"
    assert decisions["s3:GetObject"]["MatchedStatements"] == [{
        "SourcePolicyId": "storage", "SourcePolicyType": "user",
        "StartPosition": {"Line": 3, "Column": 3}, "EndPosition": {"Line": 3, "Column": 57}}]
    assert decisions["s3:DeleteBucket"]["EvalDecision"] == "explicitDeny"
    assert decisions["s3:DeleteBucket"]["MatchedStatements"][0]["StartPosition"]["Line"] == 4
    assert decisions["sqs:SendMessage"]["EvalDecision"] == "implicitDeny"


def test_simulate_includes_group_and_managed_policies_and_boundaries(iam) -> None:
    user, group = unique("u"), unique("g")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.attach_group_policy(GroupName=group, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    arn = f"arn:aws:iam::{ACCOUNT}:user/{user}"
    result = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["iam:GetRole"])["EvaluationResults"][0]
    assert result["EvalDecision"] == "allowed"
    assert result["MatchedStatements"][0]["SourcePolicyId"] == "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
    assert result["MatchedStatements"][0]["SourcePolicyType"] == "aws-managed"
    capped = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["iam:GetRole"],
                                           PermissionsBoundaryPolicyInputList=[document(allow("s3:*"))]
                                           )["EvaluationResults"][0]
    assert capped["EvalDecision"] == "implicitDeny"
    assert capped["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}


def test_an_exclusion_list_simulates_without_the_policies_it_names(iam) -> None:
    user, group, prefix = unique("sim"), unique("g"), unique("queue")
    boundary = iam.create_policy(PolicyName=unique("boundary"),
                                 PolicyDocument=document(allow(["s3:*", "iam:Get*"])))["Policy"]["Arn"]
    queues = iam.create_policy(PolicyName=f"{prefix}-writer", PolicyDocument=document(allow("sqs:*")))["Policy"]["Arn"]
    iam.create_user(UserName=user, PermissionsBoundary=boundary)
    iam.put_user_policy(UserName=user, PolicyName="reads", PolicyDocument=document(allow("s3:GetObject")))
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.attach_group_policy(GroupName=group, PolicyArn=queues)
    iam.attach_group_policy(GroupName=group, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    actions = ["s3:GetObject", "sqs:SendMessage", "iam:GetRole"]

    def decisions(*excluded: dict) -> list[str]:
        return [result["EvalDecision"] for result in iam.simulate_principal_policy(
            PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/{user}", ActionNames=actions,
            PolicyExclusionList=list(excluded))["EvaluationResults"]]

    assert decisions() == ["allowed", "implicitDeny", "allowed"]  # the boundary leaves SQS out
    assert decisions({"PolicyType": "permission-boundary"}) == ["allowed", "allowed", "allowed"]
    assert decisions({"PolicyType": "inline"}) == ["implicitDeny", "implicitDeny", "allowed"]
    assert decisions({"PolicyType": "aws-managed"}) == ["allowed", "implicitDeny", "implicitDeny"]
    assert decisions({"PolicyType": "permission-boundary"}, {"PolicyType": "user-managed"}) == [
        "allowed", "implicitDeny", "allowed"]
    assert decisions({"PolicyType": "permission-boundary"},
                     {"PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/{prefix}-*"}) == [
        "allowed", "implicitDeny", "allowed"]
    assert decisions({"PolicyArn": "arn:aws:iam::aws:policy/IAMReadOnly?ccess"}) == [
        "allowed", "implicitDeny", "implicitDeny"]
    assert decisions({"InlinePolicyIdentifier": {"PolicyName": "reads", "AttachmentType": "user",
                                                 "AttachmentName": user}}) == [
        "implicitDeny", "implicitDeny", "allowed"]
    assert decisions({"InlinePolicyIdentifier": {"PolicyName": "reads", "AttachmentType": "group",  # not the user's
                                                 "AttachmentName": group}}, {"PolicyType": "scp"}) == [
        "allowed", "implicitDeny", "allowed"]
    for wrong in ({"PolicyArn": "arn:aws:iam::*:policy/x"}, {"PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/a*b*"}):
        with pytest.raises(ClientError) as raised:
            decisions(wrong)
        assert raised.value.response["Error"]["Code"] == "InvalidInput"


def _create_user_simulated(iam, policy: str, *context_entries: dict) -> dict:
    """The first evaluation result of ``iam:CreateUser`` under ``policy`` and the given context entries."""
    return iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["iam:CreateUser"],
                                      ContextEntries=list(context_entries))["EvaluationResults"][0]


def test_simulate_custom_policy_with_context_and_missing_values(iam) -> None:
    policy = document(allow("iam:CreateUser", Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-2"}}))
    missing = _create_user_simulated(iam, policy)
    assert missing["EvalDecision"] == "implicitDeny"
    assert missing["MissingContextValues"] == ["aws:requestedregion"]
    matched = _create_user_simulated(iam, policy, {"ContextKeyName": "aws:RequestedRegion",
                                                   "ContextKeyValues": ["eu-west-2"], "ContextKeyType": "string"})
    assert matched["EvalDecision"] == "allowed"
    assert matched["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.1"


def test_simulate_with_resources_and_resource_policy(iam) -> None:
    caller = f"arn:aws:iam::{ACCOUNT}:user/someone"
    results = iam.simulate_custom_policy(
        PolicyInputList=[document(allow("sqs:*", f"arn:aws:sqs:us-east-1:{ACCOUNT}:mine"))],
        ActionNames=["sqs:SendMessage"],
        ResourceArns=[f"arn:aws:sqs:us-east-1:{ACCOUNT}:mine", f"arn:aws:sqs:us-east-1:{ACCOUNT}:theirs"],
        CallerArn=caller)["EvaluationResults"]
    assert [r["EvalDecision"] for r in results] == ["allowed", "implicitDeny"]
    refusing = document({"Effect": "Deny", "Principal": {"AWS": caller}, "Action": "sqs:*", "Resource": "*"})
    denied = iam.simulate_custom_policy(PolicyInputList=[document(allow())], ActionNames=["sqs:SendMessage"],
                                        ResourceArns=[f"arn:aws:sqs:us-east-1:{ACCOUNT}:mine"], CallerArn=caller,
                                        ResourcePolicy=refusing)["EvaluationResults"][0]
    assert denied["EvalDecision"] == "explicitDeny"
    assert denied["MatchedStatements"][0]["SourcePolicyType"] == "resource"


@pytest.mark.parametrize(("owner", "identity_allows", "decision"), [
    (None, False, "allowed"),  # the caller's own account owns the object: its resource policy alone allows
    (ACCOUNT, False, "allowed"),
    (f"arn:aws:iam::{ACCOUNT}:root", False, "allowed"),
    ("111122223333", False, "implicitDeny"),  # another account's object: both sides must allow
    ("arn:aws:iam::111122223333:root", True, "allowed"),
])
def test_the_resource_owner_decides_whether_a_resource_policy_alone_allows(iam, owner, identity_allows,
                                                                         decision) -> None:
    caller = f"arn:aws:iam::{ACCOUNT}:user/someone"
    bucket = document({"Effect": "Allow", "Principal": {"AWS": caller}, "Action": "s3:GetObject",
                       "Resource": "arn:aws:s3:::shared/*"})
    identity = document(allow("s3:GetObject") if identity_allows else allow("sqs:ListQueues"))
    given = {"ResourceOwner": owner} if owner else {}
    result = iam.simulate_custom_policy(PolicyInputList=[identity], ActionNames=["s3:GetObject"],
                                        ResourceArns=["arn:aws:s3:::shared/report.csv"], ResourcePolicy=bucket,
                                        CallerArn=caller, **given)["EvaluationResults"][0]
    assert result["EvalDecision"] == decision


def test_simulation_errors(iam) -> None:
    with pytest.raises(ClientError) as raised:
        iam.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/{unique('ghost')}",
                                      ActionNames=["s3:GetObject"])
    assert raised.value.response["Error"]["Code"] == "NoSuchEntity"
    with pytest.raises(ClientError) as raised:
        iam.simulate_custom_policy(PolicyInputList=["{bad"], ActionNames=["s3:GetObject"])
    assert raised.value.response["Error"]["Code"] == "MalformedPolicyDocument"
    with pytest.raises(ClientError) as raised:
        iam.simulate_custom_policy(PolicyInputList=[document(allow())], ActionNames=["s3:GetObject"],
                                   ResourceOwner="arn:aws:iam::someone:root")
    assert raised.value.response["Error"] == {
        "Type": "Sender", "Code": "InvalidInput",
        "Message": "Invalid ResourceOwner: arn:aws:iam::someone:root names no account."}
    with pytest.raises(ClientError) as raised:  # the model requires no member of an entry (once a 500)
        iam.simulate_custom_policy(PolicyInputList=[document(allow())], ActionNames=["s3:GetObject"],
                                   ContextEntries=[{"ContextKeyValues": ["x"], "ContextKeyType": "string"}])
    assert raised.value.response["Error"]["Code"] == "InvalidInput"
    assert "ContextKeyName" in raised.value.response["Error"]["Message"]


def test_simulation_takes_the_time_from_its_context_only(iam) -> None:
    after_2020 = {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}
    policy = document(allow("iam:CreateUser", Condition=after_2020))
    missing = _create_user_simulated(iam, policy)
    assert missing["EvalDecision"] == "implicitDeny"
    assert missing["MissingContextValues"] == ["aws:currenttime"]
    given = _create_user_simulated(iam, policy, {"ContextKeyName": "aws:CurrentTime", "ContextKeyType": "date",
                                                 "ContextKeyValues": ["2026-11-26T00:00:00Z"]})
    assert given["EvalDecision"] == "allowed"


def test_context_keys_of_custom_and_principal_policies(iam) -> None:
    mfa = allow("s3:GetObject", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"},
                                           "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    tagged = allow("ec2:*", Condition={"StringEquals": {"aws:ResourceTag/team": "red",
                                                        "AWS:SOURCEIP": "10.0.0.1"}})  # one key, two spellings
    assert iam.get_context_keys_for_custom_policy(PolicyInputList=[document(mfa), document(tagged)])[
        "ContextKeyNames"] == ["aws:MultiFactorAuthPresent", "aws:ResourceTag/team", "aws:SourceIp"]

    user, group = unique("u"), unique("g")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="own", PolicyDocument=document(mfa))
    iam.put_group_policy(GroupName=group, PolicyName="team", PolicyDocument=document(
        allow("sqs:*", Condition={"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}})))
    keys = iam.get_context_keys_for_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/{user}",
        PolicyInputList=[document(allow("sns:*", Condition={"StringLike": {"sns:Protocol": "https"}}))])
    assert keys["ContextKeyNames"] == ["aws:CurrentTime", "aws:MultiFactorAuthPresent", "aws:SourceIp",
                                       "sns:Protocol"]
    assert iam.get_context_keys_for_principal_policy(PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:group/{group}")[
        "ContextKeyNames"] == ["aws:CurrentTime"]
    with pytest.raises(ClientError) as raised:
        iam.get_context_keys_for_principal_policy(PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/{unique('none')}")
    assert raised.value.response["Error"]["Code"] == "NoSuchEntity"


def test_service_control_policies_must_allow_at_every_level_of_the_organization(iam) -> None:
    everything = document(allow("*", "*"))
    no_iam_deletes = document({"Effect": "Deny", "Action": "iam:Delete*", "Resource": "*"})
    profiles_only = document(allow(["profile:*", "iam:Get*"], "*"))

    def simulate(actions: list[str], *levels: list[str]) -> dict[str, dict]:
        answer = iam.simulate_custom_policy(PolicyInputList=[everything], ActionNames=actions,
                                            OrderedOrganizationPolicyInputList=[
                                                {"ServiceControlPolicyInputList": level} for level in levels])
        return {result["EvalActionName"]: result for result in answer["EvaluationResults"]}

    # root allows all, the OU denies IAM deletes, the account allows Customer Profiles and IAM reads
    found = simulate(["profile:SearchProfiles", "iam:GetRole", "iam:DeleteRole", "sts:AssumeRole"],
                     [everything], [everything, no_iam_deletes], [profiles_only])
    assert {action: (result["EvalDecision"], result["OrganizationsDecisionDetail"]["AllowedByOrganizations"])
            for action, result in found.items()} == {
        "profile:SearchProfiles": ("allowed", True), "iam:GetRole": ("allowed", True),
        "iam:DeleteRole": ("explicitDeny", False), "sts:AssumeRole": ("implicitDeny", False)}
    denied = found["iam:DeleteRole"]["MatchedStatements"]
    assert [statement["SourcePolicyId"] for statement in denied] == [
        "OrderedOrganizationPolicyInputList.2.ServiceControlPolicyInputList.2"]
    # a level with no policy allowing the action denies it, whatever the identity policies say
    assert simulate(["profile:SearchProfiles"], [everything], [])["profile:SearchProfiles"]["EvalDecision"] == (
        "implicitDeny")
    # without service control policies there is no Organizations detail
    plain = iam.simulate_custom_policy(PolicyInputList=[everything], ActionNames=["iam:GetRole"])
    assert "OrganizationsDecisionDetail" not in plain["EvaluationResults"][0]
    assert simulate(["iam:GetRole"], *[[everything]] * 7)["iam:GetRole"]["EvalDecision"] == "allowed"
    with pytest.raises(ClientError) as raised:  # the root, five organizational units and the account at most
        simulate(["iam:GetRole"], *[[everything]] * 8)
    assert raised.value.response["Error"]["Code"] == "ValidationError"


def test_a_pattern_of_many_wildcards_is_decided_at_once(server) -> None:
    """A policy anyone may hand the engine (a simulated one, a session policy) with many *s against a long ARN.
    Before, its regex backtracked through every placement of the *s and the server's request thread was taken for
    hours; a client that waits 20 seconds now gets both decisions."""
    iam = server.client("iam", config=Config(read_timeout=20, retries={"total_max_attempts": 1}))
    stars = "*a" * 30
    policy = document({"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{stars}b",
                       "Condition": {"StringLike": {"s3:prefix": f"{stars}b"}}})
    decisions = [iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["s3:GetObject"],
                                            ResourceArns=[f"arn:aws:s3:::{'a' * 400}{end}"], ContextEntries=[{
                                                "ContextKeyName": "s3:prefix", "ContextKeyType": "string",
                                                "ContextKeyValues": ["a" * 400 + end]}],
                                            )["EvaluationResults"][0]["EvalDecision"] for end in ("", "b")]
    assert decisions == ["implicitDeny", "allowed"]
