"""Event triggers reaching Outbound Campaigns and CloudWatch, the service acting through its role (issue 6)."""

from __future__ import annotations

import copy
import json
import subprocess
import time
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server, dedicated_server, narrowed_policy_server
from tests.e2e.cli import PROFILESTACK
from tests.e2e.identities import ACCOUNT, unique
from tests.e2e.waiting import wait_for
from tests.e2e.wire import send, signed_request

POLICY_ARN = "arn:aws:iam::aws:policy/aws-service-role/CustomerProfilesServiceLinkedRolePolicy"


class Scenario:
    """A domain with an Order type, a running campaign, and helpers to wire triggers and read outcomes."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.profiles = server.client("customer-profiles")
        self.campaigns = server.client("connectcampaignsv2")
        self.domain = unique("trig")
        self.profiles.create_domain(DomainName=self.domain, DefaultExpirationDays=30)
        self.profiles.put_profile_object_type(
            DomainName=self.domain, ObjectTypeName="Order", Description="orders", AllowProfileCreation=True,
            Fields={"id": {"Source": "_source.id"},
                    "email": {"Source": "_source.email", "Target": "_profile.EmailAddress",
                              "ContentType": "EMAIL_ADDRESS"},
                    "status": {"Source": "_source.status"}},
            Keys={"orderId": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}],
                  "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}]})
        self.campaign = self.campaigns.create_campaign(
            name=unique("campaign"), connectInstanceId="instance-1",
            source={"eventTrigger": {"customerProfilesDomainArn":
                                     f"arn:aws:profile:us-east-1:{ACCOUNT}:domains/{self.domain}"}})
        self.campaigns.start_campaign(id=self.campaign["id"])

    def via(self, server: Server) -> Scenario:
        """The same domain and campaign, reached through another server process."""
        other = copy.copy(self)
        other.server = server
        other.profiles = server.client("customer-profiles")
        other.campaigns = server.client("connectcampaignsv2")
        return other

    def trigger(self, name: str = "abandoned", status: str = "abandoned", **extra) -> None:
        self.profiles.create_event_trigger(
            DomainName=self.domain, EventTriggerName=name, ObjectTypeName="Order",
            EventTriggerConditions=[{"LogicalOperator": "ANY", "EventTriggerDimensions": [{"ObjectAttributes": [
                {"Source": "_source.status", "ComparisonOperator": "EQUAL", "Values": [status]}]}]}], **extra)
        self.profiles.put_integration(DomainName=self.domain, Uri=self.campaign["arn"], EventTriggerNames=[name])

    def put(self, order_id: str, email: str, status: str) -> None:
        self.profiles.put_profile_object(DomainName=self.domain, ObjectTypeName="Order",
                                         Object=json.dumps({"id": order_id, "email": email, "status": status}))

    def received(self) -> list[dict]:
        request = signed_request(
            f"{self.server.endpoint}/_profilestack/campaigns/{self.campaign['id']}/outbound-requests",
            "connect-campaigns", "us-east-1", method="GET")
        status, _, body = send(request)
        assert status == 200, body
        return json.loads(body)["outboundRequests"]

    def metric(self, name: str) -> float:
        now = datetime.now(UTC)
        points = self.server.client("cloudwatch").get_metric_statistics(
            Namespace="AWS/CustomerProfiles", MetricName=name, Dimensions=[{"Name": "DomainName",
                                                                             "Value": self.domain}],
            StartTime=now - timedelta(minutes=10), EndTime=now + timedelta(minutes=1), Period=60,
            Statistics=["Sum"])["Datapoints"]
        return sum(point["Sum"] for point in points)

    def role(self) -> str:
        roles = self.server.client("iam").list_roles(PathPrefix="/aws-service-role/profile.amazonaws.com/",
                                                     MaxItems=1000)["Roles"]
        return next(r["RoleName"] for r in roles if r.get("Description", "").endswith(f"domain {self.domain}"))

    def profile_id(self, email: str) -> str:
        (found,) = self.profiles.search_profiles(DomainName=self.domain, KeyName="_email", Values=[email])["Items"]
        return found["ProfileId"]


def events(server: Server, name: str, session_arn: str) -> list[dict]:
    found = server.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": name}], MaxResults=50)["Events"]
    return [e for e in (json.loads(item["CloudTrailEvent"]) for item in found)
            if e["userIdentity"].get("arn") == session_arn]


def test_a_matching_object_reaches_the_campaign_through_the_role(server) -> None:
    scenario = Scenario(server)
    scenario.trigger()
    scenario.put("o-1", "match@example.com", "abandoned")
    scenario.put("o-2", "other@example.com", "paid")
    received = wait_for(lambda: scenario.received(), timeout=5)
    time.sleep(0.3)  # give a wrong second request the chance to show up
    received = scenario.received()
    assert len(received) == 1
    assert received[0]["profileId"] == scenario.profile_id("match@example.com")
    assert json.loads(received[0]["eventTriggerContext"]["sourceEvent"])["id"] == "o-1"
    session_arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/{scenario.role()}/CustomerProfiles"
    assert received[0]["requestedBy"] == session_arn
    for name in ("BatchGetProfile", "PutProfileOutboundRequestBatch", "PutMetricData"):
        found = wait_for(lambda name=name: events(server, name, session_arn))
        assert found, name
        assert found[0]["userIdentity"]["invokedBy"] == "profile.amazonaws.com"
        assert "errorCode" not in found[0]
    assert wait_for(lambda: scenario.metric("TriggerInvocations") == 1)
    assert scenario.metric("OutboundRequestsSent") == 1
    assert scenario.metric("TriggerEvaluations") == 2
    assert scenario.metric("ObjectsIngested") == 2


def test_period_limits_throttle_repeated_invocations(server) -> None:
    scenario = Scenario(server)
    scenario.trigger(EventTriggerLimits={"Periods": [{"Unit": "DAYS", "Value": 1, "MaxInvocationsPerProfile": 1}]})
    scenario.put("o-1", "same@example.com", "abandoned")
    scenario.put("o-2", "same@example.com", "abandoned")
    assert wait_for(lambda: scenario.metric("ThrottledInvocations") == 1)
    assert len(scenario.received()) == 1


def test_unlimited_periods_and_expired_events(server) -> None:
    scenario = Scenario(server)
    scenario.trigger(EventTriggerLimits={"Periods": [{"Unit": "DAYS", "Value": 1, "Unlimited": True}]})
    for index in range(3):
        scenario.put(f"o-{index}", "many@example.com", "abandoned")
    assert wait_for(lambda: len(scenario.received()) == 3)
    stale = Scenario(server)
    stale.trigger(EventTriggerLimits={"EventExpiration": 1})  # 1 ms: gone before the worker sees it
    stale.put("o-1", "late@example.com", "abandoned")
    assert wait_for(lambda: stale.metric("ExpiredEvents") == 1)
    assert stale.received() == []


def test_a_paused_campaign_yields_a_visible_failure(server) -> None:
    scenario = Scenario(server)
    scenario.trigger()
    scenario.campaigns.pause_campaign(id=scenario.campaign["id"])
    scenario.put("o-1", "paused@example.com", "abandoned")
    assert wait_for(lambda: scenario.metric("OutboundRequestsFailed") == 1)
    session_arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/{scenario.role()}/CustomerProfiles"
    refused = wait_for(lambda: events(server, "PutProfileOutboundRequestBatch", session_arn))
    assert refused[0]["errorCode"] == "InvalidCampaignStateException"
    assert scenario.received() == []
    # an alarm on the domain's usage metric sees the failure the role published
    cloudwatch, alarm = server.client("cloudwatch"), unique("failed-outbound")
    cloudwatch.put_metric_alarm(AlarmName=alarm, Namespace="AWS/CustomerProfiles", MetricName="OutboundRequestsFailed",
                                Dimensions=[{"Name": "DomainName", "Value": scenario.domain}], Statistic="Sum",
                                Period=60, EvaluationPeriods=5, DatapointsToAlarm=1, Threshold=1,
                                ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="notBreaching")
    assert wait_for(lambda: cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["StateValue"]
                    == "ALARM", interval=0.1)


def test_trigger_definitions_and_limits(server) -> None:
    scenario = Scenario(server)
    profiles, domain = scenario.profiles, scenario.domain
    conditions = [{"LogicalOperator": "ANY", "EventTriggerDimensions": [{"ObjectAttributes": [
        {"Source": "_source.status", "ComparisonOperator": "EQUAL", "Values": ["x"]}]}]}]

    def refused(**kwargs) -> str:
        with pytest.raises(ClientError) as raised:
            profiles.create_event_trigger(DomainName=domain, EventTriggerName=unique("t"), **kwargs)
        assert raised.value.response["Error"]["Code"] == "BadRequestException"
        return raised.value.response["Error"]["Message"]

    assert "_profile" in refused(ObjectTypeName="_profile", EventTriggerConditions=conditions)
    assert "Segment definition vip does not exist" in refused(ObjectTypeName="Order", EventTriggerConditions=conditions,
                                                              SegmentFilter="vip")
    refused(ObjectTypeName="Order", EventTriggerConditions=conditions * 6)
    refused(ObjectTypeName="Order", EventTriggerConditions=[{"LogicalOperator": "ANY", "EventTriggerDimensions": [
        {"ObjectAttributes": [{"Source": "_source.a", "ComparisonOperator": "EQUAL", "Values": ["x"] * 11}]}]}])
    for index in range(20):
        profiles.create_event_trigger(DomainName=domain, EventTriggerName=f"t{index}", ObjectTypeName="Order",
                                      EventTriggerConditions=conditions, Description=f"trigger {index}")
    assert "at most 20" in refused(ObjectTypeName="Order", EventTriggerConditions=conditions)
    listed = profiles.list_event_triggers(DomainName=domain, MaxResults=15)
    assert len(listed["Items"]) == 15 and listed["NextToken"]
    got = profiles.get_event_trigger(DomainName=domain, EventTriggerName="t3")
    assert (got["Description"], got["ObjectTypeName"]) == ("trigger 3", "Order")
    profiles.update_event_trigger(DomainName=domain, EventTriggerName="t3", Description="changed")
    assert profiles.get_event_trigger(DomainName=domain, EventTriggerName="t3")["Description"] == "changed"
    profiles.put_integration(DomainName=domain, Uri=scenario.campaign["arn"], EventTriggerNames=["t3"])
    with pytest.raises(ClientError) as in_use:
        profiles.delete_event_trigger(DomainName=domain, EventTriggerName="t3")
    assert "integration" in in_use.value.response["Error"]["Message"]
    assert profiles.get_integration(DomainName=domain, Uri=scenario.campaign["arn"])["EventTriggerNames"] == ["t3"]
    assert [i["Uri"] for i in profiles.list_integrations(DomainName=domain)["Items"]] == [scenario.campaign["arn"]]
    profiles.delete_integration(DomainName=domain, Uri=scenario.campaign["arn"])
    profiles.delete_event_trigger(DomainName=domain, EventTriggerName="t3")
    with pytest.raises(ClientError) as not_campaign:
        profiles.put_integration(DomainName=domain, Uri="arn:aws:sqs:us-east-1:000000000000:queue",
                                 EventTriggerNames=["t4"])
    assert not_campaign.value.response["Error"]["Code"] == "BadRequestException"
    with pytest.raises(ClientError) as without_uri:  # Uri is optional in the model: boto3 lets it out
        profiles.put_integration(DomainName=domain, EventTriggerNames=["t4"])
    assert without_uri.value.response["Error"]["Message"] == (
        "PutIntegration needs a Uri: the ARN of a campaign, an Amazon Connect instance or an event integration.")


def test_account_integrations_list_a_campaign_across_domains(server) -> None:
    first = Scenario(server)
    first.trigger()
    second = Scenario(server)  # another domain, its trigger wired to the first scenario's campaign
    second.campaign = first.campaign
    second.trigger()
    profiles, uri = first.profiles, first.campaign["arn"]
    listed = profiles.list_account_integrations(Uri=uri)["Items"]
    assert [item["DomainName"] for item in listed] == sorted([first.domain, second.domain])
    assert {item["Uri"] for item in listed} == {uri}
    assert [item["EventTriggerNames"] for item in listed] == [["abandoned"], ["abandoned"]]
    page = profiles.list_account_integrations(Uri=uri, MaxResults=1)
    assert len(page["Items"]) == 1 and page["NextToken"]
    rest = profiles.list_account_integrations(Uri=uri, MaxResults=1, NextToken=page["NextToken"])["Items"]
    assert [item["DomainName"] for item in page["Items"] + rest] == sorted([first.domain, second.domain])
    assert profiles.list_account_integrations(Uri=uri + "x", IncludeHidden=True)["Items"] == []
    assert server.client("customer-profiles", region="eu-west-2").list_account_integrations(Uri=uri)["Items"] == []
    profiles.delete_integration(DomainName=second.domain, Uri=uri)
    assert [item["DomainName"] for item in profiles.list_account_integrations(Uri=uri)["Items"]] == [first.domain]


@pytest.fixture(scope="module")
def narrowed_server(tmp_path_factory: pytest.TempPathFactory):
    """The role's policy without connect-campaigns:PutProfileOutboundRequestBatch (a test-only switch)."""
    yield from narrowed_policy_server(tmp_path_factory.mktemp("narrowed-campaigns"), POLICY_ARN, {
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "profile:BatchGetProfile", "Resource": "arn:aws:profile:*:*:domains/*"},
            {"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*",
             "Condition": {"StringEquals": {"cloudwatch:namespace": "AWS/CustomerProfiles"}}}]})


