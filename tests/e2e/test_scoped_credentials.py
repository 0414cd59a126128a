"""STS GetScopedCredentials: temporary credentials narrowed by scope-down policies (up to three layers) or a shorter
lifetime, the caller's identity kept."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.conftest import Server
from tests.e2e.errors import refused
from tests.e2e.identities import ACCOUNT, Identity, allow, assume, document, make_user, unique


def _scoped(identity: Identity, **params: Any) -> tuple[Identity, dict[str, Any]]:
    answer = identity.client("sts").get_scoped_credentials(**params)
    credentials = answer["Credentials"]
    return Identity(identity.server, identity.arn, identity.name, credentials["AccessKeyId"],
                    credentials["SecretAccessKey"], credentials["SessionToken"]), answer


def _role_session(server: Server, *statements: dict[str, Any], **assume_params: Any) -> tuple[Identity, dict]:
    user = make_user(server)
    iam = server.client("iam")
    role = iam.create_role(RoleName=unique("scoped"), AssumeRolePolicyDocument=document(
        {"Effect": "Allow", "Principal": {"AWS": user.arn},
         "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"]}))["Role"]
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="work", PolicyDocument=document(*statements))
    return assume(user, role["Arn"], **assume_params), role


def test_a_scoped_session_keeps_its_identity_with_fewer_permissions(server: Server) -> None:
    session, role = _role_session(server, allow(["iam:GetRole", "iam:ListRoles", "iam:ListUsers"]),
                                  SourceIdentity="ci-runner", DurationSeconds=1800)
    who = session.client("sts").get_caller_identity()
    scoped, answer = _scoped(session, Policy=document(allow(["iam:GetRole", "iam:ListUsers"])),
                             ScopedSessionDescription="read roles for the report")
    assert answer["SessionInfo"] == {"ScopedSessionId": who["UserId"], "Arn": who["Arn"]}
    assert (answer["ScopedPoliciesCount"], answer["SourceIdentity"]) == (1, "ci-runner")
    token = answer["Credentials"]["SessionToken"]
    assert answer["SessionTokenSize"] == len(token.encode()) and 0 < answer["SessionTokenUtilization"] <= 100
    assert answer["Credentials"]["AccessKeyId"] != session.key

    same = scoped.client("sts").get_caller_identity()
    assert (same["Arn"], same["UserId"], same["Account"]) == (who["Arn"], who["UserId"], ACCOUNT)
    iam = scoped.client("iam")
    assert iam.get_role(RoleName=role["RoleName"])["Role"]["Arn"] == role["Arn"]  # both allow it
    code, message = refused(iam.list_roles)  # the session may, the scope-down policy does not
    assert code == "AccessDenied" and "because no session policy allows the iam:ListRoles action" in message
    assert refused(iam.create_user, UserName=unique("u"))[0] == "AccessDenied"  # neither may: no more than before
    assert "Roles" in session.client("iam").list_roles()  # the calling session itself is as it was


def test_layers_intersect_up_to_three(server: Server) -> None:
    session, role = _role_session(server, allow("iam:*"))
    first, answer = _scoped(session, Policy=document(allow(["iam:GetRole", "iam:ListRoles"])))
    second, answer = _scoped(first, Policy=document(allow(["iam:ListRoles", "iam:ListUsers"])))
    assert answer["ScopedPoliciesCount"] == 2
    assert "Roles" in second.client("iam").list_roles()  # in both layers
    assert refused(second.client("iam").get_role, RoleName=role["RoleName"])[0] == "AccessDenied"  # first only
    assert refused(second.client("iam").list_users)[0] == "AccessDenied"  # second only
    third, answer = _scoped(second, Policy=document(allow("*")))
    assert answer["ScopedPoliciesCount"] == 3
    assert refused(third.client("iam").list_users)[0] == "AccessDenied"  # allowing everything widens nothing
    code, message = refused(third.client("sts").get_scoped_credentials, Policy=document(allow("*")))
    assert (code, "three scope-down policies" in message) == ("AccessDenied", True)
    shorter, answer = _scoped(third, DurationSeconds=60)  # a shorter lifetime alone adds no layer
    assert answer["ScopedPoliciesCount"] == 3
    assert "Roles" in shorter.client("iam").list_roles()


def test_lifetimes_never_outlast_the_calling_session(server: Server) -> None:
    session, _ = _role_session(server, allow("iam:ListRoles"), DurationSeconds=900)
    expires = session.client("sts").get_scoped_credentials(Policy=document(allow("*")))["Credentials"]["Expiration"]
    assert 880 < expires.timestamp() - time.time() <= 901  # the calling session's own expiry
    short = session.client("sts").get_scoped_credentials(DurationSeconds=120)["Credentials"]["Expiration"]
    assert 100 < short.timestamp() - time.time() <= 121
    assert refused(session.client("sts").get_scoped_credentials, DurationSeconds=3600)[0] == (
        "InsufficientSessionLifetime")


def test_what_cannot_be_scoped_is_refused(server: Server) -> None:
    session, _ = _role_session(server, allow("iam:ListRoles"))
    sts = session.client("sts")
    code, message = refused(sts.get_scoped_credentials)
    assert (code, message) == ("ValidationError", "A request must provide at least one of Policy or DurationSeconds.")
    assert refused(sts.get_scoped_credentials, Policy='{"Statement": "nope"}')[0] == "MalformedPolicyDocument"
    user = make_user(server, document(allow("*")))
    for long_term in (server.client("sts"), user.client("sts")):  # the root's and a user's own keys
        code, message = refused(long_term.get_scoped_credentials, DurationSeconds=60)
        assert code == "InvalidSubjectCredentials" and "temporary security credentials" in message
    _, answer = _scoped(session, DurationSeconds=60, MinimumSessionTokenSize=3000)
    assert answer["SessionTokenSize"] >= 3000 and len(answer["Credentials"]["SessionToken"]) >= 3000
    large = document(allow(["iam:ListRoles"] * 100))  # under 2,048 characters, but three fill a token
    first, _ = _scoped(session, Policy=large)
    second, answer = _scoped(first, Policy=large)
    assert answer["SessionTokenUtilization"] > 80
    assert refused(second.client("sts").get_scoped_credentials, Policy=large)[0] == "PackedPolicyTooLarge"


def test_session_tokens_and_federated_users_can_be_scoped_even_the_roots(server: Server) -> None:
    root_session = server.client("sts").get_session_token(DurationSeconds=900)["Credentials"]
    root = Identity(server, f"arn:aws:iam::{ACCOUNT}:root", "root", root_session["AccessKeyId"],
                    root_session["SecretAccessKey"], root_session["SessionToken"])
    scoped_root, _ = _scoped(root, Policy=document(allow("profile:ListDomains")))
    assert "Items" in scoped_root.client("customer-profiles").list_domains()
    code, message = refused(scoped_root.client("customer-profiles").create_domain, DomainName=unique("d"),
                            DefaultExpirationDays=5)
    assert code == "AccessDeniedException" and "no session policy allows" in message  # the root, scoped down

    user = make_user(server, document(allow(["profile:ListDomains", "profile:CreateDomain", "sts:*"])))
    federated = user.client("sts").get_federation_token(Name="agent-7", Policy=document(allow("profile:*")))
    agent = Identity(server, federated["FederatedUser"]["Arn"], "agent-7", federated["Credentials"]["AccessKeyId"],
                     federated["Credentials"]["SecretAccessKey"], federated["Credentials"]["SessionToken"])
    scoped_agent, answer = _scoped(agent, Policy=document(allow("profile:ListDomains")))
    assert answer["SessionInfo"]["Arn"] == federated["FederatedUser"]["Arn"]
    assert "Items" in scoped_agent.client("customer-profiles").list_domains()
    assert refused(scoped_agent.client("customer-profiles").create_domain, DomainName=unique("d"),
                   DefaultExpirationDays=5)[0] == "AccessDeniedException"


def test_revoking_a_roles_sessions_revokes_their_scoped_credentials_too(server: Server) -> None:
    session, role = _role_session(server, allow("iam:ListRoles"))
    scoped, _ = _scoped(session, Policy=document(allow("iam:ListRoles")), ScopedSessionDescription="nightly report")
    assert "Roles" in scoped.client("iam").list_roles()
    events = server.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "AccessKeyId", "AttributeValue": scoped.key}])["Events"]
    assert [(event["EventName"], event["Username"]) for event in events] == [("ListRoles", session.name)]
    issued = server.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetScopedCredentials"}])["Events"]
    request = json.loads(issued[0]["CloudTrailEvent"])["requestParameters"]
    assert request["scopedSessionDescription"] == "nightly report" and request["policy"].startswith("{")

    time.sleep(1.1)  # token issue times are to the second
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    server.client("iam").put_role_policy(  # the console's "revoke active sessions": deny tokens issued before now
        RoleName=role["RoleName"], PolicyName="AWSRevokeOlderSessions", PolicyDocument=document(
            {"Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"DateLessThan": {"aws:TokenIssueTime": now}}}))
    assert refused(session.client("iam").list_roles)[0] == "AccessDenied"
    assert refused(scoped.client("iam").list_roles)[0] == "AccessDenied"  # issued when its session was
    _, newer = _scoped(session, DurationSeconds=60)  # scoping again cannot renew a revoked session either
    assert refused(Identity(server, session.arn, session.name, newer["Credentials"]["AccessKeyId"],
                            newer["Credentials"]["SecretAccessKey"], newer["Credentials"]["SessionToken"]
                            ).client("iam").list_roles)[0] == "AccessDenied"
