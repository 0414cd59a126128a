"""Object type fields whose Source is a Handlebars expression, as Customer Profiles documents them: several values
of the object in one (a full name, a composite key), constants, conditions and iteration."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError


def test_expressions_fill_fields_keys_and_targets(profiles, domain) -> None:
    profiles.put_profile_object_type(
        DomainName=domain, ObjectTypeName="Signup", Description="sign-ups", AllowProfileCreation=True,
        Fields={"account": {"Source": "_source.account", "Target": "_profile.AccountNumber"},
                "fullName": {"Source": "{{_source.firstName}} {{_source.lastName}}"},
                "visit": {"Source": "{{_source.email}}#{{_source.at}}"},
                "channel": {"Source": "web/{{_source.campaign}}", "Target": "_profile.Attributes.channel"},
                "tier": {"Source": "{{#if _source.vip}}gold{{else}}standard{{/if}}",
                         "Target": "_profile.Attributes.tier"},
                "skus": {"Source": "{{#each _source.basket}}{{this.sku}}{{#unless @last}} {{/unless}}{{/each}}",
                         "Target": "_profile.Attributes.basket"}},
        Keys={"_account": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["account"]}],
              "_fullName": [{"StandardIdentifiers": ["SECONDARY"], "FieldNames": ["fullName"]}],
              "visit": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["visit"]}]})
    signup = {"account": 1234, "firstName": "John", "lastName": "Doe", "email": "john@example.com", "at": 17,
              "vip": False, "campaign": "", "basket": [{"sku": "K-1"}, {"sku": "T-9"}]}
    key = profiles.put_profile_object(DomainName=domain, ObjectTypeName="Signup",
                                      Object=json.dumps(signup))["ProfileObjectUniqueKey"]
    assert key == "john@example.com#17"  # the composite UNIQUE key
    (found,) = profiles.search_profiles(DomainName=domain, KeyName="_fullName", Values=["John Doe"])["Items"]
    assert found["AccountNumber"] == "1234"
    assert found["Attributes"] == {"channel": "web/", "tier": "standard", "basket": "K-1 T-9"}
    values = profiles.list_object_type_attribute_values(DomainName=domain, ObjectTypeName="Signup",
                                                        AttributeName="fullName")["Items"]
    assert [item["Value"] for item in values] == ["John Doe"]


def test_an_expression_profilestack_cannot_read_is_refused(profiles, domain) -> None:
    with pytest.raises(ClientError) as refused:
        profiles.put_profile_object_type(
            DomainName=domain, ObjectTypeName="Odd", Description="odd",
            Fields={"name": {"Source": "{{#if _source.vip}}gold", "Target": "_profile.Attributes.tier"}}, Keys={})
    assert (refused.value.response["Error"]["Code"], refused.value.response["Error"]["Message"]) == (
        "BadRequestException", "Field name has a Source profilestack cannot read as a Handlebars expression: "
        "The #if block is not closed.")


def test_an_object_an_expression_would_take_too_long_over_is_refused(profiles, domain) -> None:
    nested = "{{#each _source.a}}{{#each _source.a}}{{#each _source.a}}x{{/each}}{{/each}}{{/each}}"
    profiles.put_profile_object_type(
        DomainName=domain, ObjectTypeName="Deep", Description="deep",
        Fields={"id": {"Source": "_source.id"}, "x": {"Source": nested}},
        Keys={"id": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}]})
    with pytest.raises(ClientError) as refused:
        profiles.put_profile_object(DomainName=domain, ObjectTypeName="Deep",
                                    Object=json.dumps({"id": "1", "a": list(range(200))}))
    assert (refused.value.response["Error"]["Code"], refused.value.response["Error"]["Message"]) == (
        "BadRequestException", f"The Source {nested} cannot be read for this object: The expression takes more "
        "than 100,000 steps for this object.")
    assert profiles.get_domain(DomainName=domain)["Stats"]["ObjectCount"] == 0
