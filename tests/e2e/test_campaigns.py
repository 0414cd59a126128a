"""Outbound Campaigns v2 end to end: campaigns, states, profile outbound requests and reading them back."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from profilestack.config import redact_url
from tests.e2e.cli import profilestack
from tests.e2e.identities import ACCOUNT, allow, document, make_user, unique
from tests.e2e.wire import send, signed_request


@pytest.fixture
def campaigns(client):
    return client("connectcampaignsv2")


def error_of(call, **kwargs) -> dict:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response


def create(campaigns, domain_arn: str | None = None, **extra) -> dict:
    source = {"eventTrigger": {"customerProfilesDomainArn": domain_arn}} if domain_arn else None
    return campaigns.create_campaign(name=unique("campaign"), connectInstanceId="instance-1",
                                     **({"source": source} if source else {}), **extra)


def request(token: str, profile: str = "a" * 32, **extra) -> dict:
    return {"clientToken": token, "profileId": profile, **extra}


def test_campaign_lifecycle(campaigns) -> None:
    domain_arn = f"arn:aws:profile:us-east-1:{ACCOUNT}:domains/shop"
    created = create(campaigns, domain_arn, tags={"team": "growth"})
    campaign_id = created["id"]
    assert created["arn"] == f"arn:aws:connect-campaigns:us-east-1:{ACCOUNT}:campaign/{campaign_id}"
    described = campaigns.describe_campaign(id=campaign_id)["campaign"]
    assert described["source"] == {"eventTrigger": {"customerProfilesDomainArn": domain_arn}}
    assert described["tags"] == {"team": "growth"}
    assert campaigns.get_campaign_state(id=campaign_id)["state"] == "Initialized"
    for operation, state in (("start_campaign", "Running"), ("pause_campaign", "Paused"),
                             ("resume_campaign", "Running"), ("stop_campaign", "Stopped")):
        getattr(campaigns, operation)(id=campaign_id)
        assert campaigns.get_campaign_state(id=campaign_id)["state"] == state
    refused = error_of(campaigns.pause_campaign, id=campaign_id)
    assert refused["Error"]["Code"] == "InvalidCampaignStateException"
    assert refused["state"] == "Stopped"
    listed = campaigns.list_campaigns(filters={"instanceIdFilter": {"value": "instance-1", "operator": "Eq"}})
    assert campaign_id in [summary["id"] for summary in listed["campaignSummaryList"]]
    batch = campaigns.get_campaign_state_batch(campaignIds=[campaign_id, "missing"])
    assert batch["successfulRequests"] == [{"campaignId": campaign_id, "state": "Stopped"}]
    assert batch["failedRequests"] == [{"campaignId": "missing", "failureCode": "ResourceNotFound"}]
    campaigns.untag_resource(arn=created["arn"], tagKeys=["team"])
    assert campaigns.list_tags_for_resource(arn=created["arn"])["tags"] == {}
    campaigns.delete_campaign(id=campaign_id)
    assert error_of(campaigns.describe_campaign, id=campaign_id)["Error"]["Code"] == "ResourceNotFoundException"


def test_deleting_the_campaigns_each_page_shows_leaves_none_behind(campaigns) -> None:
    """Campaigns are listed oldest first and the token names the last one a page answered: deleting what each page
    shows reaches every campaign, and one made meanwhile is listed last."""
    instance = unique("instance")
    made = [campaigns.create_campaign(name=unique("campaign"), connectInstanceId=instance)["id"] for _ in range(5)]
    filters = {"instanceIdFilter": {"value": instance, "operator": "Eq"}}
    deleted = []
    for number, page in enumerate(campaigns.get_paginator("list_campaigns").paginate(
            filters=filters, PaginationConfig={"PageSize": 2})):
        for summary in page["campaignSummaryList"]:
            campaigns.delete_campaign(id=summary["id"])
            deleted.append(summary["id"])
        if number == 0:
            made.append(campaigns.create_campaign(name=unique("campaign"), connectInstanceId=instance)["id"])
    assert deleted == made
    assert campaigns.list_campaigns(filters=filters)["campaignSummaryList"] == []


def test_outbound_requests_need_a_running_campaign_and_are_idempotent(server, campaigns) -> None:
    campaign_id = create(campaigns)["id"]
    refused = error_of(campaigns.put_profile_outbound_request_batch, id=campaign_id,
                       profileOutboundRequests=[request("t-1")])
    assert refused["Error"]["Code"] == "InvalidCampaignStateException"
    assert refused["ResponseMetadata"]["HTTPStatusCode"] == 409
    campaigns.start_campaign(id=campaign_id)
    past = datetime.now(UTC) - timedelta(minutes=1)
    answer = campaigns.put_profile_outbound_request_batch(id=campaign_id, profileOutboundRequests=[
        request("t-1", eventTriggerContext={"sourceEvent": '{"order": 1}'}), request("t-2", "b" * 32),
        request("t-3", expirationTime=past)])
    ids = {item["clientToken"]: item["id"] for item in answer["successfulRequests"]}
    assert set(ids) == {"t-1", "t-2"}
    assert answer["failedRequests"] == [{"clientToken": "t-3", "failureCode": "InvalidInput"}]
    again = campaigns.put_profile_outbound_request_batch(id=campaign_id, profileOutboundRequests=[
        request("t-1"), request("t-2", "c" * 32)])
    assert again["successfulRequests"] == [{"clientToken": "t-1", "id": ids["t-1"]}]
    assert again["failedRequests"] == [{"clientToken": "t-2", "id": ids["t-2"], "failureCode": "Conflict"}]
    too_many = error_of(campaigns.put_profile_outbound_request_batch, id=campaign_id,
                        profileOutboundRequests=[request(f"x-{i}") for i in range(21)])
    assert too_many["Error"]["Code"] == "ValidationException"

    listing = signed_request(f"{server.endpoint}/_profilestack/campaigns/{campaign_id}/outbound-requests",
                             "connect-campaigns", "us-east-1", method="GET")
    status, _, body = send(listing)
    assert status == 200
    received = json.loads(body)["outboundRequests"]
    assert [(item["clientToken"], item["profileId"]) for item in received] == [("t-1", "a" * 32), ("t-2", "b" * 32)]
    assert received[0]["eventTriggerContext"] == {"sourceEvent": '{"order": 1}'}
    assert received[0]["requestedBy"] == f"arn:aws:iam::{ACCOUNT}:root"
    unsigned = send(signed_request(f"{server.endpoint}/_profilestack/campaigns/{campaign_id}/outbound-requests",
                                   "connect-campaigns", "us-east-1", method="GET", secret="wrong"))
    assert unsigned[0] == 403


def test_outbound_requests_through_the_cli(server, campaigns) -> None:
    campaign_id = create(campaigns)["id"]
    campaigns.start_campaign(id=campaign_id)
    campaigns.put_profile_outbound_request_batch(id=campaign_id, profileOutboundRequests=[request("cli-1")])
    result = profilestack("outbound-requests", campaign_id, "--db", server.database_url)
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["clientToken"] for line in result.stdout.splitlines()] == ["cli-1"]
    missing = profilestack("outbound-requests", "0" * 36, "--db", server.database_url)
    assert (missing.returncode, missing.stdout, missing.stderr.strip()) == (
        1, "", f"profilestack outbound-requests: Campaign {'0' * 36} does not exist. (in the database "
               f"{redact_url(server.database_url)})")


def test_campaign_permissions(server, campaigns) -> None:
    mine, other = create(campaigns)["id"], create(campaigns)["id"]
    for campaign_id in (mine, other):
        campaigns.start_campaign(id=campaign_id)
    user = make_user(server, document(allow("connect-campaigns:PutProfileOutboundRequestBatch",
                                            f"arn:aws:connect-campaigns:*:*:campaign/{mine}")))
    client = user.client("connectcampaignsv2")
    client.put_profile_outbound_request_batch(id=mine, profileOutboundRequests=[request("ok")])
    denied = error_of(client.put_profile_outbound_request_batch, id=other, profileOutboundRequests=[request("no")])
    assert denied["Error"]["Code"] == "AccessDeniedException"
    assert f"campaign/{other}" in denied["Error"]["Message"]
    listing = signed_request(f"{server.endpoint}/_profilestack/campaigns/{mine}/outbound-requests",
                             "connect-campaigns", "us-east-1", method="GET", access_key=user.key, secret=user.secret)
    assert send(listing)[0] == 403  # reading them needs connect-campaigns:DescribeCampaign


def test_campaigns_exist_in_the_ten_regions_only(client) -> None:
    response = error_of(client("connectcampaignsv2", "eu-west-1").list_campaigns)
    assert response["Error"]["Code"] == "ValidationException"
    assert "eu-west-1" in response["Error"]["Message"]


def test_a_value_too_long_is_refused_without_matching_its_pattern(client) -> None:
    """EmailAddress's pattern (``.*[^\\s@]+@[^\\s@]+\\.[^\\s@]+.*``) takes quadratic time to fail: 70,000 characters
    kept the server busy for half a minute, past any client's patience. The length check alone answers now."""
    from botocore.config import Config

    campaigns = client("connectcampaignsv2", config=Config(retries={"total_max_attempts": 1}, read_timeout=10))
    config = {"email": {"outboundMode": {"agentless": {}}, "defaultOutboundConfig": {
        "connectSourceEmailAddress": "x" * 70_000,
        "wisdomTemplateArn": f"arn:aws:wisdom:us-east-1:{ACCOUNT}:message-template/a/b"}}}
    error = error_of(campaigns.update_campaign_channel_subtype_config, id="campaign-1", channelSubtypeConfig=config)
    assert error["Error"]["Code"] == "ValidationException"
    assert error["Error"]["Message"] == (
        "1 validation error detected: Value at 'channelSubtypeConfig.email.defaultOutboundConfig."
        "connectSourceEmailAddress' failed to satisfy constraint: Member must have length less than or equal to 255")


