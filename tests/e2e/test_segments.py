"""Customer Profiles segment definitions, GetSegmentMembership, and event triggers filtered by a segment."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server
from tests.e2e.identities import ACCOUNT, unique
from tests.e2e.test_event_triggers import Scenario
from tests.e2e.waiting import wait_for
from tests.e2e.wire import send, signed_request


def _refused(call, code: str = "BadRequestException") -> str:
    with pytest.raises(ClientError) as caught:
        call()
    assert caught.value.response["Error"]["Code"] == code
    return caught.value.response["Error"]["Message"]


def _groups(*groups: dict, include: str = "ALL") -> dict:
    return {"Groups": list(groups), "Include": include}


def _attribute(name: str, kind: str, *values: str) -> dict:
    return {"ProfileAttributes": {name: {"DimensionType": kind, "Values": list(values)}}}


class Customers:
    """A domain of profiles with orders, and a way to ask which of them a segment holds."""

    def __init__(self, server: Server) -> None:
        self.profiles = server.client("customer-profiles")
        self.domain = unique("seg")
        self.profiles.create_domain(DomainName=self.domain, DefaultExpirationDays=30)
        self.profiles.put_profile_object_type(
            DomainName=self.domain, ObjectTypeName="Order", Description="orders", AllowProfileCreation=True,
            Fields={"id": {"Source": "_source.id"}, "total": {"Source": "_source.total"},
                    "email": {"Source": "_source.email", "Target": "_profile.EmailAddress"}},
            Keys={"orderId": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}],
                  "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}]})
        self.ids = {
            "ana": self.create(FirstName="Ana", EmailAddress="ana@example.com", Gender="FEMALE",
                               Address={"City": "Lisbon", "Country": "PT"}, Attributes={"tier": "gold"},
                               BirthDate="1990-05-01"),
            "bob": self.create(FirstName="Bob", EmailAddress="bob@example.com", GenderString="male",
                               Address={"City": "Porto", "Country": "PT"}, Attributes={"tier": "silver"},
                               BirthDate="1975-01-20"),
            "cy": self.create(FirstName="Cy", EmailAddress="cy@example.net", ProfileType="ACCOUNT_PROFILE"),
        }
        for index, (email, total) in enumerate((("ana@example.com", 80), ("ana@example.com", 70),
                                                ("bob@example.com", 20))):
            self.profiles.put_profile_object(DomainName=self.domain, ObjectTypeName="Order",
                                             Object=json.dumps({"id": f"o{index}", "email": email, "total": total}))
        self.profiles.create_calculated_attribute_definition(
            DomainName=self.domain, CalculatedAttributeName="spend", Statistic="SUM", UseHistoricalData=True,
            AttributeDetails={"Attributes": [{"Name": "total"}], "Expression": "{Order.total}"})

    def create(self, **fields: object) -> str:
        return self.profiles.create_profile(DomainName=self.domain, **fields)["ProfileId"]

    def define(self, name: str, groups: dict, **extra: object) -> dict:
        return self.profiles.create_segment_definition(DomainName=self.domain, SegmentDefinitionName=name,
                                                       DisplayName=name.title(), SegmentGroups=groups, **extra)

    def members(self, name: str) -> set[str]:
        answer = self.profiles.get_segment_membership(DomainName=self.domain, SegmentDefinitionName=name,
                                                      ProfileIds=list(self.ids.values()))
        assert answer["Failures"] == [] and len(answer["Profiles"]) == 3
        by_id = {profile_id: who for who, profile_id in self.ids.items()}
        return {by_id[item["ProfileId"]] for item in answer["Profiles"] if item["QueryResult"] == "PRESENT"}


@pytest.fixture
def customers(server: Server) -> Customers:
    return Customers(server)


def test_profile_attribute_dimensions(customers: Customers) -> None:
    cases = {
        "named_a": (_attribute("FirstName", "BEGINS_WITH", "A"), {"ana"}),
        "not_ana": (_attribute("FirstName", "EXCLUSIVE", "Ana"), {"bob", "cy"}),
        "dot_com": (_attribute("EmailAddress", "ENDS_WITH", ".com"), {"ana", "bob"}),
        "women": (_attribute("GenderString", "INCLUSIVE", "FEMALE"), {"ana"}),  # Gender stands in
        "men": (_attribute("GenderString", "INCLUSIVE", "male"), {"bob"}),
        "not_women": (_attribute("GenderString", "EXCLUSIVE", "FEMALE"), {"bob", "cy"}),  # cy has none
        "older": (_attribute("BirthDate", "BEFORE", "1980-01-01"), {"bob"}),
        "accounts": ({"ProfileAttributes": {"ProfileType": {"DimensionType": "INCLUSIVE",
                                                             "Values": ["ACCOUNT_PROFILE"]}}}, {"cy"}),
        "porto": ({"ProfileAttributes": {"Address": {"City": {"DimensionType": "INCLUSIVE", "Values": ["Porto"]}}}},
                  {"bob"}),
        "gold": ({"ProfileAttributes": {"Attributes": {"tier": {"DimensionType": "CONTAINS", "Values": ["ol"]}}}},
                 {"ana"}),
        "big_spenders": ({"CalculatedAttributes": {"spend": {"DimensionType": "GREATER_THAN", "Values": ["100"]}}},
                         {"ana"}),
        "big_spenders_today": ({"CalculatedAttributes": {"spend": {  # a range of no time at all: no orders count
            "DimensionType": "GREATER_THAN", "Values": ["100"],
            "ConditionOverrides": {"Range": {"Start": 0, "End": 0, "Unit": "DAYS"}}}}}, set()),
        "modest_spenders": ({"CalculatedAttributes": {"spend": {"DimensionType": "LESS_THAN", "Values": ["50"]}}},
                            {"bob"}),  # cy has no orders: no value, not less than 50
    }
    for name, (dimension, expected) in cases.items():
        customers.define(name, _groups({"Dimensions": [dimension]}))
        assert customers.members(name) == expected, name
    in_portugal = {"ProfileAttributes": {"Address": {"Country": {"DimensionType": "INCLUSIVE", "Values": ["PT"]}}}}
    customers.define("portuguese_big_spenders", _groups({"Dimensions": [in_portugal, cases["big_spenders"][0]]}))
    assert customers.members("portuguese_big_spenders") == {"ana"}
    assert "used by segment definition big_spenders" in _refused(
        lambda: customers.profiles.delete_calculated_attribute_definition(DomainName=customers.domain,
                                                                          CalculatedAttributeName="spend"))


def test_dynamic_values_stand_for_the_profiles_own_attributes(customers: Customers) -> None:
    """ana: Lisbon, spend 150, budget 100; bob: Porto, spend 20, budget 50; cy: no address, orders or budget."""
    for who, home, budget in (("ana", "Lisbon", "100"), ("bob", "Braga", "50")):
        customers.profiles.update_profile(DomainName=customers.domain, ProfileId=customers.ids[who],
                                          Attributes={"homeCity": home, "budget": budget})

    def home(kind: str) -> dict:
        return {"ProfileAttributes": {"Attributes": {"homeCity": {"DimensionType": kind,
                                                                  "Values": ["{{_profile.Address.City}}"]}}}}

    cases = {
        "at_home": (home("INCLUSIVE"), {"ana"}),
        "away": (home("EXCLUSIVE"), {"bob"}),  # cy has neither value: a dynamic value it lacks matches nothing
        "named_after_self": (_attribute("FirstName", "INCLUSIVE", "{{ _profile.FirstName }}"), {"ana", "bob", "cy"}),
        "over_budget": ({"CalculatedAttributes": {"spend": {"DimensionType": "GREATER_THAN",
                                                            "Values": ["{{_profile.Attributes.budget}}"]}}}, {"ana"}),
        "budget_below_spend": ({"ProfileAttributes": {"Attributes": {"budget": {
            "DimensionType": "LESS_THAN", "Values": ["{{_calculated_attribute.spend}}"]}}}}, {"ana"}),
        "lisbon_or_own_city": ({"ProfileAttributes": {"Address": {"City": {
            "DimensionType": "INCLUSIVE", "Values": ["Lisbon", "{{_profile.Attributes.homeCity}}"]}}}}, {"ana"}),
    }
    for name, (dimension, expected) in cases.items():
        customers.define(name, _groups({"Dimensions": [dimension]}))
        assert customers.members(name) == expected, name
    stored = customers.profiles.get_segment_definition(DomainName=customers.domain,
                                                      SegmentDefinitionName="over_budget")
    assert stored["SegmentGroups"]["Groups"][0]["Dimensions"][0]["CalculatedAttributes"]["spend"]["Values"] == [
        "{{_profile.Attributes.budget}}"]
    estimate = customers.profiles.create_segment_estimate(DomainName=customers.domain, SegmentQuery=_groups(
        {"Dimensions": [cases["at_home"][0]]}))
    assert wait_for(lambda: customers.profiles.get_segment_estimate(
        DomainName=customers.domain, EstimateId=estimate["EstimateId"]).get("Estimate")) == "1"
    assert "used by segment definition budget_below_spend" in _refused(  # named only in a dynamic value
        lambda: customers.profiles.delete_calculated_attribute_definition(DomainName=customers.domain,
                                                                          CalculatedAttributeName="spend"))


def test_groups_sources_and_how_they_combine(customers: Customers) -> None:
    named_a = _attribute("FirstName", "BEGINS_WITH", "A")
    named_b = _attribute("FirstName", "BEGINS_WITH", "B")
    customers.define("a_or_b", _groups({"Dimensions": [named_a, named_b], "Type": "ANY"}))
    assert customers.members("a_or_b") == {"ana", "bob"}
    customers.define("neither", _groups({"Dimensions": [named_a, named_b], "Type": "NONE"}))
    assert customers.members("neither") == {"cy"}
    customers.define("both_groups", _groups({"Dimensions": [named_a]}, {"Dimensions": [named_b]}))
    assert customers.members("both_groups") == set()
    customers.define("either_group", _groups({"Dimensions": [named_a]}, {"Dimensions": [named_b]}, include="ANY"))
    assert customers.members("either_group") == {"ana", "bob"}
    customers.define("outside", _groups({"Dimensions": [named_a]}, include="NONE"))
    assert customers.members("outside") == {"bob", "cy"}
    customers.define("a_or_b_in_porto", _groups({
        "SourceSegments": [{"SegmentDefinitionName": "a_or_b"}],
        "Dimensions": [{"ProfileAttributes": {"Address": {"City": {"DimensionType": "INCLUSIVE",
                                                                   "Values": ["Porto"]}}}}]}))
    assert customers.members("a_or_b_in_porto") == {"bob"}
    customers.define("not_in_sources", _groups({"SourceSegments": [{"SegmentDefinitionName": "a_or_b"},
                                                                   {"SegmentDefinitionName": "outside"}],
                                                "SourceType": "NONE"}))
    assert customers.members("not_in_sources") == set()  # ana is in a_or_b, bob and cy in outside

    assert "is used by segment definition a_or_b_in_porto" in _refused(
        lambda: customers.profiles.delete_segment_definition(DomainName=customers.domain,
                                                             SegmentDefinitionName="a_or_b"))
    customers.profiles.delete_segment_definition(DomainName=customers.domain,
                                                 SegmentDefinitionName="a_or_b_in_porto")
    customers.profiles.delete_segment_definition(DomainName=customers.domain,
                                                 SegmentDefinitionName="not_in_sources")
    answer = customers.profiles.delete_segment_definition(DomainName=customers.domain,
                                                          SegmentDefinitionName="a_or_b")
    assert answer["Message"] == "Segment definition a_or_b was deleted."
    _refused(lambda: customers.members("a_or_b"), "ResourceNotFoundException")


def test_definitions_are_read_listed_and_checked(customers: Customers) -> None:
    created = customers.define("gold", _groups({"Dimensions": [_attribute("FirstName", "INCLUSIVE", "Ana")]}),
                               Description="gold tier", Tags={"team": "crm"})
    arn = f"arn:aws:profile:us-east-1:{ACCOUNT}:domains/{customers.domain}/segment-definitions/gold"
    assert created["SegmentDefinitionArn"] == arn and created["Tags"] == {"team": "crm"}
    assert created["DisplayName"] == "Gold" and "CreatedAt" in created
    read = customers.profiles.get_segment_definition(DomainName=customers.domain, SegmentDefinitionName="gold")
    assert read["SegmentGroups"]["Groups"][0]["Dimensions"][0]["ProfileAttributes"]["FirstName"]["Values"] == ["Ana"]
    assert read["SegmentType"] == "CLASSIC" and read["Description"] == "gold tier"
    customers.define("silver", _groups({"Dimensions": [_attribute("FirstName", "INCLUSIVE", "Bob")]}))
    listed = customers.profiles.list_segment_definitions(DomainName=customers.domain, MaxResults=1)
    assert [item["SegmentDefinitionName"] for item in listed["Items"]] == ["gold"]
    assert listed["Items"][0]["SegmentDefinitionArn"] == arn
    rest = customers.profiles.list_segment_definitions(DomainName=customers.domain, NextToken=listed["NextToken"])
    assert [item["SegmentDefinitionName"] for item in rest["Items"]] == ["silver"]
    customers.profiles.tag_resource(resourceArn=arn, tags={"more": "x"})
    assert customers.profiles.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "crm", "more": "x"}

    unknown = "0" * 32
    answer = customers.profiles.get_segment_membership(DomainName=customers.domain, SegmentDefinitionName="gold",
                                                       ProfileIds=[customers.ids["ana"], unknown])
    assert answer["Profiles"][0]["Profile"]["FirstName"] == "Ana"
    assert answer["Failures"] == [{"ProfileId": unknown, "Status": 404,
                                   "Message": f"Profile {unknown} does not exist in domain {customers.domain}."}]

    dimension = {"Dimensions": [_attribute("FirstName", "INCLUSIVE", "Ana")]}
    for groups, extra, message in [
        (_groups(dimension), {}, "already exists"),
        ({"Groups": []}, {}, "at least one group"),
        (_groups({"SourceSegments": [{"SegmentDefinitionName": "nope"}]}), {}, "Source segment nope does not exist"),
        (_groups({"SourceSegments": [{}]}), {}, "A source segment needs its SegmentDefinitionName"),
        (_groups({"Dimensions": [{"CalculatedAttributes": {"nope": {"DimensionType": "EQUAL", "Values": ["1"]}}}]}),
         {}, "Calculated attribute nope does not exist"),
        (_groups({"Dimensions": [{"ProfileAttributes": {"Attributes": {"tags": {
            "DimensionType": "LIST_CONTAINS", "Values": ["a"]}}}}]}), {}, "LIST_CONTAINS is not supported"),
        (_groups({"Dimensions": [_attribute("BirthDate", "BEFORE", "{{_profile.BirthDate")]}), {},
         "is not a dynamic value"),
        (_groups({"Dimensions": [_attribute("FirstName", "INCLUSIVE", "Dr {{_profile.LastName}}")]}), {},
         "is not a dynamic value"),
        (_groups({"Dimensions": [_attribute("FirstName", "INCLUSIVE", "{{_profile.Nickname}}")]}), {},
         "names no profile attribute"),
        (_groups({"Dimensions": [_attribute("FirstName", "INCLUSIVE", "{{_profile.Address.Street}}")]}), {},
         "names no profile attribute"),
        (_groups({"Dimensions": [_attribute("FirstName", "INCLUSIVE", "{{_calculated_attribute.nope}}")]}), {},
         "Calculated attribute nope does not exist"),
        (_groups({"Dimensions": [{"CalculatedAttributes": {"spend": {
            "DimensionType": "EQUAL", "Values": ["1"],
            "ConditionOverrides": {"Range": {"Start": 1, "End": 5, "Unit": "DAYS"}}}}}]}), {}, "must not be smaller"),
        (None, {"SegmentSqlQuery": "SELECT * FROM profiles"}, "SegmentSqlQuery is not supported"),
    ]:
        name = "gold" if message == "already exists" else unique("s")[:60]
        arguments = {"DomainName": customers.domain, "SegmentDefinitionName": name, "DisplayName": "x", **extra}
        if groups is not None:
            arguments["SegmentGroups"] = groups
        assert message in _refused(lambda arguments=arguments: customers.profiles.create_segment_definition(
            **arguments))


def test_a_trigger_with_a_segment_filter_fires_only_for_its_members(server: Server) -> None:
    scenario = Scenario(server)
    scenario.profiles.create_segment_definition(
        DomainName=scenario.domain, SegmentDefinitionName="vip", DisplayName="VIP",
        SegmentGroups=_groups({"Dimensions": [_attribute("EmailAddress", "ENDS_WITH", "@vip.example.com")]}))
    scenario.trigger(SegmentFilter="vip")
    assert scenario.profiles.get_event_trigger(DomainName=scenario.domain,
                                               EventTriggerName="abandoned")["SegmentFilter"] == "vip"
    scenario.put("o-1", "someone@example.com", "abandoned")
    scenario.put("o-2", "star@vip.example.com", "abandoned")
    received = wait_for(lambda: scenario.received(), timeout=5)
    time.sleep(0.5)  # give a wrong second request the chance to show up
    received = scenario.received()
    assert [request["profileId"] for request in received] == [scenario.profile_id("star@vip.example.com")]
    assert wait_for(lambda: scenario.metric("TriggerEvaluations") == 2)
    assert scenario.metric("TriggerInvocations") == 1
    assert "used by event trigger abandoned" in _refused(
        lambda: scenario.profiles.delete_segment_definition(DomainName=scenario.domain, SegmentDefinitionName="vip"))


def test_a_dimension_is_one_kind_or_the_other(customers: Customers, server: Server) -> None:
    """Dimension is a union: a request setting both members (which boto3 will not send) is refused."""
    both = {"ProfileAttributes": {"FirstName": {"DimensionType": "INCLUSIVE", "Values": ["Ana"]}},
            "CalculatedAttributes": {"spend": {"DimensionType": "EQUAL", "Values": ["150"]}}}
    for dimension, refused in ((both, True), ({}, True), ({"ProfileAttributes": both["ProfileAttributes"]}, False)):
        body = json.dumps({"DisplayName": "x", "SegmentGroups": {"Groups": [{"Dimensions": [dimension]}]}})
        request = signed_request(f"{server.endpoint}/domains/{customers.domain}/segment-definitions/{unique('u')}",
                                 "profile", "us-east-1", body, headers={"Content-Type": "application/json"})
        status, headers, answer = send(request)
        if refused:
            assert status == 400, answer
            assert headers["x-amzn-errortype"].startswith("BadRequestException")
            assert ("Member must have exactly one of its members set: ProfileAttributes, CalculatedAttributes"
                    in json.loads(answer)["Message"])
        else:
            assert status == 200, answer
