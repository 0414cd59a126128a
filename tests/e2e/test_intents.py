"""Predictive intents: a domain's intent definition, the intent types, a customer's intents worked out from their
recent web analytics events (``_webAnalytics``), and event triggers that fire only for the intents they filter."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest

from tests.conftest import Server
from tests.e2e.errors import refused
from tests.e2e.identities import ACCOUNT, allow, document, make_user, unique
from tests.e2e.standard_types import put_standard_type
from tests.e2e.test_event_triggers import Scenario
from tests.e2e.waiting import wait_for
from tests.e2e.wire import signed_later

_event_ids = count()
ALL_ENABLED = [{"PriceSensitivityConfig": {"Enabled": True}}, {"WebSessionSummaryConfig": {"Enabled": True}},
               {"UpgradeUpsellPropensityConfig": {"Enabled": True}}, {"LastSearchIntentConfig": {"Enabled": True}}]
ALL_TYPES = ["PRICE_SENSITIVITY", "WEB_SESSION_SUMMARY", "UPGRADE_UPSELL_PROPENSITY", "LAST_SEARCH_INTENT"]


def _define_clicks(profiles, domain: str) -> None:
    """Clicks (found or created by the customer's email) filling the standard web analytics event."""
    put_standard_type(profiles, domain, "Click", "web clicks", "_webAnalytics", {
        "id": "EventId", "type": "EventType", "at": "EventTimestamp", "session": "Session.Id", "title": "Page.Title",
        "url": "Page.Location", "item": "Item.Id"})


def _click(profiles, domain: str, email: str, at: datetime | None, title: str, url: str = "https://shop.example.com/",
           session: str = "s1", event_type: str = "page_view", item: str | None = None) -> None:
    """A click at ``at`` (none: the click has no EventTimestamp)."""
    click = {"id": f"c{next(_event_ids)}", "type": event_type, "session": session, "title": title, "url": url,
             "email": email}
    if at is not None:
        click["at"] = str(int(at.timestamp() * 1000))
    if item:
        click["item"] = item
    profiles.put_profile_object(DomainName=domain, ObjectTypeName="Click", Object=json.dumps(click))


def _bargain_hunter(profiles, domain: str, email: str) -> None:
    """A session of four clicks ten minutes ago: a sale page, a search for cheap headphones, an item, the cart:
    half of them about prices."""
    start = datetime.now(UTC) - timedelta(minutes=10)
    _click(profiles, domain, email, start, "Summer sale")
    _click(profiles, domain, email, start + timedelta(minutes=1), "Search results",
           "https://shop.example.com/search?q=cheap+wireless+headphones", event_type="search")
    _click(profiles, domain, email, start + timedelta(minutes=3), "Headphones X2", item="X2")
    _click(profiles, domain, email, start + timedelta(minutes=4), "Cart", event_type="add_to_cart", item="X2")


def _intents(profiles, domain: str, email: str, types: list[str] = ALL_TYPES) -> tuple[dict, dict]:
    answer = profiles.batch_get_intent_for_profile(DomainName=domain, IntentDomain="DEFAULT", Intents=types,
                                                   KeyName="_email", KeyValues=[email])
    return ({intent["IntentType"]: intent for intent in answer["Intents"]},
            {error["IntentType"]: error for error in answer["Errors"]})


def test_the_intent_types_are_listed_by_intent_domain(profiles) -> None:
    (group,) = profiles.list_intent_types()["Items"]
    assert group["IntentDomain"] == "DEFAULT"
    assert [entry["IntentType"] for entry in group["Types"]] == ALL_TYPES
    assert all(len(entry["Description"]) > 20 for entry in group["Types"])
    assert profiles.list_intent_types(IntentDomain="DEFAULT", MaxResults=10)["Items"] == [group]
    assert refused(profiles.list_intent_types, NextToken="not-a-token")[0] == "BadRequestException"


def test_an_intent_definition_is_put_read_replaced_and_deleted(profiles, domain) -> None:
    put = profiles.put_intent_definition(DomainName=domain, IntentDomain="DEFAULT", Tags={"team": "web"}, Intents=[
        {"PriceSensitivityConfig": {"Enabled": True}}, {"LastSearchIntentConfig": {"Enabled": False}}])
    arn = f"arn:aws:profile:us-east-1:{ACCOUNT}:domains/{domain}/intents/DEFAULT"
    assert (put["DomainName"], put["IntentDomain"], put["IntentDefinitionArn"], put["Tags"]) == (
        domain, "DEFAULT", arn, {"team": "web"})
    got = profiles.get_intent_definition(DomainName=domain, IntentDomain="DEFAULT")
    assert got["Intents"] == put["Intents"] == [{"PriceSensitivityConfig": {"Enabled": True}},
                                                {"LastSearchIntentConfig": {"Enabled": False}}]
    assert got["CreatedAt"] == put["CreatedAt"]
    assert profiles.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "web"}

    replaced = profiles.put_intent_definition(DomainName=domain, IntentDomain="DEFAULT", Intents=ALL_ENABLED)
    assert replaced["Intents"] == ALL_ENABLED and replaced["CreatedAt"] == put["CreatedAt"]
    assert replaced["LastUpdatedAt"] >= put["LastUpdatedAt"] and replaced["Tags"] == {"team": "web"}
    code, message = refused(profiles.put_intent_definition, DomainName=domain, IntentDomain="DEFAULT",
                            Intents=ALL_ENABLED, Tags={"team": "other"})
    assert code == "BadRequestException" and "tags can be given only when it is created" in message
    profiles.tag_resource(resourceArn=arn, tags={"stage": "test"})
    assert profiles.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "web", "stage": "test"}

    assert profiles.delete_intent_definition(DomainName=domain, IntentDomain="DEFAULT")["ResponseMetadata"][
        "HTTPStatusCode"] == 200
    for call in (profiles.get_intent_definition, profiles.delete_intent_definition):
        code, message = refused(call, DomainName=domain, IntentDomain="DEFAULT")
        assert (code, message) == ("ResourceNotFoundException",
                                   f"Intent definition DEFAULT does not exist in domain {domain}.")
    assert refused(profiles.list_tags_for_resource, resourceArn=arn)[0] == "ResourceNotFoundException"


