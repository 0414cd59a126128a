"""Outbound Campaigns v1 (``connectcampaigns``) end to end: campaigns with dialer and call configurations, their
states, dial requests, onboarding shared with v2 — and v1 and v2 campaigns kept apart."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.e2e.identities import ACCOUNT, unique
from tests.e2e.wire import send, signed_request

PROGRESSIVE = {"progressiveDialerConfig": {"bandwidthAllocation": 0.5, "dialingCapacity": 0.2}}
CALLS = {"connectContactFlowId": "flow-1", "connectSourcePhoneNumber": "+15550199", "connectQueueId": "queue-1",
         "answerMachineDetectionConfig": {"enableAnswerMachineDetection": True, "awaitAnswerMachinePrompt": False}}


@pytest.fixture
def dialer(client):
    return client("connectcampaigns")


def _error(call, **kwargs) -> dict:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response


def _create(dialer, instance: str = "instance-v1", **extra) -> dict:
    return dialer.create_campaign(name=unique("dialer"), connectInstanceId=instance, dialerConfig=PROGRESSIVE,
                                  outboundCallConfig=CALLS, **extra)


def _dial(token: str, phone: str = "+15550100", minutes: int = 30, **attributes: str) -> dict:
    return {"clientToken": token, "phoneNumber": phone, "attributes": attributes or {"reason": "renewal"},
            "expirationTime": datetime.now(UTC) + timedelta(minutes=minutes)}


def test_a_v1_campaign_from_creation_to_deletion(dialer) -> None:
    instance = unique("instance")
    created = _create(dialer, instance, tags={"team": "collections"})
    campaign_id = created["id"]
    assert created["arn"] == f"arn:aws:connect-campaigns:us-east-1:{ACCOUNT}:campaign/{campaign_id}"
    assert created["tags"] == {"team": "collections"}
    described = dialer.describe_campaign(id=campaign_id)["campaign"]
    assert described == {"id": campaign_id, "arn": created["arn"], "name": described["name"],
                         "connectInstanceId": instance, "dialerConfig": PROGRESSIVE, "outboundCallConfig": CALLS,
                         "tags": {"team": "collections"}}

    for operation, state in (("start_campaign", "Running"), ("pause_campaign", "Paused"),
                             ("resume_campaign", "Running"), ("stop_campaign", "Stopped")):
        getattr(dialer, operation)(id=campaign_id)
        assert dialer.get_campaign_state(id=campaign_id)["state"] == state
    refused = _error(dialer.resume_campaign, id=campaign_id)
    assert (refused["Error"]["Code"], refused["ResponseMetadata"]["HTTPStatusCode"]) == (
        "InvalidCampaignStateException", 409)

    dialer.update_campaign_name(id=campaign_id, name="renewals")
    predictive = {"predictiveDialerConfig": {"bandwidthAllocation": 1.0}}
    dialer.update_campaign_dialer_config(id=campaign_id, dialerConfig=predictive)
    dialer.update_campaign_outbound_call_config(id=campaign_id, connectContactFlowId="flow-2",
                                                answerMachineDetectionConfig={"enableAnswerMachineDetection": False})
    described = dialer.describe_campaign(id=campaign_id)["campaign"]
    assert (described["name"], described["dialerConfig"]) == ("renewals", predictive)
    assert described["outboundCallConfig"] == {**CALLS, "connectContactFlowId": "flow-2",
                                               "answerMachineDetectionConfig": {"enableAnswerMachineDetection": False}}

    listed = dialer.list_campaigns(filters={"instanceIdFilter": {"value": instance, "operator": "Eq"}})
    assert listed["campaignSummaryList"] == [{"id": campaign_id, "arn": created["arn"], "name": "renewals",
                                              "connectInstanceId": instance}]
    batch = dialer.get_campaign_state_batch(campaignIds=[campaign_id, "missing"])
    assert batch["successfulRequests"] == [{"campaignId": campaign_id, "state": "Stopped"}]
    assert batch["failedRequests"] == [{"campaignId": "missing", "failureCode": "ResourceNotFound"}]
    dialer.tag_resource(arn=created["arn"], tags={"stage": "test"})
    dialer.untag_resource(arn=created["arn"], tagKeys=["team"])
    assert dialer.list_tags_for_resource(arn=created["arn"])["tags"] == {"stage": "test"}
    dialer.delete_campaign(id=campaign_id)
    assert _error(dialer.describe_campaign, id=campaign_id)["Error"]["Code"] == "ResourceNotFoundException"
    assert _error(dialer.list_tags_for_resource, arn=created["arn"])["Error"]["Code"] == "ResourceNotFoundException"


def test_v1_and_v2_campaigns_are_each_their_own_apis(client, dialer) -> None:
    v2 = client("connectcampaignsv2")
    instance = unique("instance")
    mine = _create(dialer, instance)
    theirs = v2.create_campaign(name=unique("v2"), connectInstanceId=instance)
    instance_filter = {"instanceIdFilter": {"value": instance, "operator": "Eq"}}
    assert [item["id"] for item in dialer.list_campaigns(filters=instance_filter)["campaignSummaryList"]] == [
        mine["id"]]
    assert [item["id"] for item in v2.list_campaigns(filters=instance_filter)["campaignSummaryList"]] == [
        theirs["id"]]
    assert _error(v2.describe_campaign, id=mine["id"])["Error"]["Code"] == "ResourceNotFoundException"
    assert _error(dialer.start_campaign, id=theirs["id"])["Error"]["Code"] == "ResourceNotFoundException"
    assert _error(dialer.tag_resource, arn=theirs["arn"], tags={"a": "b"})["Error"]["Code"] == (
        "ResourceNotFoundException")


def test_dial_requests_need_a_running_campaign_and_are_idempotent(server, dialer) -> None:
    campaign_id = _create(dialer)["id"]
    refused = _error(dialer.put_dial_request_batch, id=campaign_id, dialRequests=[_dial("d-1")])
    assert (refused["Error"]["Code"], refused["ResponseMetadata"]["HTTPStatusCode"]) == (
        "InvalidCampaignStateException", 409)
    dialer.start_campaign(id=campaign_id)
    answer = dialer.put_dial_request_batch(id=campaign_id, dialRequests=[
        _dial("d-1", reason="renewal"), _dial("d-2", "+15550101"), _dial("d-3", minutes=-1)])
    ids = {item["clientToken"]: item["id"] for item in answer["successfulRequests"]}
    assert set(ids) == {"d-1", "d-2"}
    assert answer["failedRequests"] == [{"clientToken": "d-3", "failureCode": "InvalidInput"}]
    again = dialer.put_dial_request_batch(id=campaign_id, dialRequests=[
        _dial("d-1", reason="renewal"), _dial("d-2", "+15550102")])
    assert again["successfulRequests"] == [{"clientToken": "d-1", "id": ids["d-1"]}]
    assert again["failedRequests"] == [{"clientToken": "d-2", "id": ids["d-2"], "failureCode": "InvalidInput"}]
    too_many = _error(dialer.put_dial_request_batch, id=campaign_id,
                      dialRequests=[_dial(f"x-{index}") for index in range(26)])
    assert too_many["Error"]["Code"] == "ValidationException"

    status, _, body = send(signed_request(f"{server.endpoint}/_profilestack/campaigns/{campaign_id}/outbound-requests",
                                          "connect-campaigns", "us-east-1", method="GET"))
    assert status == 200
    received = {item["clientToken"]: item for item in json.loads(body)["outboundRequests"]}
    assert set(received) == {"d-1", "d-2"}
    assert (received["d-1"]["phoneNumber"], received["d-1"]["attributes"], received["d-1"]["profileId"]) == (
        "+15550100", {"reason": "renewal"}, None)
    assert "channelSubtypeParameters" not in received["d-1"]


def test_an_instance_onboarded_through_v1_is_onboarded_for_v2(client, dialer) -> None:
    v2 = client("connectcampaignsv2")
    instance = unique("instance")
    started = dialer.start_instance_onboarding_job(connectInstanceId=instance, encryptionConfig={"enabled": False})
    assert started["connectInstanceOnboardingJobStatus"]["status"] == "SUCCEEDED"
    config = dialer.get_connect_instance_config(connectInstanceId=instance)["connectInstanceConfig"]
    assert config["serviceLinkedRoleArn"] == (f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/"
                                              "connect-campaigns.amazonaws.com/AWSServiceRoleForConnectCampaigns")
    assert v2.get_connect_instance_config(connectInstanceId=instance)["connectInstanceConfig"] == config
    dialer.delete_connect_instance_config(connectInstanceId=instance)
    assert _error(v2.get_connect_instance_config, connectInstanceId=instance)["Error"]["Code"] == (
        "ResourceNotFoundException")


def test_a_dialer_config_names_one_dialer(client) -> None:
    unchecked = client("connectcampaigns", config=Config(parameter_validation=False,
                                                         retries={"total_max_attempts": 1}))
    refused = _error(unchecked.create_campaign, name=unique("dialer"), connectInstanceId="i", outboundCallConfig=CALLS,
                     dialerConfig={**PROGRESSIVE, "agentlessDialerConfig": {"dialingCapacity": 0.5}})
    assert refused["Error"]["Code"] == "ValidationException" and "dialerConfig" in refused["Error"]["Message"]
