"""STS role sessions end to end: credentials, expiry, audit, and the AWS CLI."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from tests.e2e.cli import AwsCli
from tests.e2e.errors import refused
from tests.e2e.identities import ACCOUNT, allow, assume, document, make_user, trust, unique
from tests.e2e.waiting import wait_for
from tests.e2e.wire import signed_later


def test_temporary_credentials_shape(server) -> None:
    user = make_user(server)
    role = server.client("iam").create_role(RoleName=unique("role"), AssumeRolePolicyDocument=document(
        {"Effect": "Allow", "Principal": {"AWS": user.arn}, "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"]}
    ))["Role"]
    answer = user.client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="build-42", DurationSeconds=900,
                                            SourceIdentity="ci-runner")
    credentials = answer["Credentials"]
    assert re.fullmatch(r"ASIA[A-Z2-7]{16}", credentials["AccessKeyId"])
    assert len(credentials["SecretAccessKey"]) == 40 and len(credentials["SessionToken"]) > 100
    lifetime = credentials["Expiration"].timestamp() - time.time()
    assert 880 < lifetime <= 901
    assert answer["AssumedRoleUser"] == {"AssumedRoleId": f"{role['RoleId']}:build-42",
                                         "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role['RoleName']}/build-42"}
    assert answer["SourceIdentity"] == "ci-runner"
    assert "PackedPolicySize" not in answer  # no session policy or tags: AWS leaves it out
    last_used = server.client("iam").get_role(RoleName=role["RoleName"])["Role"]["RoleLastUsed"]
    assert last_used["Region"] == "us-east-1"


def test_packed_policy_size_measures_the_session_policies_and_tags(server) -> None:
    user = make_user(server)
    role = server.client("iam").create_role(RoleName=unique("role"), AssumeRolePolicyDocument=document(
        {"Effect": "Allow", "Principal": {"AWS": user.arn}, "Action": ["sts:AssumeRole", "sts:TagSession"]}))["Role"]
    sts = user.client("sts")
    short = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="packed", Policy=document(allow("iam:GetRole")))
    long = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="packed", Policy=document(*[
        allow(f"iam:GetRole{index}", f"arn:aws:iam::{ACCOUNT}:role/{'r' * 40}") for index in range(12)]))
    by_arn = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="packed",
                             PolicyArns=[{"arn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"}])
    tagged = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="packed", Tags=[{"Key": "team", "Value": "a" * 200}])
    assert 0 <= short["PackedPolicySize"] < long["PackedPolicySize"] <= 100
    assert by_arn["PackedPolicySize"] >= 0 and tagged["PackedPolicySize"] > 0


def test_a_session_token_is_grown_to_the_minimum_size_asked_for(server) -> None:
    user = make_user(server, document(allow("sts:GetFederationToken")))
    role = server.client("iam").create_role(RoleName=unique("role"),
                                            AssumeRolePolicyDocument=trust({"AWS": user.arn}))["Role"]
    sts = user.client("sts")
    plain = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="sized")["Credentials"]["SessionToken"]
    answers = [sts.assume_role(RoleArn=role["Arn"], RoleSessionName="sized", MinimumSessionTokenSize=2000),
               sts.get_session_token(MinimumSessionTokenSize=4096),
               sts.get_federation_token(Name="sized", MinimumSessionTokenSize=1000,
                                        Policy=document(allow("sts:GetCallerIdentity")))]
    assert [len(answer["Credentials"]["SessionToken"]) for answer in answers] == [2000, 4096, 1000]
    assert len(sts.assume_role(RoleArn=role["Arn"], RoleSessionName="sized", MinimumSessionTokenSize=10)[
        "Credentials"]["SessionToken"]) == len(plain) < 1000  # a minimum below its size leaves it as it is
    for answer in answers:  # the grown tokens work
        credentials = answer["Credentials"]
        assert server.client("sts", aws_access_key_id=credentials["AccessKeyId"],
                             aws_secret_access_key=credentials["SecretAccessKey"],
                             aws_session_token=credentials["SessionToken"]).get_caller_identity()["Account"] == ACCOUNT


def test_session_token_is_required_and_must_match(server) -> None:
    user = make_user(server)
    role = server.client("iam").create_role(RoleName=unique("role"),
                                            AssumeRolePolicyDocument=trust({"AWS": user.arn}))["Role"]
    session = assume(user, role["Arn"])
    for token in (None, session.token[:-1] + ("A" if session.token[-1] != "A" else "B")):
        other = server.client("sts", aws_access_key_id=session.key, aws_secret_access_key=session.secret,
                              aws_session_token=token)
        with pytest.raises(ClientError) as raised:
            other.get_caller_identity()
        assert raised.value.response["Error"]["Code"] == "InvalidClientTokenId"
    assert session.client("sts").get_caller_identity()["Arn"].endswith(f"assumed-role/{role['RoleName']}/"
                                                                       f"{session.name}")


def test_session_tags_become_principal_tags(server) -> None:
    user = make_user(server)
    iam = server.client("iam")
    role = iam.create_role(RoleName=unique("role"), AssumeRolePolicyDocument=document(
        {"Effect": "Allow", "Principal": {"AWS": user.arn}, "Action": ["sts:AssumeRole", "sts:TagSession"]}))["Role"]
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="by-tag", PolicyDocument=document(
        allow("iam:ListRoles", Condition={"StringEquals": {"aws:PrincipalTag/stage": "prod"}})))
    prod = assume(user, role["Arn"], Tags=[{"Key": "stage", "Value": "prod"}])
    dev = assume(user, role["Arn"], Tags=[{"Key": "stage", "Value": "dev"}])
    assert "Roles" in prod.client("iam").list_roles()
    with pytest.raises(ClientError) as raised:
        dev.client("iam").list_roles()
    assert raised.value.response["Error"]["Code"] == "AccessDenied"


def test_session_tags_and_a_source_identity_need_the_trust_policys_leave(server) -> None:
    user = make_user(server)
    role = server.client("iam").create_role(RoleName=unique("role"),
                                            AssumeRolePolicyDocument=trust({"AWS": user.arn}))["Role"]
    for extra, action in (({"Tags": [{"Key": "stage", "Value": "prod"}]}, "sts:TagSession"),
                          ({"SourceIdentity": "ci-runner"}, "sts:SetSourceIdentity")):
        with pytest.raises(ClientError) as raised:
            user.client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="s1", **extra)
        error = raised.value.response["Error"]
        assert error["Code"] == "AccessDenied"
        assert f"is not authorized to perform: {action} on resource: {role['Arn']}" in error["Message"]
    assert assume(user, role["Arn"]).token  # without them, the trust policy's sts:AssumeRole suffices


def test_the_trust_policys_leave_for_session_tags_sees_the_callers_address(server) -> None:
    user = make_user(server)

    def role_tagging_from(network: str) -> str:
        return server.client("iam").create_role(RoleName=unique("role"), AssumeRolePolicyDocument=document(
            {"Effect": "Allow", "Principal": {"AWS": user.arn}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"AWS": user.arn}, "Action": "sts:TagSession",
             "Condition": {"IpAddress": {"aws:SourceIp": network}}}))["Role"]["Arn"]

    tags = [{"Key": "stage", "Value": "prod"}]
    assert assume(user, role_tagging_from("127.0.0.0/8"), Tags=tags).token  # the tests call from loopback
    with pytest.raises(ClientError) as raised:
        assume(user, role_tagging_from("10.0.0.0/8"), Tags=tags)
    assert "sts:TagSession" in raised.value.response["Error"]["Message"]


def test_transitive_tags_go_on_down_a_role_chain_and_cannot_be_set_again(server) -> None:
    user = make_user(server)
    iam = server.client("iam")

    def role(trusted: str, tag_session: bool = True) -> dict:
        actions = ["sts:AssumeRole", "sts:TagSession"] if tag_session else "sts:AssumeRole"
        return iam.create_role(RoleName=unique("chain"), AssumeRolePolicyDocument=document(
            {"Effect": "Allow", "Principal": {"AWS": trusted}, "Action": actions}))["Role"]

    first = role(user.arn)
    assert refused(user.client("sts").assume_role, RoleArn=first["Arn"], RoleSessionName="one", Tags=[
        {"Key": "team", "Value": "cc"}], TransitiveTagKeys=["stage"])[0] == "ValidationError"
    session = assume(user, first["Arn"], Tags=[{"Key": "team", "Value": "cc"}, {"Key": "stage", "Value": "prod"}],
                     TransitiveTagKeys=["team"])
    second = role(first["Arn"])
    iam.put_role_policy(RoleName=second["RoleName"], PolicyName="team", PolicyDocument=document(allow(
        "iam:ListRoles", Condition={"StringEquals": {"aws:PrincipalTag/team": "cc"},
                                    "Null": {"aws:PrincipalTag/stage": "true"}})))
    chained = assume(session, second["Arn"])
    assert "Roles" in chained.client("iam").list_roles()  # team came along, stage did not
    assert refused(session.client("sts").assume_role, RoleArn=second["Arn"], RoleSessionName="again",
                      Tags=[{"Key": "team", "Value": "other"}])[0] == "ValidationError"
    untagging = role(first["Arn"], tag_session=False)
    assert refused(session.client("sts").assume_role, RoleArn=untagging["Arn"],
                      RoleSessionName="strict")[0] == "AccessDenied"  # the inherited tags need sts:TagSession too


def test_role_chaining_is_limited_to_one_hour(server) -> None:
    user = make_user(server)
    iam = server.client("iam")
    first = iam.create_role(RoleName=unique("first"), AssumeRolePolicyDocument=trust({"AWS": user.arn}),
                            MaxSessionDuration=43200)["Role"]
    session = assume(user, first["Arn"])
    second = iam.create_role(RoleName=unique("second"), MaxSessionDuration=43200,
                             AssumeRolePolicyDocument=trust({"AWS": first["Arn"]}))["Role"]
    assert assume(session, second["Arn"]).token
    with pytest.raises(ClientError) as raised:
        session.client("sts").assume_role(RoleArn=second["Arn"], RoleSessionName="chain", DurationSeconds=7200)
    assert raised.value.response["Error"]["Message"] == (
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")


def test_session_stops_working_at_expiration(clocked_server) -> None:
    server, offset = clocked_server
    iam = server.client("iam")
    user = make_user(server)
    role = iam.create_role(RoleName=unique("role"), AssumeRolePolicyDocument=trust({"AWS": user.arn}))["Role"]
    iam.attach_role_policy(RoleName=role["RoleName"], PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    session = assume(user, role["Arn"], DurationSeconds=900)
    assert session.client("iam").get_role(RoleName=role["RoleName"])
    # ten seconds either side of the expiry, signed as of the server's moved clock (so that neither SigV4's 15
    # minutes of skew nor a slow moment of the machine decides the outcome)
    offset.write_text("890")
    with signed_later(890 / 86400):
        assert session.client("iam").get_role(RoleName=role["RoleName"])
    offset.write_text("910")
    with signed_later(910 / 86400), pytest.raises(ClientError) as raised:
        session.client("iam").get_role(RoleName=role["RoleName"])
    assert raised.value.response["Error"] == {"Type": "Sender", "Code": "ExpiredToken",
                                              "Message": "The security token included in the request is expired"}
    offset.write_text("0")


def test_role_sessions_in_the_audit_trail(server) -> None:
    user = make_user(server)
    role = server.client("iam").create_role(RoleName=unique("role"),
                                            AssumeRolePolicyDocument=trust({"AWS": user.arn}))["Role"]
    session = assume(user, role["Arn"])
    session.client("sts").get_caller_identity()
    trail = server.client("cloudtrail")
    deadline = time.monotonic() + 5
    events: list = []
    while time.monotonic() < deadline and not events:
        events = [json.loads(e["CloudTrailEvent"]) for e in trail.lookup_events(
            LookupAttributes=[{"AttributeKey": "AccessKeyId", "AttributeValue": session.key}])["Events"]]
        time.sleep(0.1)
    identity = events[0]["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["arn"] == session.arn
    assert identity["principalId"] == f"{role['RoleId']}:{session.name}"
    assumed = [json.loads(e["CloudTrailEvent"]) for e in trail.lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "AssumeRole"}], MaxResults=50)["Events"]]
    mine = [e for e in assumed if e["userIdentity"]["arn"] == user.arn]
    assert mine and mine[0]["requestParameters"]["roleSessionName"] == session.name
    assert session.secret not in json.dumps(mine) and session.token not in json.dumps(mine)
    # the new credentials as STS writes them there: no secret key at all, the expiry in Java's medium format
    credentials = mine[0]["responseElements"]["credentials"]
    assert credentials.keys() == {"accessKeyId", "sessionToken", "expiration"}
    assert (credentials["accessKeyId"], credentials["sessionToken"]) == (session.key, "HIDDEN_DUE_TO_SECURITY_REASONS")
    expiration = datetime.strptime(credentials["expiration"], "%b %d, %Y, %I:%M:%S %p").replace(tzinfo=UTC)
    assert re.fullmatch(r"[A-Z][a-z]{2} [1-9]\d?, \d{4}, [1-9]\d?:\d\d:\d\d [AP]M", credentials["expiration"])
    called = datetime.fromisoformat(mine[0]["eventTime"].replace("Z", "+00:00"))
    # the default hour's session, from a moment within the second the call began (both shown to the second)
    assert timedelta(minutes=59) < expiration - called <= timedelta(hours=1, seconds=1)


def test_iam_and_assume_role_through_the_aws_cli(server) -> None:
    root = AwsCli(server.endpoint)
    name, role = unique("cli-user"), unique("cli-role")
    user_arn = root("iam", "create-user", "--user-name", name)["User"]["Arn"]
    key = root("iam", "create-access-key", "--user-name", name)["AccessKey"]
    role_arn = root("iam", "create-role", "--role-name", role, "--assume-role-policy-document",
                    trust({"AWS": user_arn}))["Role"]["Arn"]
    as_user = root.as_(key["AccessKeyId"], key["SecretAccessKey"])
    credentials = as_user("sts", "assume-role", "--role-arn", role_arn, "--role-session-name", "cli")["Credentials"]
    as_role = root.as_(credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])
    assert as_role("sts", "get-caller-identity")["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/cli"


def test_expired_credentials_are_deleted_a_day_later(clocked_server) -> None:
    server, offset = clocked_server
    user = make_user(server)
    role = server.client("iam").create_role(RoleName=unique("role"),
                                            AssumeRolePolicyDocument=trust({"AWS": user.arn}))["Role"]
    session = assume(user, role["Arn"], DurationSeconds=900)
    token = user.client("sts").get_session_token(DurationSeconds=900)["Credentials"]["AccessKeyId"]

    def stored() -> int:
        return len(server.read("SELECT access_key_id FROM sts_sessions WHERE access_key_id = :key", key=session.key)
                   + server.read("SELECT access_key_id FROM sts_session_tokens WHERE access_key_id = :key", key=token))

    assert stored() == 2
    runs = len(server.read("SELECT id FROM outbox WHERE kind = 'sts.expired_credentials'"))
    try:
        offset.write_text(str(23 * 3600))  # expired, but not a day ago: kept (they answer ExpiredToken)
        wait_for(lambda: len(server.read("SELECT id FROM outbox WHERE kind = 'sts.expired_credentials'")) > runs)
        assert stored() == 2
        offset.write_text(str(2 * 86400))
        wait_for(lambda: stored() == 0)
    finally:
        offset.write_text("0")


def test_a_source_identity_is_a_condition_key_goes_on_through_chained_roles_and_is_in_the_trail(server) -> None:
    iam, user = server.client("iam"), make_user(server)
    first = iam.create_role(RoleName=unique("first"), AssumeRolePolicyDocument=document(
        {"Effect": "Allow", "Principal": {"AWS": user.arn}, "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"]}
    ))["Role"]
    iam.put_role_policy(RoleName=first["RoleName"], PolicyName="alice-only", PolicyDocument=document(
        allow("iam:GetRole", Condition={"StringEquals": {"aws:SourceIdentity": "alice"}}), allow("sts:AssumeRole")))
    second = iam.create_role(RoleName=unique("second"), AssumeRolePolicyDocument=document(
        {"Effect": "Allow", "Principal": {"AWS": first["Arn"]}, "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"]}
    ))["Role"]
    iam.put_role_policy(RoleName=second["RoleName"], PolicyName="read", PolicyDocument=document(allow("iam:GetRole")))

    alice = assume(user, first["Arn"], SourceIdentity="alice", RoleSessionName="alice-session")
    anonymous = assume(user, first["Arn"])
    assert alice.client("iam").get_role(RoleName=first["RoleName"])["Role"]["Arn"] == first["Arn"]
    assert refused(anonymous.client("iam").get_role, RoleName=first["RoleName"])[0] == "AccessDenied"

    # chained: the source identity goes on, and cannot be changed
    chained = alice.client("sts").assume_role(RoleArn=second["Arn"], RoleSessionName="chained")
    assert chained["SourceIdentity"] == "alice"
    code, message = refused(alice.client("sts").assume_role, RoleArn=second["Arn"], RoleSessionName="bob",
                            SourceIdentity="bob")
    assert code == "ValidationError" and "cannot be changed" in message
    credentials = chained["Credentials"]
    server.client("iam", aws_access_key_id=credentials["AccessKeyId"],
                  aws_secret_access_key=credentials["SecretAccessKey"],
                  aws_session_token=credentials["SessionToken"]).get_role(RoleName=second["RoleName"])

    trail = server.client("cloudtrail")

    def context_of(session_name: str, role: dict) -> dict | None:
        for event in trail.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetRole"}],
                                         MaxResults=50)["Events"]:
            identity = json.loads(event["CloudTrailEvent"])["userIdentity"]
            if identity["arn"].endswith(f"/{role['RoleName']}/{session_name}"):
                return identity.get("sessionContext")
        return None

    context = wait_for(lambda: context_of("alice-session", first))
    assert context["sessionIssuer"] == {"type": "Role", "principalId": first["RoleId"], "arn": first["Arn"],
                                        "accountId": ACCOUNT, "userName": first["RoleName"]}
    assert context["attributes"]["mfaAuthenticated"] == "false"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", context["attributes"]["creationDate"])
    assert context["sourceIdentity"] == "alice"
    chained_context = wait_for(lambda: context_of("chained", second))
    assert (chained_context["sessionIssuer"]["arn"], chained_context["sourceIdentity"]) == (second["Arn"], "alice")

    # a user's own access key has no session: no session context
    events = trail.lookup_events(LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": user.name}],
                                 MaxResults=5)["Events"]
    assert events and all("sessionContext" not in json.loads(event["CloudTrailEvent"])["userIdentity"]
                          for event in events)
