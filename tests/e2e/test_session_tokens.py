"""STS GetSessionToken: a user's (or the root's) permissions in temporary credentials, without IAM."""

from __future__ import annotations

import json
import time

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import Server
from tests.e2e.identities import ACCOUNT, Identity, allow, assume, document, make_user, trust, unique


def _session(identity: Identity, answer: dict) -> Identity:
    credentials = answer["Credentials"]
    return Identity(identity.server, identity.arn, identity.name, credentials["AccessKeyId"],
                    credentials["SecretAccessKey"], credentials["SessionToken"])


def _error(call) -> dict:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]


def test_a_users_session_token_carries_the_users_permissions_but_not_iam(server: Server) -> None:
    user = make_user(server, document(allow(["profile:ListDomains", "iam:ListUsers", "sts:AssumeRole"])))
    answer = user.client("sts").get_session_token(DurationSeconds=900)
    assert 880 < answer["Credentials"]["Expiration"].timestamp() - time.time() <= 901
    session = _session(user, answer)
    assert session.key.startswith("ASIA") and session.key != user.key
    caller = session.client("sts").get_caller_identity()
    assert caller["Arn"] == user.arn and caller["Account"] == ACCOUNT
    assert caller["UserId"] == server.client("iam").get_user(UserName=user.name)["User"]["UserId"]

    session.client("customer-profiles").list_domains()  # the user's policy allows it
    denied = _error(lambda: session.client("cloudwatch").list_metrics())  # and not this
    assert denied["Code"] == "AccessDenied" and user.arn in denied["Message"]
    user.client("iam").list_users()  # the user may, with its own key ...
    denied = _error(lambda: session.client("iam").list_users())  # ... not with the session token
    assert denied["Code"] == "AccessDenied" and "GetSessionToken without MFA" in denied["Message"]
    assert _error(lambda: session.client("sts").get_session_token()) == {
        "Type": "Sender", "Code": "AccessDenied", "Message": "Cannot call GetSessionToken with session credentials"}

    role = server.client("iam").create_role(RoleName=unique("role"),
                                            AssumeRolePolicyDocument=trust({"AWS": user.arn}))["Role"]
    assumed = assume(session, role["Arn"])  # AssumeRole is one of the two STS calls it may make
    assert assumed.client("sts").get_caller_identity()["Arn"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/")
    assert _error(lambda: assumed.client("sts").get_session_token())["Message"] == (
        "Cannot call GetSessionToken with session credentials")

    server.client("iam").delete_user_policy(UserName=user.name, PolicyName="inline-0")
    time.sleep(1.1)  # policies are cached for a second
    assert _error(lambda: session.client("customer-profiles").list_domains())["Code"] == "AccessDeniedException"


def test_the_roots_session_token_lasts_an_hour_at_most(server: Server) -> None:
    answer = server.client("sts").get_session_token(DurationSeconds=7200)
    assert 3580 < answer["Credentials"]["Expiration"].timestamp() - time.time() <= 3601
    root = Identity(server, f"arn:aws:iam::{ACCOUNT}:root", "root", "test", "test")
    session = _session(root, answer)
    assert session.client("sts").get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    session.client("customer-profiles").list_domains()
    assert _error(lambda: session.client("iam").list_roles())["Code"] == "AccessDenied"


def test_mfa_durations_and_a_deleted_user(server: Server) -> None:
    user = make_user(server)
    sts = user.client("sts")
    refused = _error(lambda: sts.get_session_token(SerialNumber=f"arn:aws:iam::{ACCOUNT}:mfa/device",
                                                   TokenCode="123456"))
    assert refused["Code"] == "AccessDenied" and "MFA" in refused["Message"]
    unchecked = server.client("sts", aws_access_key_id=user.key, aws_secret_access_key=user.secret,
                              config=Config(parameter_validation=False))  # botocore would refuse to send these
    for seconds in (899, 129601):
        assert _error(lambda seconds=seconds: unchecked.get_session_token(DurationSeconds=seconds))["Code"] == (
            "ValidationError")
    default = sts.get_session_token()["Credentials"]["Expiration"].timestamp() - time.time()
    assert 43180 < default <= 43201  # twelve hours

    session = _session(user, sts.get_session_token())
    trail = server.client("cloudtrail")
    with_code: list = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not with_code:
        events = [json.loads(event["CloudTrailEvent"]) for event in trail.lookup_events(LookupAttributes=[
            {"AttributeKey": "Username", "AttributeValue": user.name}], MaxResults=50)["Events"]]
        with_code = [event for event in events if (event.get("requestParameters") or {}).get("tokenCode")]
        time.sleep(0.1)
    assert with_code and with_code[0]["requestParameters"]["tokenCode"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert with_code[0]["errorCode"] == "AccessDenied" and "123456" not in json.dumps(events)

    iam = server.client("iam")
    for key in iam.list_access_keys(UserName=user.name)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=user.name, AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName=user.name)
    time.sleep(1.1)  # credentials are cached for a second
    assert _error(lambda: session.client("sts").get_caller_identity())["Code"] == "InvalidClientTokenId"