@pytest.mark.parametrize(("intents", "message"), [
    ([{"PriceSensitivityConfig": {"Enabled": True}}, {"PriceSensitivityConfig": {"Enabled": False}}],
     "Intent type PRICE_SENSITIVITY is configured more than once"),
    ([{"PriceSensitivityConfig": {"Enabled": False}}, {"WebSessionSummaryConfig": {"Enabled": False}}],
     "At least one intent type must be enabled."),
])
def test_an_intent_definition_names_each_type_once_and_enables_one(profiles, domain, intents, message) -> None:
    code, said = refused(profiles.put_intent_definition, DomainName=domain, IntentDomain="DEFAULT", Intents=intents)
    assert code == "BadRequestException" and message in said
    assert refused(profiles.get_intent_definition, DomainName=domain,
                   IntentDomain="DEFAULT")[0] == "ResourceNotFoundException"


def test_an_intent_definition_needs_its_domain(profiles) -> None:
    code, message = refused(profiles.put_intent_definition, DomainName=unique("none"), IntentDomain="DEFAULT",
                            Intents=ALL_ENABLED)
    assert code == "ResourceNotFoundException" and "does not exist" in message


def test_a_customers_intents_come_from_their_recent_clicks(profiles, domain) -> None:
    _define_clicks(profiles, domain)
    profiles.put_intent_definition(DomainName=domain, IntentDomain="DEFAULT", Intents=ALL_ENABLED)
    _bargain_hunter(profiles, domain, "ann@example.com")
    intents, errors = _intents(profiles, domain, "ann@example.com")
    assert errors == {}
    assert intents["PRICE_SENSITIVITY"] == {"IntentType": "PRICE_SENSITIVITY", "Value": "HIGH"}
    assert intents["UPGRADE_UPSELL_PROPENSITY"] == {"IntentType": "UPGRADE_UPSELL_PROPENSITY", "Value": "LOW"}
    assert intents["LAST_SEARCH_INTENT"]["Summary"].startswith('Searched for "cheap wireless headphones" on ')
    summary = intents["WEB_SESSION_SUMMARY"]["Summary"]
    assert "Web session of 4 events" in summary and "lasting 4 minutes" in summary
    assert "Pages: Summer sale, Search results, Headphones X2, Cart." in summary
    assert "Items: X2." in summary and 'Searches: "cheap wireless headphones".' in summary
    assert "Events: page_view (2), search (1), add_to_cart (1)." in summary

    # browsing premium plans, many times over, outweighs the sale: upsell HIGH, price LOW
    now = datetime.now(UTC)
    for minute in range(8):
        _click(profiles, domain, "ann@example.com", now - timedelta(seconds=60 - minute), "Premium plans compared",
               session="s2")
    intents, _ = _intents(profiles, domain, "ann@example.com", ["PRICE_SENSITIVITY", "UPGRADE_UPSELL_PROPENSITY",
                                                                "WEB_SESSION_SUMMARY"])
    assert intents["PRICE_SENSITIVITY"]["Value"] == "LOW"
    assert intents["UPGRADE_UPSELL_PROPENSITY"]["Value"] == "HIGH"
    assert intents["WEB_SESSION_SUMMARY"]["Summary"].startswith("Web session of 8 events")  # the latest session


