"""STS GetFederationToken (a federated user: the caller's permissions narrowed by session policies) and
GetAccessKeyInfo."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from tests.e2e.identities import ACCOUNT, Identity, allow, assume, document, make_user, trust, unique
from tests.e2e.waiting import wait_for

LIST_METRICS = document(allow("cloudwatch:ListMetrics"))


def error_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def federate(identity: Identity, name: str, **params) -> tuple[Identity, dict]:
    answer = identity.client("sts").get_federation_token(Name=name, **params)
    credentials = answer["Credentials"]
    return Identity(identity.server, answer["FederatedUser"]["Arn"], name, credentials["AccessKeyId"],
                    credentials["SecretAccessKey"], credentials["SessionToken"]), answer


def root(server) -> Identity:
    return Identity(server, f"arn:aws:iam::{ACCOUNT}:root", "root", "test", "test")


def test_a_federated_user_has_the_users_permissions_narrowed_by_its_session_policy(server) -> None:
    user = make_user(server, document(allow(["sts:GetFederationToken", "cloudwatch:*", "profile:ListDomains"])))
    name = unique("fed")[:32]
    federated, answer = federate(user, name, Policy=document(allow(["cloudwatch:ListMetrics", "iam:GetUser"])),
                                 DurationSeconds=900)
    user_id = server.client("iam").get_user(UserName=user.name)["User"]["UserId"]
    assert answer["FederatedUser"] == {"FederatedUserId": f"{ACCOUNT}:{name}",
                                       "Arn": f"arn:aws:sts::{ACCOUNT}:federated-user/{name}"}
    assert federated.key.startswith("ASIA") and answer["PackedPolicySize"] > 0
    expiration = answer["Credentials"]["Expiration"]
    assert timedelta(minutes=14) < expiration - datetime.now(UTC) <= timedelta(minutes=15)
    identity = federated.client("sts").get_caller_identity()
    assert (identity["Account"], identity["Arn"], identity["UserId"]) == (ACCOUNT, federated.arn, f"{ACCOUNT}:{name}")

    cloudwatch = federated.client("cloudwatch")
    cloudwatch.list_metrics()  # the user's policy and the session policy both allow it
    code, message = error_of(cloudwatch.put_metric_data, Namespace="Fed", MetricData=[{"MetricName": "m",
                                                                                      "Value": 1}])
    assert code == "AccessDenied" and f"User: {federated.arn} is not authorized" in message  # not in the session
    assert error_of(federated.client("customer-profiles").list_domains)[0] == "AccessDeniedException"
    code, message = error_of(federated.client("iam").get_user)  # in the session policy, but IAM is closed to them
    assert code == "AccessDenied" and "federated users cannot call iam:GetUser" in message
    code, message = error_of(federated.client("sts").get_session_token)
    assert code == "AccessDenied" and "federated users cannot call sts:GetSessionToken" in message

    events = server.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ListMetrics"}], MaxResults=50)["Events"]
    identities = [json.loads(event["CloudTrailEvent"])["userIdentity"] for event in events]
    [identity] = [identity for identity in identities if identity["arn"] == federated.arn]
    context = identity.pop("sessionContext")
    assert identity == {"type": "FederatedUser", "principalId": f"{ACCOUNT}:{name}", "arn": federated.arn,
                        "accountId": ACCOUNT, "accessKeyId": federated.key}
    assert context["attributes"]["mfaAuthenticated"] == "false" and "creationDate" in context["attributes"]
    assert context["sessionIssuer"] == {"type": "IAMUser", "principalId": user_id, "arn": user.arn,
                                        "accountId": ACCOUNT, "userName": user.name}


def test_without_a_session_policy_a_federated_user_may_do_nothing(server) -> None:
    user = make_user(server, document(allow("*")))
    federated, _ = federate(user, "bare")
    assert error_of(federated.client("cloudwatch").list_metrics)[0] == "AccessDenied"
    assert federated.client("sts").get_caller_identity()["Arn"] == f"arn:aws:sts::{ACCOUNT}:federated-user/bare"

    managed, _ = federate(user, "managed", PolicyArns=[{"arn": "arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"}])
    assert "Metrics" in managed.client("cloudwatch").list_metrics()


def test_session_tags_are_principal_tags(server) -> None:
    user = make_user(server, document(allow(["sts:GetFederationToken", "cloudwatch:ListMetrics"])))
    session = document(allow("cloudwatch:ListMetrics", Condition={"StringEquals": {"aws:PrincipalTag/team": "crm"}}))
    tagged, _ = federate(user, "tagged", Policy=session, Tags=[{"Key": "team", "Value": "crm"}])
    tagged.client("cloudwatch").list_metrics()
    other, _ = federate(user, "other", Policy=session, Tags=[{"Key": "team", "Value": "ops"}])
    assert error_of(other.client("cloudwatch").list_metrics)[0] == "AccessDenied"


def test_the_root_may_federate_for_an_hour_at_most(server) -> None:
    federated, answer = federate(root(server), "from-root", Policy=LIST_METRICS, DurationSeconds=7200)
    assert answer["Credentials"]["Expiration"] - datetime.now(UTC) <= timedelta(hours=1)
    federated.client("cloudwatch").list_metrics()
    assert error_of(federated.client("cloudwatch").put_metric_data, Namespace="Fed",
                    MetricData=[{"MetricName": "m", "Value": 1}])[0] == "AccessDenied"


def test_who_may_ask_for_a_federation_token(server) -> None:
    without = make_user(server, document(allow("cloudwatch:ListMetrics")))
    code, message = error_of(without.client("sts").get_federation_token, Name="nope", Policy=LIST_METRICS)
    assert code == "AccessDenied" and "sts:GetFederationToken" in message

    user = make_user(server, document(allow(["sts:GetFederationToken", "sts:AssumeRole", "sts:GetSessionToken"])))
    role = server.client("iam").create_role(RoleName=unique("fed-role"),
                                            AssumeRolePolicyDocument=trust({"AWS": user.arn}))["Role"]
    server.client("iam").put_role_policy(RoleName=role["RoleName"], PolicyName="fed",
                                         PolicyDocument=document(allow("sts:GetFederationToken")))
    session = assume(user, role["Arn"])
    assert error_of(session.client("sts").get_federation_token, Name="nope") == (
        "AccessDenied", "Cannot call GetFederationToken with session credentials")
    federated, _ = federate(user, "chained", Policy=document(allow("sts:GetFederationToken")))
    assert error_of(federated.client("sts").get_federation_token, Name="again")[0] == "AccessDenied"
    code, message = error_of(user.client("sts").get_federation_token, Name="bad name!")  # outside its pattern
    assert code == "ValidationError" and "name" in message.lower()


def test_a_deleted_users_federated_users_are_gone(server) -> None:
    iam = server.client("iam")
    user = make_user(server, document(allow(["sts:GetFederationToken", "cloudwatch:ListMetrics"])))
    federated, _ = federate(user, "orphan", Policy=LIST_METRICS)
    federated.client("cloudwatch").list_metrics()
    for key in iam.list_access_keys(UserName=user.name)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=user.name, AccessKeyId=key["AccessKeyId"])
    iam.delete_user_policy(UserName=user.name, PolicyName="inline-0")
    iam.delete_user(UserName=user.name)
    wait_for(lambda: error_of(federated.client("cloudwatch").list_metrics)[0] == "InvalidClientTokenId",
             timeout=5, interval=0.2)


def test_get_access_key_info_names_the_account_of_keys_this_server_issued(server) -> None:
    user = make_user(server, document(allow(["sts:GetAccessKeyInfo", "sts:GetFederationToken"])))
    sts = user.client("sts")
    assert sts.get_access_key_info(AccessKeyId=user.key)["Account"] == ACCOUNT
    federated, _ = federate(user, "keyed", Policy=LIST_METRICS)
    assert sts.get_access_key_info(AccessKeyId=federated.key)["Account"] == ACCOUNT
    unknown = "AKIA" + "Z" * 16
    assert error_of(sts.get_access_key_info, AccessKeyId=unknown) == (
        "ValidationError", f"The access key ID {unknown} was not issued by this server.")
    denied = make_user(server, document(allow("cloudwatch:ListMetrics")))
    assert error_of(denied.client("sts").get_access_key_info, AccessKeyId=user.key)[0] == "AccessDenied"


def test_no_authorization_message_decodes_and_decoding_needs_its_permission(server) -> None:
    allowed = make_user(server, document(allow("sts:DecodeAuthorizationMessage")))
    code, message = error_of(allowed.client("sts").decode_authorization_message, EncodedMessage="x" * 40)
    assert code == "InvalidAuthorizationMessageException" and "not valid" in message
    code, message = error_of(make_user(server).client("sts").decode_authorization_message, EncodedMessage="x")
    assert code == "AccessDenied" and "sts:DecodeAuthorizationMessage" in message