def test_a_campaigns_parts_are_updated_and_removed_one_by_one(campaigns) -> None:
    created = create(campaigns, f"arn:aws:profile:us-east-1:{ACCOUNT}:domains/shop")
    campaign_id = created["id"]
    telephony = {"defaultOutboundConfig": {"connectContactFlowId": "flow-1"},
                 "outboundMode": {"agentless": {}}}
    email = {"defaultOutboundConfig": {"connectSourceEmailAddress": "shop@example.com",
                                       "wisdomTemplateArn": f"arn:aws:wisdom:us-east-1:{ACCOUNT}:template/t"},
             "outboundMode": {"agentless": {}}}
    campaigns.update_campaign_name(id=campaign_id, name="winback-renamed")
    campaigns.update_campaign_channel_subtype_config(id=campaign_id, channelSubtypeConfig={
        "telephony": telephony, "email": email})
    campaigns.update_campaign_flow_association(id=campaign_id,
                                               connectCampaignFlowArn=f"arn:aws:connect:us-east-1:{ACCOUNT}:flow/f")
    campaigns.update_campaign_entry_limits(id=campaign_id, entryLimitsConfig={
        "maxEntryCount": 3, "minEntryInterval": "P1D"})
    described = campaigns.describe_campaign(id=campaign_id)["campaign"]
    assert described["name"] == "winback-renamed"
    assert set(described["channelSubtypeConfig"]) == {"telephony", "email"}
    assert described["entryLimitsConfig"] == {"maxEntryCount": 3, "minEntryInterval": "P1D"}
    assert described["connectCampaignFlowArn"].endswith(":flow/f")
    listed = {summary["id"]: summary for summary in campaigns.list_campaigns()["campaignSummaryList"]}
    assert listed[campaign_id]["name"] == "winback-renamed"
    assert listed[campaign_id]["channelSubtypes"] == ["EMAIL", "TELEPHONY"]  # the ChannelSubtype enum

    campaigns.delete_campaign_channel_subtype_config(id=campaign_id, channelSubtype="EMAIL")
    campaigns.delete_campaign_entry_limits(id=campaign_id)
    described = campaigns.describe_campaign(id=campaign_id)["campaign"]
    assert list(described["channelSubtypeConfig"]) == ["telephony"] and "entryLimitsConfig" not in described
    campaigns.delete_campaign_channel_subtype_config(id=campaign_id, channelSubtype="TELEPHONY")
    assert "channelSubtypeConfig" not in campaigns.describe_campaign(id=campaign_id)["campaign"]

    refused = error_of(campaigns.update_campaign_source, id=campaign_id, source={"eventTrigger": {
        "customerProfilesDomainArn": "arn:aws:profile:eu-west-1:111122223333:domains/theirs"}})
    assert refused["Error"]["Code"] == "ValidationException"
    missing = error_of(campaigns.update_campaign_name, id="missing", name="x")
    assert missing["Error"]["Code"] == "ResourceNotFoundException"


