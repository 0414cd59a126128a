"""Customer Profiles segment subscriptions: a first snapshot of who a segment holds, then LIVE events as profiles
change and SCHEDULE events from the scheduled snapshots."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

from tests.conftest import Server
from tests.e2e.errors import refused
from tests.e2e.identities import unique
from tests.e2e.test_profiles_data import LARGE_TYPE, define_orders, load_orders
from tests.e2e.test_segments import Customers, _attribute, _groups
from tests.e2e.waiting import wait_for
from tests.e2e.wire import signed_later

GOLD = _groups({"Dimensions": [{"ProfileAttributes": {"Attributes": {"tier": {"DimensionType": "INCLUSIVE",
                                                                             "Values": ["gold"]}}}}]})


def _running(customers: Customers, segment: str) -> dict:
    return wait_for(lambda: (answer := customers.profiles.get_segment_subscription(
        DomainName=customers.domain, SegmentDefinitionName=segment))["Status"] == "RUNNING" and answer)


def _events(customers: Customers, segment: str) -> list[tuple[str, str, str]]:
    """(who, Event, EventType), newest first."""
    by_id = {profile_id: who for who, profile_id in customers.ids.items()}
    events = customers.profiles.list_segment_subscription_events(DomainName=customers.domain,
                                                                 SegmentDefinitionName=segment)["Events"]
    return [(by_id.get(event["ProfileId"], event["ProfileId"]), event["Event"], event["EventType"])
            for event in events]


def _until_events(customers: Customers, segment: str, count: int) -> list[tuple[str, str, str]]:
    return wait_for(lambda: len(events := _events(customers, segment)) >= count and events, timeout=30)


def test_a_subscription_starts_with_a_snapshot_then_tells_of_each_change(server: Server) -> None:
    customers = Customers(server)
    profiles, domain = customers.profiles, customers.domain
    customers.define("gold", GOLD)
    assert customers.members("gold") == {"ana"}
    started = profiles.put_segment_subscription(DomainName=domain, SegmentDefinitionName="gold")
    assert started["Status"] == "STARTING" and "ScheduleConfiguration" not in started

    running = _running(customers, "gold")
    executions = running["ScheduledExecutions"]
    assert executions["NextExecutedAt"] - executions["LastExecutedAt"] == timedelta(hours=24)
    assert running["StartedAt"] == started["StartedAt"] and "ScheduleConfiguration" not in running
    assert _events(customers, "gold") == []  # the first snapshot tells of no change: it is where changes start

    profiles.update_profile(DomainName=domain, ProfileId=customers.ids["bob"], Attributes={"tier": "gold"})
    assert _until_events(customers, "gold", 1) == [("bob", "JOINED", "LIVE")]
    profiles.update_profile(DomainName=domain, ProfileId=customers.ids["ana"], Attributes={"tier": "silver"})
    customers.ids["dee"] = customers.create(FirstName="Dee", Attributes={"tier": "gold"})
    profiles.update_profile(DomainName=domain, ProfileId=customers.ids["cy"], FirstName="Cyrus")  # stays out
    assert sorted(_until_events(customers, "gold", 3)[:2]) == [("ana", "LEFT", "LIVE"), ("dee", "JOINED", "LIVE")]
    profiles.delete_profile(DomainName=domain, ProfileId=customers.ids["dee"])
    events = _until_events(customers, "gold", 4)
    assert events[0] == ("dee", "LEFT", "LIVE") and len(events) == 4

    first = profiles.list_segment_subscription_events(DomainName=domain, SegmentDefinitionName="gold", MaxResults=3)
    profiles.update_profile(DomainName=domain, ProfileId=customers.ids["cy"], Attributes={"tier": "gold"})
    assert _until_events(customers, "gold", 5)[0] == ("cy", "JOINED", "LIVE")  # newer than the pages under way
    rest = profiles.list_segment_subscription_events(DomainName=domain, SegmentDefinitionName="gold",
                                                     NextToken=first["NextToken"])
    assert [event["ProfileId"] for event in first["Events"] + rest["Events"]] == [
        customers.ids[who] for who, _, _ in events] and "NextToken" not in rest
    assert all(event["UpdatedAt"] >= running["StartedAt"] for event in first["Events"])
    for bad in ('["after", "x"]', '["after", "1", "2"]'):
        assert refused(profiles.list_segment_subscription_events, DomainName=domain, SegmentDefinitionName="gold",
                       NextToken=base64.urlsafe_b64encode(bad.encode()).decode()) == (
            "BadRequestException", "The next token is invalid.")

    changed = profiles.put_segment_subscription(DomainName=domain, SegmentDefinitionName="gold",
                                                ScheduleConfiguration={"Interval": 2})
    assert (changed["Status"], changed["ScheduleConfiguration"], changed["StartedAt"]) == (
        "RUNNING", {"Interval": 2, "Unit": "HOURLY"}, started["StartedAt"])
    now = profiles.get_segment_subscription(DomainName=domain, SegmentDefinitionName="gold")
    assert now["ScheduledExecutions"]["NextExecutedAt"] - now["ScheduledExecutions"]["LastExecutedAt"] == timedelta(
        hours=2)
    assert now["LastUpdatedAt"] >= running["LastUpdatedAt"] and now["ScheduleConfiguration"]["Interval"] == 2

    assert profiles.delete_segment_subscription(DomainName=domain, SegmentDefinitionName="gold")["Message"] == (
        "The subscription of segment definition gold was deleted.")
    missing = ("ResourceNotFoundException", f"Segment definition gold has no subscription in domain {domain}.")
    assert refused(profiles.get_segment_subscription, DomainName=domain, SegmentDefinitionName="gold") == missing
    assert refused(profiles.list_segment_subscription_events, DomainName=domain,
                    SegmentDefinitionName="gold") == missing


def test_scheduled_snapshots_tell_of_changes_no_write_made(clocked_server) -> None:
    server, offset = clocked_server
    customers = Customers(server)
    profiles, domain = customers.profiles, customers.domain
    profiles.create_calculated_attribute_definition(
        DomainName=domain, CalculatedAttributeName="orders_today", Statistic="COUNT", UseHistoricalData=True,
        AttributeDetails={"Attributes": [{"Name": "total"}], "Expression": "{Order.total}"},
        Conditions={"Range": {"Value": 1, "Unit": "DAYS"}})
    customers.define("buying", _groups({"Dimensions": [
        {"CalculatedAttributes": {"orders_today": {"DimensionType": "GREATER_THAN", "Values": ["0"]}}}]}))
    assert customers.members("buying") == {"ana", "bob"}
    profiles.put_segment_subscription(DomainName=domain, SegmentDefinitionName="buying",
                                      ScheduleConfiguration={"Interval": 1, "Unit": "HOURLY"})
    _running(customers, "buying")
    try:
        offset.write_text(str(2 * 86400))  # two days on: the orders are out of the range, nobody wrote anything
        with signed_later(2):
            events = _until_events(customers, "buying", 2)
            assert sorted(events) == [("ana", "LEFT", "SCHEDULE"), ("bob", "LEFT", "SCHEDULE")]
            after = profiles.get_segment_subscription(DomainName=domain, SegmentDefinitionName="buying")
            executions = after["ScheduledExecutions"]
            assert executions["NextExecutedAt"] - executions["LastExecutedAt"] == timedelta(hours=1)
            assert executions["LastExecutedAt"] - after["StartedAt"] >= timedelta(days=2)
            profiles.put_profile_object(DomainName=domain, ObjectTypeName="Order",
                                        Object=json.dumps({"id": "o9", "email": "cy@example.net", "total": 5}))
            assert _until_events(customers, "buying", 3)[0] == ("cy", "JOINED", "LIVE")
    finally:
        offset.write_text("0")


def test_what_a_subscription_refuses_and_what_takes_it_along(server: Server) -> None:
    customers = Customers(server)
    profiles, domain = customers.profiles, customers.domain
    code, message = refused(profiles.put_segment_subscription, DomainName=domain, SegmentDefinitionName="nowhere")
    assert code == "ResourceNotFoundException" and "nowhere" in message
    customers.define("gold", GOLD)
    assert refused(profiles.get_segment_subscription, DomainName=domain, SegmentDefinitionName="gold") == (
        "ResourceNotFoundException", f"Segment definition gold has no subscription in domain {domain}.")
    assert refused(profiles.put_segment_subscription, DomainName=domain, SegmentDefinitionName="gold",
                    ScheduleConfiguration={"Interval": 25})[0] == "BadRequestException"
    profiles.put_segment_subscription(DomainName=domain, SegmentDefinitionName="gold")
    _running(customers, "gold")
    profiles.delete_segment_definition(DomainName=domain, SegmentDefinitionName="gold")  # takes it along
    customers.define("gold", GOLD)
    assert refused(profiles.get_segment_subscription, DomainName=domain, SegmentDefinitionName="gold")[0] == (
        "ResourceNotFoundException")


def test_a_large_subscriptions_members_go_after_it_and_never_into_a_new_one(server: Server, tmp_path) -> None:
    customers = Customers(server)
    profiles, domain = customers.profiles, customers.domain
    define_orders(profiles, domain)
    load_orders(server, tmp_path, domain, LARGE_TYPE)  # customers F0, F1, …: more members than a call removes
    segment = unique("named-f")
    customers.define(segment, _groups({"Dimensions": [_attribute("FirstName", "BEGINS_WITH", "F")]}))
    members = f"SELECT count(*) FROM profile_segment_members WHERE segment_name = '{segment}'"
    profiles.put_segment_subscription(DomainName=domain, SegmentDefinitionName=segment)
    _running(customers, segment)
    assert server.read(members) == [LARGE_TYPE]

    profiles.delete_segment_subscription(DomainName=domain, SegmentDefinitionName=segment)
    profiles.put_segment_subscription(DomainName=domain, SegmentDefinitionName=segment)  # the rest goes first
    _running(customers, segment)
    assert server.read("SELECT name FROM profile_purges WHERE kind = 'segment-subscription'") == []
    assert server.read(members) == [LARGE_TYPE] and _events(customers, segment) == []

    profiles.delete_segment_subscription(DomainName=domain, SegmentDefinitionName=segment)
    wait_for(lambda: server.read(members) == [0], timeout=30)  # in the background
    wait_for(lambda: not server.read("SELECT name FROM profile_purges WHERE kind = 'segment-subscription'"))
