"""Callers racing for one name get what they would get one after another. On PostgreSQL requests run on threads,
and each transaction may read the name as free (or the domain as there) before another one's write commits."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from tests.conftest import Server, server_on
from tests.e2e.identities import ACCOUNT, unique
from tests.e2e.test_seed_service_linked_roles import create_domain, role_exists
from tests.e2e.test_upload_jobs import upload_file, upload_job
from tests.e2e.waiting import wait_for

CALLERS = 12


def at_once(server: Server, call: Callable[[Any, int], object], service: str = "customer-profiles",
            region: str = "us-east-1") -> Counter[str]:
    """``call(client, index)`` made by CALLERS threads released together, each with a ``service`` client of its
    own; how many answered each error code ("ok" for a success)."""
    start = threading.Barrier(CALLERS)

    def attempt(index: int) -> str:
        client = server.client(service, region)
        start.wait()
        try:
            call(client, index)
            return "ok"
        except ClientError as error:
            return error.response["Error"]["Code"]

    with ThreadPoolExecutor(CALLERS) as pool:
        return Counter(pool.map(attempt, range(CALLERS)))


def domain_with_orders(server: Server) -> tuple[str, Any]:
    """A new domain with an Order type (unique by its id, its customer found by email), and a client."""
    domain, _ = create_domain(server)
    profiles = server.client("customer-profiles")
    profiles.put_profile_object_type(
        DomainName=domain, ObjectTypeName="Order", Description="orders", AllowProfileCreation=True,
        Fields={"id": {"Source": "_source.id"},
                "email": {"Source": "_source.email", "Target": "_profile.EmailAddress"}},
        Keys={"_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}],
              "orderId": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}]})
    return domain, profiles


def test_one_of_the_creates_of_a_name_makes_it_and_keeps_its_own_definition(server: Server) -> None:
    domain, profiles = domain_with_orders(server)

    def create_trigger(name: str) -> Callable[[Any, int], object]:
        return lambda client, index: client.create_event_trigger(
            DomainName=domain, EventTriggerName=name, ObjectTypeName="Order", Description=f"caller {index}",
            EventTriggerConditions=[{"LogicalOperator": "ANY", "EventTriggerDimensions": [{"ObjectAttributes": [
                {"Source": "_source.email", "ComparisonOperator": "EQUAL", "Values": [f"{index}@example.com"]}]}]}])

    def create_segment(name: str) -> Callable[[Any, int], object]:
        return lambda client, index: client.create_segment_definition(
            DomainName=domain, SegmentDefinitionName=name, DisplayName=f"caller {index}",
            SegmentGroups={"Groups": [{"Dimensions": [{"ProfileAttributes": {"FirstName": {
                "DimensionType": "INCLUSIVE", "Values": [f"name{index}"]}}}]}]})

    names = [f"racing-{round_}" for round_ in range(3)]  # a race is not lost every time: run it a few
    for name in names:
        for create in (create_trigger, create_segment):
            assert at_once(server, create(name)) == {"ok": 1, "BadRequestException": CALLERS - 1}, (create, name)
    # before, later callers on PostgreSQL overwrote the first one's trigger and were told they had created it
    for name in names:
        trigger = profiles.get_event_trigger(DomainName=domain, EventTriggerName=name)
        winner = trigger["Description"].removeprefix("caller ")
        condition = trigger["EventTriggerConditions"][0]["EventTriggerDimensions"][0]["ObjectAttributes"][0]
        assert condition["Values"] == [f"{winner}@example.com"]
    assert len(profiles.list_event_triggers(DomainName=domain)["Items"]) == len(names)
    for name in names:  # each delete reads the trigger it deletes too
        outcomes = at_once(server, lambda client, _index, name=name: client.delete_event_trigger(
            DomainName=domain, EventTriggerName=name))
        assert outcomes == {"ok": 1, "ResourceNotFoundException": CALLERS - 1}


def test_one_of_the_deletes_of_an_object_type_or_a_domain_deletes_it(server: Server) -> None:
    domain, role = create_domain(server)
    profiles = server.client("customer-profiles")
    for round_ in range(3):
        name = f"Order{round_}"
        profiles.put_profile_object_type(
            DomainName=domain, ObjectTypeName=name, Description="orders", AllowProfileCreation=True,
            Fields={"email": {"Source": "_source.email", "Target": "_profile.EmailAddress"}},
            Keys={"_email": [{"StandardIdentifiers": ["PROFILE", "UNIQUE"], "FieldNames": ["email"]}]})
        outcomes = at_once(server, lambda client, _index, name=name: client.delete_profile_object_type(
            DomainName=domain, ObjectTypeName=name))
        assert outcomes == {"ok": 1, "ResourceNotFoundException": CALLERS - 1}
    outcomes = at_once(server, lambda client, _index: client.delete_domain(DomainName=domain))
    assert outcomes == {"ok": 1, "ResourceNotFoundException": CALLERS - 1}
    wait_for(lambda: not role_exists(server, role), timeout=15)


def test_profile_writes_at_once_all_land_and_crossing_merges_keep_one_profile(server: Server) -> None:
    domain, _ = create_domain(server)
    profiles = server.client("customer-profiles")
    profiles.put_profile_object_type(
        DomainName=domain, ObjectTypeName="Survey", Description="answers", AllowProfileCreation=True,
        Fields={"id": {"Source": "_source.id"}, "email": {"Source": "_source.email", "Target": "_profile.EmailAddress"},
                "answer": {"Source": "_source.answer", "Target": "_profile.Attributes.survey"}},
        Keys={"_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}],
              "surveyId": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}]})
    for round_ in range(3):
        email = f"ana{round_}@example.com"
        profile_id = profiles.create_profile(DomainName=domain, FirstName="Ana", EmailAddress=email)["ProfileId"]

        def update_or_put(client: Any, index: int, profile_id: str = profile_id, email: str = email) -> None:
            if index % 3:
                client.update_profile(DomainName=domain, ProfileId=profile_id,
                                      Attributes={f"answer{index}": str(index)})
            else:  # an object filling another attribute of the same profile
                client.put_profile_object(DomainName=domain, ObjectTypeName="Survey", Object=json.dumps(
                    {"id": f"{email}-{index}", "email": email, "answer": str(index)}))

        assert at_once(server, update_or_put) == {"ok": CALLERS}
        (found,) = profiles.search_profiles(DomainName=domain, KeyName="_profileId", Values=[profile_id])["Items"]
        updated = {f"answer{index}": str(index) for index in range(CALLERS) if index % 3}
        assert {key: value for key, value in found["Attributes"].items() if key != "survey"} == updated
        assert "survey" in found["Attributes"]  # none written over: each call wrote on what the one before left

    for _round in range(3):  # each merges the other's profile into its own: one of them wins, as one after another
        pair = [profiles.create_profile(DomainName=domain, FirstName=name)["ProfileId"] for name in ("Bo", "Cy")]
        outcomes = at_once(server, lambda client, index, pair=pair: client.merge_profiles(
            DomainName=domain, MainProfileId=pair[index % 2], ProfileIdsToBeMerged=[pair[1 - index % 2]]))
        assert outcomes == {"ok": 1, "ResourceNotFoundException": CALLERS - 1}
        left = [profile_id for profile_id in pair if profiles.search_profiles(
            DomainName=domain, KeyName="_profileId", Values=[profile_id])["Items"]]
        assert len(left) == 1  # before, both were deleted


def test_instances_onboarded_at_once_share_one_new_service_linked_role(backend: str, tmp_path: Path) -> None:
    with server_on(backend, tmp_path) as fresh:  # an account without the role yet
        outcomes = at_once(fresh, lambda client, index: client.start_instance_onboarding_job(
            connectInstanceId=f"00000000-0000-0000-0000-{index:012d}", encryptionConfig={"enabled": False}),
            service="connectcampaignsv2")
        assert outcomes == {"ok": CALLERS}  # before, some were refused: IAM found the role another had just made
        roles = fresh.client("iam").list_roles(PathPrefix="/aws-service-role/connect-campaigns.amazonaws.com/")
        assert [role["RoleName"] for role in roles["Roles"]] == ["AWSServiceRoleForConnectCampaigns"]


def test_changes_of_one_campaign_or_event_data_store_take_turns(server: Server) -> None:
    """Each of these reads the state it changes: of several at once, one changes it and the others find it
    changed, as one after another."""
    campaigns = server.client("connectcampaignsv2")
    campaign = campaigns.create_campaign(name="racing", connectInstanceId="instance-1")["id"]
    campaigns.start_campaign(id=campaign)
    for change in ("pause_campaign", "resume_campaign", "pause_campaign"):
        outcomes = at_once(server, lambda client, _index, change=change: getattr(client, change)(id=campaign),
                           service="connectcampaignsv2")
        assert outcomes == {"ok": 1, "InvalidCampaignStateException": CALLERS - 1}, change
    assert campaigns.get_campaign_state(id=campaign)["state"] == "Paused"
    outcomes = at_once(server, lambda client, _index: client.delete_campaign(id=campaign), service="connectcampaignsv2")
    assert outcomes == {"ok": 1, "ResourceNotFoundException": CALLERS - 1}

    region = "eu-north-1"  # a region of its own: the other tests' stores count against us-east-1's ten
    store = server.client("cloudtrail", region).create_event_data_store(
        Name=f"racing-{campaign[:8]}", TerminationProtectionEnabled=False)["EventDataStoreArn"]
    outcomes = at_once(server, lambda client, _index: client.delete_event_data_store(EventDataStore=store),
                       service="cloudtrail", region=region)
    assert outcomes == {"ok": 1, "InactiveEventDataStoreException": CALLERS - 1}
    outcomes = at_once(server, lambda client, _index: client.restore_event_data_store(EventDataStore=store),
                       service="cloudtrail", region=region)
    assert outcomes == {"ok": 1, "InvalidEventDataStoreStatusException": CALLERS - 1}
    server.client("cloudtrail", region).delete_event_data_store(EventDataStore=store)  # frees the region's quota


def test_objects_put_while_their_customer_is_merged_land_on_the_profile_that_stays(server: Server) -> None:
    domain, profiles = domain_with_orders(server)
    for round_ in range(5):
        email = f"customer{round_}@example.com"
        main = profiles.create_profile(DomainName=domain, FirstName="Main")["ProfileId"]
        duplicate = profiles.create_profile(DomainName=domain, FirstName="Dup", EmailAddress=email)["ProfileId"]

        def put_or_merge(client: Any, index: int, email: str = email, main: str = main,
                         duplicate: str = duplicate) -> None:
            if index == 0:
                client.merge_profiles(DomainName=domain, MainProfileId=main, ProfileIdsToBeMerged=[duplicate])
            elif index % 2:
                client.put_profile_object(DomainName=domain, ObjectTypeName="Order",
                                          Object=json.dumps({"id": f"{email}-{index}", "email": email}))
            else:
                answer = client.batch_put_profile_object(DomainName=domain, ObjectTypeName="Order", Items=[
                    {"Id": "one", "Object": json.dumps({"id": f"{email}-{index}", "email": email})}])
                assert not answer.get("Errors"), answer["Errors"]

        assert at_once(server, put_or_merge) == {"ok": CALLERS}
        # before, on PostgreSQL, objects found the duplicate by its email, then went to it as the merge deleted it
        listed = profiles.list_profile_objects(DomainName=domain, ObjectTypeName="Order", ProfileId=main,
                                               MaxResults=100)["Items"]
        assert len(listed) == CALLERS - 1, round_


def test_the_domains_counts_stay_exact_under_deletes_at_once(server: Server) -> None:
    domain, profiles = domain_with_orders(server)
    bodies = [json.dumps({"id": f"order-{index}", "email": "ana@example.com"}) for index in range(6)]
    keys = [profiles.put_profile_object(DomainName=domain, ObjectTypeName="Order", Object=body)[
        "ProfileObjectUniqueKey"] for body in bodies]
    (customer,) = profiles.search_profiles(DomainName=domain, KeyName="_email", Values=["ana@example.com"])["Items"]
    for key in keys[:3]:
        outcomes = at_once(server, lambda client, _index, key=key: client.delete_profile_object(
            DomainName=domain, ObjectTypeName="Order", ProfileId=customer["ProfileId"], ProfileObjectUniqueKey=key))
        assert outcomes == {"ok": 1, "ResourceNotFoundException": CALLERS - 1}
    stats = profiles.get_domain(DomainName=domain)["Stats"]
    assert (stats["ObjectCount"], stats["TotalSize"]) == (3, sum(len(body) for body in bodies[3:]))  # went below
    profiles.delete_profile(DomainName=domain, ProfileId=customer["ProfileId"])
    stats = profiles.get_domain(DomainName=domain)["Stats"]
    assert (stats["ProfileCount"], stats["ObjectCount"], stats["TotalSize"]) == (0, 0, 0)


def test_an_upload_job_started_by_several_callers_at_once_runs_once(server: Server) -> None:
    domain, _ = create_domain(server)
    profiles = server.client("customer-profiles")
    job_id = upload_job(profiles, domain)
    upload_file(profiles, domain, job_id, "CustomerId,First\r\nc-1,Ana\r\nc-2,Bo\r\n")
    outcomes = at_once(server, lambda client, _index: client.start_upload_job(DomainName=domain, JobId=job_id))
    assert outcomes == {"ok": 1, "BadRequestException": CALLERS - 1}  # before, several started it: its rows twice
    done = wait_for(lambda: (job := profiles.get_upload_job(DomainName=domain, JobId=job_id))["Status"] not in (
        "CREATED", "IN_PROGRESS") and job)
    assert done["ResultsSummary"] == {"CreatedRecords": 2, "UpdatedRecords": 0, "FailedRecords": 0}


def test_tags_added_at_once_stop_at_the_fifty_a_resource_may_carry(server: Server) -> None:
    """Each caller adds five keys to a resource that has forty: two of them fit. Before, on PostgreSQL, each
    counted the tags without the others' and most were let in."""
    domain, _ = create_domain(server)
    profiles = server.client("customer-profiles")
    forty = {f"key-{index}": "v" for index in range(40)}
    arn = f"arn:aws:profile:us-east-1:{ACCOUNT}:domains/{domain}"
    profiles.tag_resource(resourceArn=arn, tags=forty)
    outcomes = at_once(server, lambda client, index: client.tag_resource(
        resourceArn=arn, tags={f"caller-{index}-{key}": "v" for key in range(5)}))
    assert outcomes == {"ok": 2, "BadRequestException": CALLERS - 2}
    assert len(profiles.list_tags_for_resource(resourceArn=arn)["tags"]) == 50

    cloudwatch = server.client("cloudwatch")
    cloudwatch.put_dashboard(DashboardName=f"racing-{domain}", DashboardBody='{"widgets": []}')
    (dashboard,) = [entry["DashboardArn"] for entry in cloudwatch.list_dashboards(
        DashboardNamePrefix=f"racing-{domain}")["DashboardEntries"]]
    cloudwatch.tag_resource(ResourceARN=dashboard, Tags=[{"Key": key, "Value": "v"} for key in forty])
    outcomes = at_once(server, lambda client, index: client.tag_resource(
        ResourceARN=dashboard, Tags=[{"Key": f"caller-{index}-{key}", "Value": "v"} for key in range(5)]),
        service="cloudwatch")
    assert outcomes == {"ok": 2, "InvalidParameterValue": CALLERS - 2}
    assert len(cloudwatch.list_tags_for_resource(ResourceARN=dashboard)["Tags"]) == 50