def test_the_role_policy_binds_the_service(narrowed_server) -> None:
    scenario = Scenario(narrowed_server)
    scenario.trigger()
    scenario.put("o-1", "denied@example.com", "abandoned")
    session_arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/{scenario.role()}/CustomerProfiles"
    denied = wait_for(lambda: events(narrowed_server, "PutProfileOutboundRequestBatch", session_arn))
    assert denied[0]["errorCode"] == "AccessDeniedException"
    assert "connect-campaigns:PutProfileOutboundRequestBatch" in denied[0]["errorMessage"]
    assert wait_for(lambda: scenario.metric("OutboundRequestsFailed") == 1)
    assert scenario.received() == []


def test_an_event_whose_object_type_was_deleted_is_dropped_at_once(tmp_path) -> None:
    """Its evaluation finds nothing to evaluate (the type's objects went with it): done, not retried as a failure."""
    with dedicated_server(tmp_path, PROFILESTACK_OUTBOX_WORKER="false") as server:
        scenario = Scenario(server)
        scenario.trigger()
        scenario.put("o-1", "gone@example.com", "abandoned")  # its evaluation waits: this server runs no worker
        scenario.profiles.delete_profile_object_type(DomainName=scenario.domain, ObjectTypeName="Order")
        worker = subprocess.Popen([*PROFILESTACK, "worker", "--data-dir", str(server.data_dir)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            query = "SELECT status || ':' || attempts FROM outbox WHERE kind = 'profile.evaluate_triggers'"
            finished = wait_for(lambda: (rows := server.read(query)) and not rows[0].startswith("pending") and rows)
            assert finished == ["done:1"]
        finally:
            worker.terminate()
            worker.wait(timeout=15)
        assert scenario.received() == []
