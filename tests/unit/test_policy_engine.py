"""The policy engine on its own: documents, wildcards, variables, every condition operator, evaluation order."""

from __future__ import annotations

import json

import pytest

from profilestack.iam_policy.conditions import condition_holds, parse_operator
from profilestack.iam_policy.context import RequestContext
from profilestack.iam_policy.document import Condition, MalformedPolicy, PolicyKind, parse_policy
from profilestack.iam_policy.engine import Caller, Policy, PolicySet, evaluate
from profilestack.iam_policy.variables import substitute
from profilestack.iam_policy.wildcards import arn_match, wildcard_match

ACCOUNT = "111122223333"
USER = Caller(ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/alice")
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/app"
SESSION = Caller(ACCOUNT, f"arn:aws:sts::{ACCOUNT}:assumed-role/app/s1", role_arn=ROLE_ARN)


def doc(*statements: dict, version: str = "2012-10-17") -> str:
    return json.dumps({"Version": version, "Statement": list(statements)})


def allow(action="*", resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action="*", resource="*", **extra) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def policy(text: str, kind: PolicyKind = PolicyKind.IDENTITY, source: str = "user") -> Policy:
    return Policy("p", source, parse_policy(text, kind))


def decide(identity: list[str], action="s3:GetObject", resource="arn:aws:s3:::bucket/key", context=None,
           caller=USER, boundary=None, session=None, resource_policy=None):
    policies = PolicySet([policy(text) for text in identity], policy(boundary) if boundary else None,
                         [policy(text) for text in session] if session is not None else None)
    return evaluate(policies, caller, action, resource, RequestContext(dict(context or {})), resource_policy)


# --- wildcards ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("pattern", "value", "expected"), [
    ("iam:Get*", "iam:GetRole", True),
    ("iam:Get*", "iam:ListRoles", False),
    ("iam:Get?ole", "iam:GetRole", True),
    ("iam:Get?ole", "iam:GetRRole", False),
    ("*", "anything", True),
])
def test_wildcards(pattern, value, expected):
    assert wildcard_match(pattern, value) is expected


def test_actions_match_case_insensitively_resources_do_not():
    assert decide([doc(allow("S3:getobject"))]).allowed
    assert not decide([doc(allow("s3:GetObject", "arn:aws:s3:::BUCKET/key"))]).allowed


@pytest.mark.parametrize(("pattern", "arn", "expected"), [
    ("arn:aws:iam::*:role/app", ROLE_ARN, True),
    ("arn:aws:iam::*:role/*", f"arn:aws:iam::{ACCOUNT}:user/bob", False),
    ("arn:aws:iam::1111222233?3:role/app", ROLE_ARN, True),
    ("arn:aws:iam::999999999999:role/app", ROLE_ARN, False),
    ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b:c", True),
])
def test_arn_matching_part_by_part(pattern, arn, expected):
    assert arn_match(pattern, arn) is expected


# --- Action / NotAction, Resource / NotResource ------------------------------------------------------------------

def test_not_action_allows_everything_else():
    statement = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    assert decide([doc(statement)], action="s3:GetObject").allowed
    assert not decide([doc(statement)], action="iam:CreateUser").allowed


def test_not_resource_allows_everything_else():
    statement = {"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"}
    assert decide([doc(statement)], resource="arn:aws:s3:::public/x").allowed
    assert not decide([doc(statement)], resource="arn:aws:s3:::secret/x").allowed


# --- evaluation order ----------------------------------------------------------------------------------------------

def test_no_policy_is_an_implicit_deny_with_aws_reason():
    decision = decide([])
    assert decision.decision == "implicitDeny"
    assert decision.reason == "because no identity-based policy allows the s3:GetObject action"


def test_explicit_deny_beats_allow():
    decision = decide([doc(allow()), doc(deny("s3:GetObject"))])
    assert decision.decision == "explicitDeny"
    assert decision.reason == "with an explicit deny in an identity-based policy"
    assert [match.statement.effect for match in decision.matched] == ["Deny"]


def test_explicit_deny_in_a_boundary_is_named():
    decision = decide([doc(allow())], boundary=doc(allow(), deny("s3:GetObject")))
    assert decision.reason == "with an explicit deny in a permissions boundary"


def test_permissions_boundary_caps_identity_policies():
    boundary = doc(allow("s3:*"))
    assert decide([doc(allow())], action="s3:GetObject", boundary=boundary).allowed
    denied = decide([doc(allow())], action="iam:CreateUser", boundary=boundary)
    assert not denied.allowed
    assert denied.reason == "because no permissions boundary allows the iam:CreateUser action"
    assert denied.boundary_allows is False