def test_an_instance_onboarded_brings_the_service_linked_role_and_keeps_it_in_use(server, campaigns) -> None:
    iam = server.client("iam")
    instance, other = unique("instance"), unique("instance")
    missing = error_of(campaigns.get_connect_instance_config, connectInstanceId=instance)
    assert missing["Error"]["Code"] == "ResourceNotFoundException"
    for connect_instance in (instance, other):  # the role is made once, for the first
        job = campaigns.start_instance_onboarding_job(connectInstanceId=connect_instance,
                                                      encryptionConfig={"enabled": False})
        assert job["connectInstanceOnboardingJobStatus"] == {"connectInstanceId": connect_instance,
                                                             "status": "SUCCEEDED"}
    role = iam.get_role(RoleName="AWSServiceRoleForConnectCampaigns")["Role"]
    assert role["Path"] == "/aws-service-role/connect-campaigns.amazonaws.com/"
    config = campaigns.get_connect_instance_config(connectInstanceId=instance)["connectInstanceConfig"]
    assert config == {"connectInstanceId": instance, "serviceLinkedRoleArn": role["Arn"],
                      "encryptionConfig": {"enabled": False}}
    assert campaigns.get_instance_onboarding_job_status(connectInstanceId=instance)[
        "connectInstanceOnboardingJobStatus"]["status"] == "SUCCEEDED"
    campaigns.delete_instance_onboarding_job(connectInstanceId=instance)
    assert error_of(campaigns.get_instance_onboarding_job_status, connectInstanceId=instance)["Error"]["Code"] == (
        "ResourceNotFoundException")
    limits = {"allChannelSubtypes": {"communicationLimitsList": [{"maxCountPerRecipient": 2, "frequency": 1,
                                                                  "unit": "DAY"}]}}
    campaigns.put_instance_communication_limits(connectInstanceId=instance, communicationLimitsConfig=limits)
    stored = campaigns.get_instance_communication_limits(connectInstanceId=instance)
    assert stored["communicationLimitsConfig"] == limits

    def deletion_status() -> dict:
        task = iam.delete_service_linked_role(RoleName=role["RoleName"])["DeletionTaskId"]
        for _ in range(100):
            status = iam.get_service_linked_role_deletion_status(DeletionTaskId=task)
            if status["Status"] not in ("NOT_STARTED", "IN_PROGRESS"):
                return status
            time.sleep(0.05)
        raise AssertionError("the deletion task did not finish")

    in_use = deletion_status()
    assert in_use["Status"] == "FAILED"
    resources = [arn for usage in in_use["Reason"]["RoleUsageList"] for arn in usage["Resources"]]
    assert f"arn:aws:connect:us-east-1:{ACCOUNT}:instance/{instance}" in resources

    kept = campaigns.create_campaign(name=unique("campaign"), connectInstanceId=other)
    campaigns.delete_connect_instance_config(connectInstanceId=other, campaignDeletionPolicy="DELETE_ALL")
    assert error_of(campaigns.describe_campaign, id=kept["id"])["Error"]["Code"] == "ResourceNotFoundException"
    retained = campaigns.create_campaign(name=unique("campaign"), connectInstanceId=instance)
    campaigns.delete_connect_instance_config(connectInstanceId=instance)  # RETAIN_ALL
    assert campaigns.describe_campaign(id=retained["id"])["campaign"]["connectInstanceId"] == instance
    assert deletion_status()["Status"] == "SUCCEEDED"  # no instance onboarded any more: nothing uses the role
    assert error_of(iam.get_role, RoleName=role["RoleName"])["Error"]["Code"] == "NoSuchEntity"