def test_cloudwatch_deletes_at_once_delete_once_and_leave_no_rule_naming_a_deleted_alarm(server: Server) -> None:
    cloudwatch = server.client("cloudwatch")
    name = unique("racing")
    cloudwatch.put_dashboard(DashboardName=name, DashboardBody='{"widgets": []}')
    outcomes = at_once(server, lambda client, _index: client.delete_dashboards(DashboardNames=[name]),
                       service="cloudwatch")
    assert outcomes == {"ok": 1, "ResourceNotFound": CALLERS - 1}  # before, two or more were told they deleted it

    for round_ in range(3):
        child = f"{name}-child-{round_}"
        cloudwatch.put_metric_alarm(AlarmName=child, Namespace="Racing", MetricName="Orders", Statistic="Sum",
                                    Period=60, EvaluationPeriods=1, Threshold=1.0,
                                    ComparisonOperator="GreaterThanThreshold")

        def delete_or_depend(client: Any, index: int, child: str = child) -> None:
            if index % 2:
                client.put_composite_alarm(AlarmName=f"{child}-parent-{index}", AlarmRule=f"ALARM({child})")
            else:
                client.delete_alarms(AlarmNames=[child])

        at_once(server, delete_or_depend, service="cloudwatch")
        parents = cloudwatch.describe_alarms(ParentsOfAlarmName=child, AlarmTypes=["CompositeAlarm"])
        child_left = cloudwatch.describe_alarms(AlarmNames=[child])["MetricAlarms"]
        assert child_left or not parents["CompositeAlarms"], round_  # a parent always has its child