def test_boundary_alone_grants_nothing():
    assert not decide([], boundary=doc(allow())).allowed


def test_session_policy_intersects_role_permissions():
    assert decide([doc(allow("s3:*"))], caller=SESSION, session=[doc(allow("s3:GetObject"))]).allowed
    narrowed = decide([doc(allow("s3:*"))], action="s3:PutObject", caller=SESSION, session=[doc(allow("s3:Get*"))])
    assert narrowed.reason == "because no session policy allows the s3:PutObject action"
    assert not decide([doc(allow("s3:GetObject"))], action="s3:PutObject", caller=SESSION,
                      session=[doc(allow())]).allowed


def test_root_is_allowed_in_its_own_account_only():
    root = Caller(ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root", is_root=True)
    assert decide([], caller=root, resource=f"arn:aws:iam::{ACCOUNT}:role/x").allowed
    assert not decide([], caller=root, resource="arn:aws:iam::999999999999:role/x").allowed


def resource_policy(*statements) -> Policy:
    return policy(doc(*statements), PolicyKind.RESOURCE, "resource")


def test_resource_policy_naming_the_caller_allows_in_the_same_account():
    granted = resource_policy({"Effect": "Allow", "Principal": {"AWS": USER.arn}, "Action": "s3:GetObject",
                               "Resource": "*"})
    assert decide([], resource=f"arn:aws:s3:::b/{ACCOUNT}", resource_policy=granted).allowed


def test_cross_account_needs_both_sides():
    other = "arn:aws:sqs:us-east-1:999999999999:queue"
    grant = resource_policy({"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sqs:*", "Resource": "*"})
    refused = decide([doc(allow())], action="sqs:SendMessage", resource=other)
    assert not refused.allowed
    assert refused.reason == "because no resource-based policy allows the sqs:SendMessage action"
    refused = decide([], action="sqs:SendMessage", resource=other, resource_policy=grant)
    assert not refused.allowed  # the resource's side allows: the caller's side is what is missing
    assert refused.reason == "because no identity-based policy allows the sqs:SendMessage action"
    assert decide([doc(allow())], action="sqs:SendMessage", resource=other, resource_policy=grant).allowed


def test_resource_policy_deny_wins():
    refuse = resource_policy({"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"})
    decision = decide([doc(allow())], resource_policy=refuse)
    assert decision.reason == "with an explicit deny in a resource-based policy"


def trust(*statements) -> Policy:
    return Policy("TrustPolicy", "trust", parse_policy(doc(*statements), PolicyKind.TRUST))


def test_trust_policy_must_name_the_caller():
    names_user = trust({"Effect": "Allow", "Principal": {"AWS": USER.arn}, "Action": "sts:AssumeRole"})
    names_other = trust({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/bob"},
                         "Action": "sts:AssumeRole"})
    assert decide([], action="sts:AssumeRole", resource=ROLE_ARN, resource_policy=names_user).allowed
    refused = decide([doc(allow())], action="sts:AssumeRole", resource=ROLE_ARN, resource_policy=names_other)
    assert not refused.allowed
    assert refused.reason == "because no resource-based policy allows the sts:AssumeRole action"


def test_trusting_the_account_delegates_to_identity_policies():
    names_account = trust({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                           "Action": "sts:AssumeRole"})
    assert not decide([], action="sts:AssumeRole", resource=ROLE_ARN, resource_policy=names_account).allowed
    assert decide([doc(allow("sts:AssumeRole"))], action="sts:AssumeRole", resource=ROLE_ARN,
                  resource_policy=names_account).allowed


def test_service_principal_trust():
    slr = trust({"Effect": "Allow", "Principal": {"Service": "profile.amazonaws.com"}, "Action": "sts:AssumeRole"})
    service = Caller(ACCOUNT, "profile.amazonaws.com", service="profile.amazonaws.com")
    assert decide([], action="sts:AssumeRole", resource=ROLE_ARN, caller=service, resource_policy=slr).allowed
    assert not decide([doc(allow())], action="sts:AssumeRole", resource=ROLE_ARN, resource_policy=slr).allowed


def test_not_principal_applies_to_everyone_else():
    refuse_others = resource_policy({"Effect": "Deny", "NotPrincipal": {"AWS": USER.arn}, "Action": "*",
                                     "Resource": "*"})
    bob = Caller(ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/bob")
    assert decide([doc(allow())], resource_policy=refuse_others).allowed
    assert decide([doc(allow())], caller=bob, resource_policy=refuse_others).decision == "explicitDeny"


def test_principal_naming_the_role_matches_its_sessions():
    grant = resource_policy({"Effect": "Allow", "Principal": {"AWS": ROLE_ARN}, "Action": "s3:*", "Resource": "*"})
    assert decide([], caller=SESSION, resource_policy=grant).allowed
    assert not decide([], caller=USER, resource_policy=grant).allowed


# --- policy variables ----------------------------------------------------------------------------------------------

def test_username_variable_in_resource():
    statement = allow("s3:*", "arn:aws:s3:::home/${aws:username}/*")
    context = {"aws:username": ["alice"]}
    assert decide([doc(statement)], resource="arn:aws:s3:::home/alice/f", context=context).allowed
    assert not decide([doc(statement)], resource="arn:aws:s3:::home/bob/f", context=context).allowed


def test_missing_variable_without_default_never_matches_and_default_fills_in():
    assert not decide([doc(allow("s3:*", "arn:aws:s3:::home/${aws:username}/*"))],
                      resource="arn:aws:s3:::home/alice/f").allowed
    assert decide([doc(allow("s3:*", "arn:aws:s3:::home/${aws:username, 'alice'}/*"))],
                  resource="arn:aws:s3:::home/alice/f").allowed


def test_principal_tag_variable_in_condition():
    statement = allow(Condition={"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}})
    same = {"aws:principaltag/team": ["red"], "aws:resourcetag/team": ["red"]}
    other = {"aws:principaltag/team": ["red"], "aws:resourcetag/team": ["blue"]}
    assert decide([doc(statement)], context=same).allowed
    assert not decide([doc(statement)], context=other).allowed


def test_escaped_wildcards_are_literal():
    def lookup(key):
        return None
    assert substitute("a${*}b${?}c${$}", lookup) == "a*b?c$"
    literal_star = allow("s3:*", "arn:aws:s3:::b/${*}")
    assert decide([doc(literal_star)], resource="arn:aws:s3:::b/*").allowed
    assert not decide([doc(literal_star)], resource="arn:aws:s3:::b/anything").allowed


def test_variables_are_literal_in_version_2008():
    statement = allow("s3:*", "arn:aws:s3:::home/${aws:username}")
    context = {"aws:username": ["alice"]}
    assert not decide([doc(statement, version="2008-10-17")], resource="arn:aws:s3:::home/alice",
                      context=context).allowed
    assert decide([doc(statement, version="2008-10-17")], resource="arn:aws:s3:::home/${aws:username}",
                  context=context).allowed


# --- every condition operator --------------------------------------------------------------------------------------

def holds(operator: str, policy_values, request_values, key="k:key") -> bool:
    parsed = parse_operator(operator)
    assert parsed is not None, operator
    values = policy_values if isinstance(policy_values, list) else [policy_values]
    condition = Condition(operator, parsed[0], parsed[1], parsed[2], key, tuple(values))
    context = RequestContext({} if request_values is None else
                             {key: request_values if isinstance(request_values, list) else [request_values]})
    return condition_holds(condition, context, variables=True)


# operator, policy value, a request value that satisfies it, one that does not
OPERATOR_CASES = [
    ("StringEquals", "red", "red", "Red"),
    ("StringNotEquals", "red", "blue", "red"),
    ("StringEqualsIgnoreCase", "red", "RED", "blue"),
    ("StringNotEqualsIgnoreCase", "red", "blue", "RED"),
    ("StringLike", "team-*", "team-red", "crew-red"),
    ("StringNotLike", "team-*", "crew-red", "team-red"),
    ("NumericEquals", "10", "10.0", "11"),
    ("NumericNotEquals", "10", "11", "10"),
    ("NumericLessThan", "10", "9", "10"),
    ("NumericLessThanEquals", "10", "10", "11"),
    ("NumericGreaterThan", "10", "11", "10"),
    ("NumericGreaterThanEquals", "10", "10", "9"),
    ("DateEquals", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00+00:00", "2026-01-02T00:00:00Z"),
    ("DateNotEquals", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "1767225600"),
    ("DateLessThan", "2026-01-01T00:00:00Z", "2025-12-31T23:59:59Z", "2026-01-01T00:00:00Z"),
    ("DateLessThanEquals", "2026-01-01T00:00:00Z", "1767225600", "2026-01-01T00:00:01Z"),
    ("DateGreaterThan", "2026-01-01T00:00:00Z", "2026-06-01T00:00:00Z", "2025-06-01T00:00:00Z"),
    ("DateGreaterThanEquals", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "2025-12-31T00:00:00Z"),
    ("Bool", "true", "true", "false"),
    ("BinaryEquals", "QmluYXJ5", "QmluYXJ5", "T3RoZXI="),
    ("IpAddress", "203.0.113.0/24", "203.0.113.9", "198.51.100.1"),
    ("NotIpAddress", "203.0.113.0/24", "198.51.100.1", "203.0.113.9"),
    ("IpAddress", "2001:db8::/32", "2001:db8::1", "2001:db9::1"),
    ("ArnEquals", "arn:aws:iam::*:role/app", ROLE_ARN, f"arn:aws:iam::{ACCOUNT}:role/other"),
    ("ArnLike", "arn:aws:iam::*:role/a*", ROLE_ARN, f"arn:aws:iam::{ACCOUNT}:user/app"),
    ("ArnNotEquals", "arn:aws:iam::*:role/other", ROLE_ARN, f"arn:aws:iam::{ACCOUNT}:role/other"),
    ("ArnNotLike", "arn:aws:iam::*:role/o*", ROLE_ARN, f"arn:aws:iam::{ACCOUNT}:role/other"),
]


@pytest.mark.parametrize(("operator", "policy_value", "matching", "other"), OPERATOR_CASES,
                         ids=[f"{case[0]}-{index}" for index, case in enumerate(OPERATOR_CASES)])
def test_operator(operator, policy_value, matching, other):
    assert holds(operator, policy_value, matching) is True
    assert holds(operator, policy_value, other) is False


def test_a_date_without_an_offset_is_utc_whatever_the_servers_zone(new_york):
    assert holds("DateLessThan", "2026-01-01T05:00:00", "2026-01-01T04:59:59Z") is True
    assert holds("DateLessThan", "2026-01-01T05:00:00", "2026-01-01T05:00:00Z") is False  # New York's would hold
    assert holds("DateEquals", "2026-01-01", "2026-01-01T00:00:00Z") is True


NEGATED = {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "NumericNotEquals", "DateNotEquals",
           "NotIpAddress", "ArnNotEquals", "ArnNotLike"}


@pytest.mark.parametrize("operator", sorted({case[0] for case in OPERATOR_CASES}))
def test_missing_key_semantics(operator):
    """Positive operators fail on a missing key, negated ones hold; IfExists always holds."""
    assert holds(operator, "x", None) is (operator in NEGATED)
    assert holds(f"{operator}IfExists", "x", None) is True


@pytest.mark.parametrize(("operator", "policy_value", "matching", "other"), OPERATOR_CASES[:6],
                         ids=[case[0] for case in OPERATOR_CASES[:6]])
def test_if_exists_still_tests_a_present_key(operator, policy_value, matching, other):
    assert holds(f"{operator}IfExists", policy_value, matching) is True
    assert holds(f"{operator}IfExists", policy_value, other) is False


def test_null_tests_presence():
    assert holds("Null", "true", None) is True
    assert holds("Null", "true", "x") is False
    assert holds("Null", "false", "x") is True
    assert holds("Null", "false", None) is False


def test_for_all_values():
    assert holds("ForAllValues:StringEquals", ["a", "b"], ["a", "b"]) is True
    assert holds("ForAllValues:StringEquals", ["a", "b"], ["a", "c"]) is False
    assert holds("ForAllValues:StringEquals", ["a"], None) is True  # no values: vacuously true
    assert holds("ForAllValues:StringNotEquals", ["a"], ["b", "c"]) is True
    assert holds("ForAllValues:StringNotEquals", ["a"], ["a", "c"]) is False


def test_for_any_value():
    assert holds("ForAnyValue:StringEquals", ["a"], ["c", "a"]) is True
    assert holds("ForAnyValue:StringEquals", ["a"], ["b", "c"]) is False
    assert holds("ForAnyValue:StringEquals", ["a"], None) is False
    assert holds("ForAnyValue:StringNotEquals", ["a"], ["a", "b"]) is True
    assert holds("ForAnyValue:StringNotEquals", ["a"], ["a"]) is False
    assert holds("ForAnyValue:StringLikeIfExists", ["a*"], None) is True


def test_multiple_values_are_ored_and_keys_anded():
    statement = allow(Condition={"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]},
                                 "Bool": {"aws:SecureTransport": "false"}})
    ok = {"aws:requestedregion": ["us-east-1"], "aws:securetransport": ["false"]}
    assert decide([doc(statement)], context=ok).allowed
    assert not decide([doc(statement)], context={**ok, "aws:requestedregion": ["ap-south-1"]}).allowed
    assert not decide([doc(statement)], context={**ok, "aws:securetransport": ["true"]}).allowed


def test_condition_keys_are_case_insensitive():
    statement = allow(Condition={"StringEquals": {"AWS:REQUESTEDREGION": "us-east-1"}})
    assert decide([doc(statement)], context={"aws:requestedregion": ["us-east-1"]}).allowed


def test_missing_context_values_are_reported():
    statement = allow(Condition={"StringEquals": {"aws:ResourceTag/team": "red"}})
    decision = decide([doc(statement)])
    assert not decision.allowed
    assert decision.missing_context == {"aws:resourcetag/team"}


def test_unknown_operator_is_rejected():
    assert parse_operator("StringSortOf") is None
    assert parse_operator("ForSomeValues:StringEquals") is None
    assert parse_operator("NullIfExists") is None
    assert parse_operator("ForAnyValue:StringLikeIfExists") == ("StringLike", "ForAnyValue", True)


# --- document validation -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "kind", "message"), [
    ("not json", PolicyKind.IDENTITY, "Syntax errors in policy."),
    (doc(allow(), version="2020-01-01"), PolicyKind.IDENTITY, "The policy failed legacy parsing"),
    (json.dumps({"Version": "2012-10-17"}), PolicyKind.IDENTITY, "Missing required field Statement"),
    (doc({"Effect": "Maybe", "Action": "*", "Resource": "*"}), PolicyKind.IDENTITY, "Invalid effect: Maybe"),
    (doc({"Effect": "Allow", "Resource": "*"}), PolicyKind.IDENTITY, "Policy statement must contain actions."),
    (doc({"Effect": "Allow", "Action": "*"}), PolicyKind.IDENTITY, "Policy statement must contain resources."),
    (doc(allow("GetRole")), PolicyKind.IDENTITY,
     "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
    (doc(allow(resource="role/app")), PolicyKind.IDENTITY, 'Resource role/app must be in ARN format or "*".'),
    (doc(allow(Condition={"StringSortOf": {"aws:username": "x"}})), PolicyKind.IDENTITY,
     "Invalid Condition type : StringSortOf."),
    (doc(allow(Principal="*")), PolicyKind.IDENTITY, "Has prohibited field Principal"),
    (doc({"Effect": "Allow", "Action": "sts:AssumeRole"}), PolicyKind.TRUST, "Missing required field Principal"),
    (doc(allow(Sid="a"), allow(Sid="a")), PolicyKind.IDENTITY,
     "Statement IDs (SID) in a single policy must be unique."),
])
def test_malformed_documents(text, kind, message):
    with pytest.raises(MalformedPolicy) as raised:
        parse_policy(text, kind)
    assert str(raised.value) == message


def test_statement_positions_for_the_simulator():
    text = ('{\n  "Version": "2012-10-17",\n  "Statement": [\n'
            '    {"Effect": "Allow", "Action": "*", "Resource": "*"}\n  ]\n}')
    statement = parse_policy(text).statements[0]
    assert statement.start == (4, 5)
    assert statement.end == (4, 56)


def test_service_control_policies_limit_every_principal_even_a_root_and_a_resource_policy():
    root = Caller(ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root", is_root=True)
    levels = ([policy(doc(allow()))], [policy(doc(allow("s3:*"), deny("s3:DeleteObject")))])
    organization = PolicySet([policy(doc(allow()))], organization=levels)
    read = evaluate(organization, USER, "s3:GetObject", "arn:aws:s3:::bucket/key", {})
    assert (read.decision, read.organizations_allow) == ("allowed", True)
    deleted = evaluate(organization, root, "s3:DeleteObject", "arn:aws:s3:::bucket/key", {})
    assert (deleted.decision, deleted.reason) == ("explicitDeny", "with an explicit deny in a service control policy")
    named = policy(doc(allow("sqs:SendMessage", Principal={"AWS": USER.arn})), PolicyKind.RESOURCE, "resource")
    sent = evaluate(organization, USER, "sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCOUNT}:q", {}, named)
    assert (sent.decision, sent.organizations_allow, sent.reason) == (
        "implicitDeny", False, "because no service control policy allows the sqs:SendMessage action")