def test_an_onboarded_instance_lists_its_integrations(campaigns) -> None:
    instance = unique("instance")
    profiles = {"customerProfiles": {"domainArn": f"arn:aws:profile:us-east-1:{ACCOUNT}:domains/shop",
                                     "objectTypeNames": {"Campaign-Telephony": "CallOutcome"}}}
    refused = error_of(campaigns.put_connect_instance_integration, connectInstanceId=instance,
                       integrationConfig=profiles)
    assert refused["Error"]["Code"] == "ResourceNotFoundException"  # onboarding comes first
    campaigns.start_instance_onboarding_job(connectInstanceId=instance, encryptionConfig={"enabled": False})
    knowledge = {"qConnect": {"knowledgeBaseArn": f"arn:aws:wisdom:us-east-1:{ACCOUNT}:knowledge-base/kb"}}
    for config in (profiles, knowledge, profiles):  # putting one again replaces it
        campaigns.put_connect_instance_integration(connectInstanceId=instance, integrationConfig=config)
    listed = campaigns.list_connect_instance_integrations(connectInstanceId=instance)["integrationSummaryList"]
    assert sorted(listed, key=str) == sorted([profiles, knowledge], key=str)
    first = campaigns.list_connect_instance_integrations(connectInstanceId=instance, maxResults=1)
    assert len(first["integrationSummaryList"]) == 1 and "nextToken" in first
    other_account = error_of(campaigns.put_connect_instance_integration, connectInstanceId=instance,
                             integrationConfig={"customerProfiles": {
                                 "domainArn": "arn:aws:profile:us-east-1:111122223333:domains/x",
                                 "objectTypeNames": {}}})
    assert other_account["Error"]["Code"] == "ValidationException"
    campaigns.delete_connect_instance_integration(connectInstanceId=instance, integrationIdentifier={
        "qConnect": {"knowledgeBaseArn": knowledge["qConnect"]["knowledgeBaseArn"]}})
    assert campaigns.list_connect_instance_integrations(connectInstanceId=instance)["integrationSummaryList"] == [
        profiles]
    again = error_of(campaigns.delete_connect_instance_integration, connectInstanceId=instance,
                     integrationIdentifier={"qConnect": knowledge["qConnect"]})
    assert again["Error"]["Code"] == "ResourceNotFoundException"
    campaigns.delete_connect_instance_config(connectInstanceId=instance)