def test_quotas_hold_when_the_last_places_are_taken_at_once(backend: str, tmp_path: Path) -> None:
    """Creates of different names each count what is there, then add theirs: at once, on PostgreSQL, all of
    them counted the same and all were let in, past the quota."""
    with server_on(backend, tmp_path) as fresh:  # an account and region of its own: its campaign quota fills up
        domain, profiles = domain_with_orders(fresh)
        conditions = [{"LogicalOperator": "ANY", "EventTriggerDimensions": [{"ObjectAttributes": [
            {"Source": "_source.id", "ComparisonOperator": "EQUAL", "Values": ["order-1"]}]}]}]
        for index in range(19):
            profiles.create_event_trigger(DomainName=domain, EventTriggerName=f"trigger-{index}",
                                          ObjectTypeName="Order", EventTriggerConditions=conditions)
        outcomes = at_once(fresh, lambda client, index: client.create_event_trigger(
            DomainName=domain, EventTriggerName=f"racing-{index}", ObjectTypeName="Order",
            EventTriggerConditions=conditions))
        assert outcomes == {"ok": 1, "BadRequestException": CALLERS - 1}  # twenty a domain
        assert len(profiles.list_event_triggers(DomainName=domain, MaxResults=50)["Items"]) == 20

        campaigns = fresh.client("connectcampaignsv2")
        for index in range(500 - CALLERS // 2):
            campaigns.create_campaign(name=f"campaign-{index}", connectInstanceId="instance-1")
        outcomes = at_once(fresh, lambda client, index: client.create_campaign(
            name=f"racing-{index}", connectInstanceId="instance-1"), service="connectcampaignsv2")
        assert outcomes == {"ok": CALLERS // 2, "ServiceQuotaExceededException": CALLERS // 2}  # 500 a region