def test_intents_that_cannot_be_worked_out_come_back_as_errors(profiles, domain) -> None:
    _define_clicks(profiles, domain)
    profiles.put_intent_definition(DomainName=domain, IntentDomain="DEFAULT", Intents=[
        {"PriceSensitivityConfig": {"Enabled": True}}, {"LastSearchIntentConfig": {"Enabled": True}},
        {"WebSessionSummaryConfig": {"Enabled": False}}])
    # two clicks, one of them too old to count
    _click(profiles, domain, "bob@example.com", datetime.now(UTC) - timedelta(days=40), "Deals",
           "https://shop.example.com/search?q=old+news")
    _click(profiles, domain, "bob@example.com", datetime.now(UTC), "Home")
    intents, errors = _intents(profiles, domain, "bob@example.com", [*ALL_TYPES, "PRICE_SENSITIVITY"])
    assert intents == {}
    assert {kind: error["Code"] for kind, error in errors.items()} == {
        "PRICE_SENSITIVITY": "INSUFFICIENT_DATA", "LAST_SEARCH_INTENT": "INSUFFICIENT_DATA",
        "WEB_SESSION_SUMMARY": "INTENT_NOT_ENABLED", "UPGRADE_UPSELL_PROPENSITY": "INTENT_NOT_ENABLED"}
    assert "at least 3 web analytics events of the last 30 days; the profile has 1" in errors[
        "PRICE_SENSITIVITY"]["Message"]


def test_clicks_count_for_thirty_days_from_when_they_were_stored(clocked_server) -> None:
    server, offset = clocked_server
    profiles, domain = server.client("customer-profiles"), unique("aging")
    profiles.create_domain(DomainName=domain, DefaultExpirationDays=90)
    _define_clicks(profiles, domain)
    profiles.put_intent_definition(DomainName=domain, IntentDomain="DEFAULT", Intents=ALL_ENABLED)
    _click(profiles, domain, "eve@example.com", None, "Find", "https://shop.example.com/s?q=tents")  # no timestamp
    _click(profiles, domain, "eve@example.com", datetime.now(UTC) + timedelta(days=20), "Find",
           "https://shop.example.com/s?q=stoves")  # dated ahead, but stored now
    assert _intents(profiles, domain, "eve@example.com", ["LAST_SEARCH_INTENT"])[0]["LAST_SEARCH_INTENT"][
        "Summary"].startswith('Searched for "tents" on ')  # the other one's time has not come
    offset.write_text(str(31 * 86400))
    try:
        # the timestamp-less click aged with its storage time; the other one's time has come, but it was stored
        # 31 days ago: too long ago to be read
        with signed_later(31):
            intents, errors = _intents(profiles, domain, "eve@example.com", ["LAST_SEARCH_INTENT"])
        assert (intents, errors["LAST_SEARCH_INTENT"]["Code"]) == ({}, "INSUFFICIENT_DATA")
    finally:
        offset.write_text("0")


def test_the_search_key_must_find_one_profile(profiles, domain) -> None:
    _define_clicks(profiles, domain)
    code, message = refused(profiles.batch_get_intent_for_profile, DomainName=domain, IntentDomain="DEFAULT",
                            Intents=["PRICE_SENSITIVITY"], KeyName="_email", KeyValues=["ann@example.com"])
    assert (code, message) == ("ResourceNotFoundException",
                               f"Intent definition DEFAULT does not exist in domain {domain}.")
    profiles.put_intent_definition(DomainName=domain, IntentDomain="DEFAULT", Intents=ALL_ENABLED)
    code, message = refused(profiles.batch_get_intent_for_profile, DomainName=domain, IntentDomain="DEFAULT",
                            Intents=["PRICE_SENSITIVITY"], KeyName="_email", KeyValues=["nobody@example.com"])
    assert code == "ResourceNotFoundException" and "nobody@example.com" not in message
    for _ in range(2):
        profiles.create_profile(DomainName=domain, EmailAddress="twin@example.com")
    code, message = refused(profiles.batch_get_intent_for_profile, DomainName=domain, IntentDomain="DEFAULT",
                            Intents=["PRICE_SENSITIVITY"], KeyName="_email", KeyValues=["twin@example.com"])
    assert code == "BadRequestException" and "2 profiles have those _email values" in message


def test_intent_definitions_are_authorized_by_their_arn(server: Server, profiles, domain) -> None:
    other = unique("other")
    profiles.create_domain(DomainName=other, DefaultExpirationDays=30)
    try:
        for name in (domain, other):
            profiles.put_intent_definition(DomainName=name, IntentDomain="DEFAULT", Intents=ALL_ENABLED)
        mine = f"arn:aws:profile:us-east-1:{ACCOUNT}:domains/{domain}/intents/DEFAULT"
        theirs = make_user(server, document(allow(["profile:GetIntentDefinition", "profile:ListIntentTypes"],
                                                  mine))).client("customer-profiles")
        assert theirs.get_intent_definition(DomainName=domain, IntentDomain="DEFAULT")["Intents"] == ALL_ENABLED
        code, message = refused(theirs.get_intent_definition, DomainName=other, IntentDomain="DEFAULT")
        assert code == "AccessDeniedException" and "profile:GetIntentDefinition" in message
        assert refused(theirs.list_intent_types)[0] == "AccessDeniedException"  # a List action names no resource
    finally:
        profiles.delete_domain(DomainName=other)