def test_outbound_requests_to_a_channel_rather_than_a_profile(server, campaigns) -> None:
    campaign_id = create(campaigns)["id"]
    later = datetime.now(UTC) + timedelta(hours=1)
    call = {"telephony": {"destinationPhoneNumber": "+15550100", "attributes": {"reason": "renewal"}}}
    mail = {"email": {"destinationEmailAddress": "ana@example.com", "templateParameters": {"name": "Ana"}}}
    refused = error_of(campaigns.put_outbound_request_batch, id=campaign_id, outboundRequests=[
        {"clientToken": "c-1", "expirationTime": later, "channelSubtypeParameters": call}])
    assert refused["Error"]["Code"] == "InvalidCampaignStateException"
    campaigns.start_campaign(id=campaign_id)
    answer = campaigns.put_outbound_request_batch(id=campaign_id, outboundRequests=[
        {"clientToken": "c-1", "expirationTime": later, "channelSubtypeParameters": call},
        {"clientToken": "c-2", "expirationTime": later, "channelSubtypeParameters": mail}])
    ids = {item["clientToken"]: item["id"] for item in answer["successfulRequests"]}
    assert set(ids) == {"c-1", "c-2"} and answer["failedRequests"] == []
    again = campaigns.put_outbound_request_batch(id=campaign_id, outboundRequests=[
        {"clientToken": "c-1", "expirationTime": later, "channelSubtypeParameters": call},
        {"clientToken": "c-2", "expirationTime": later, "channelSubtypeParameters": call}])
    assert again["successfulRequests"] == [{"clientToken": "c-1", "id": ids["c-1"]}]
    # the token taken for another address: InvalidInput, as PutOutboundRequestBatch's failure codes have no Conflict
    assert again["failedRequests"] == [{"clientToken": "c-2", "id": ids["c-2"], "failureCode": "InvalidInput"}]
    profile_again = campaigns.put_profile_outbound_request_batch(id=campaign_id, profileOutboundRequests=[
        request("c-1")])  # a token taken by a channel request, now for a profile
    assert profile_again["failedRequests"][0]["failureCode"] == "Conflict"

    status, _, body = send(signed_request(f"{server.endpoint}/_profilestack/campaigns/{campaign_id}/outbound-requests",
                                          "connect-campaigns", "us-east-1", method="GET"))
    assert status == 200
    received = {item["clientToken"]: item for item in json.loads(body)["outboundRequests"]}
    assert received["c-1"]["channelSubtypeParameters"] == call and received["c-1"]["profileId"] is None
    assert received["c-2"]["channelSubtypeParameters"] == mail