def _intent_filter(*conditions: dict, operator: str = "ALL") -> dict:
    return {"LogicalOperator": "ANY", "Groups": [{"LogicalOperator": operator, "Conditions": list(conditions)}]}


def _condition(kind: str, operator: str, *values: str) -> dict:
    return {"Intent": {"IntentDomain": "DEFAULT", "Type": kind}, "ComparisonOperator": operator,
            "Values": list(values)}


def test_a_trigger_with_an_intent_filter_fires_only_for_the_intents_it_names(server: Server) -> None:
    scenario = Scenario(server)
    profiles, domain = scenario.profiles, scenario.domain
    _define_clicks(profiles, domain)
    profiles.put_intent_definition(DomainName=domain, IntentDomain="DEFAULT", Intents=ALL_ENABLED)
    intent_filter = _intent_filter(_condition("PRICE_SENSITIVITY", "GREATER_THAN_OR_EQUAL", "HIGH"),
                                   _condition("LAST_SEARCH_INTENT", "CONTAINS", "Headphones", "speakers"))
    scenario.trigger(IntentFilterDefinition=intent_filter)
    assert profiles.get_event_trigger(DomainName=domain, EventTriggerName="abandoned")[
        "IntentFilterDefinition"] == intent_filter
    _bargain_hunter(profiles, domain, "ann@example.com")
    now = datetime.now(UTC)
    for minute in range(3):  # searched for headphones too, but no sale in sight: price LOW
        _click(profiles, domain, "cy@example.com", now - timedelta(minutes=3 - minute), "Headphones",
               "https://shop.example.com/find?query=headphones")
    scenario.put("o-1", "cy@example.com", "abandoned")
    scenario.put("o-2", "ann@example.com", "abandoned")
    scenario.put("o-3", "nobody-clicked@example.com", "abandoned")
    received = wait_for(lambda: scenario.received(), timeout=5)
    time.sleep(0.5)  # give a wrong second request the chance to show up
    assert [request["profileId"] for request in scenario.received()] == [scenario.profile_id("ann@example.com")]
    assert received[0]["profileId"] == scenario.profile_id("ann@example.com")
    assert wait_for(lambda: scenario.metric("TriggerEvaluations") >= 3)

    # without the definition no intent can be worked out, and a condition on one does not hold
    profiles.update_event_trigger(DomainName=domain, EventTriggerName="abandoned",
                                  IntentFilterDefinition=_intent_filter(
                                      _condition("PRICE_SENSITIVITY", "EXCLUSIVE", "HIGH"), operator="ANY"))
    profiles.delete_intent_definition(DomainName=domain, IntentDomain="DEFAULT")
    scenario.put("o-4", "cy@example.com", "abandoned")
    assert wait_for(lambda: scenario.metric("TriggerEvaluations") >= 4)
    time.sleep(0.5)
    assert len(scenario.received()) == 1


@pytest.mark.parametrize(("condition", "message"), [
    (_condition("WEB_SESSION_SUMMARY", "CONTAINS", "x"), "WEB_SESSION_SUMMARY cannot be used in an intent filter."),
    (_condition("PRICE_SENSITIVITY", "CONTAINS", "HIGH"), "PRICE_SENSITIVITY compares with EQUAL, EXCLUSIVE"),
    (_condition("PRICE_SENSITIVITY", "EQUAL", "MEDIUM"), "exactly one value, HIGH or LOW"),
    (_condition("UPGRADE_UPSELL_PROPENSITY", "EQUAL", "HIGH", "LOW"), "exactly one value, HIGH or LOW"),
    (_condition("LAST_SEARCH_INTENT", "EQUAL", "shoes"), "LAST_SEARCH_INTENT compares with CONTAINS, not EQUAL."),
])
def test_an_intent_filter_compares_each_type_as_it_can(server: Server, condition: dict, message: str) -> None:
    scenario = Scenario(server)
    code, said = refused(scenario.trigger, IntentFilterDefinition=_intent_filter(condition))
    assert code == "BadRequestException" and message in said
    twice = _intent_filter(_condition("PRICE_SENSITIVITY", "EQUAL", "HIGH"),
                           _condition("PRICE_SENSITIVITY", "EQUAL", "LOW"))
    assert "appears more than once" in refused(scenario.trigger, IntentFilterDefinition=twice)[1]
