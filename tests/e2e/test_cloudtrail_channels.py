"""CloudTrail Lake integrations: channels (CreateChannel, GetChannel, ListChannels, UpdateChannel, DeleteChannel),
applications' events sent through them (the CloudTrail Data Service's PutAuditEvents) and queried in the event data
stores they reach."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta

from tests.conftest import OTHER_ACCOUNT, Server
from tests.e2e.errors import refused
from tests.e2e.identities import ACCOUNT, allow, document, make_user, unique
from tests.e2e.test_cloudtrail_lake import Lake

REGION = "us-west-2"  # a region of its own: Lake's ten stores per region stay free for the other modules
ACTIVITY = [{"Name": "applications", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["ActivityAuditLog"]}]}]


class ActivityLake(Lake):
    """An event data store of events from outside AWS, with a channel sending to it."""

    def __init__(self, server: Server) -> None:
        super().__init__(server, REGION, AdvancedEventSelectors=ACTIVITY)
        self.channel = self.trail.create_channel(Name=unique("shop"), Source="Custom", Destinations=[
            {"Type": "EVENT_DATA_STORE", "Location": self.arn}])["ChannelArn"]
        self.data = server.client("cloudtrail-data", region=REGION)

    def send(self, *events: dict[str, object], client=None) -> dict:
        entries = [{"id": f"e{index}", "eventData": json.dumps(event)} for index, event in enumerate(events)]
        return (client or self.data).put_audit_events(channelArn=self.channel, auditEvents=entries)


def order_event(name: str, order: str, minutes_ago: int = 1, **extra: object) -> dict[str, object]:
    moment = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return {"version": "1.0", "userIdentity": {"type": "CustomerAgent", "principalId": "agent-7",
                                               "details": {"queue": "billing"}},
            "eventSource": "shop.example.com", "eventName": name, "eventTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "UID": f"{name}-{order}", "requestParameters": {"orderId": order, "lines": [1, 2]},
            "sourceIPAddress": "192.0.2.10", "recipientAccountId": ACCOUNT, **extra}


def test_a_channel_is_made_read_listed_renamed_and_deleted(server: Server) -> None:
    lake = ActivityLake(server)
    trail, channel = lake.trail, lake.channel
    assert channel.startswith(f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:channel/")
    got = trail.get_channel(Channel=channel.rsplit("/", 1)[1])  # by ID or by ARN
    assert (got["ChannelArn"], got["Source"], got["Destinations"], got["IngestionStatus"]) == (
        channel, "Custom", [{"Type": "EVENT_DATA_STORE", "Location": lake.arn}], {})
    assert channel in [item["ChannelArn"] for item in trail.list_channels()["Channels"]]
    name = unique("renamed")
    assert trail.update_channel(Channel=channel, Name=name)["Name"] == name
    assert refused(trail.create_channel, Name=name, Source="Custom", Destinations=[
        {"Type": "EVENT_DATA_STORE", "Location": lake.arn}])[0] == "ChannelAlreadyExistsException"
    trail.add_tags(ResourceId=channel, TagsList=[{"Key": "team", "Value": "shop"}])
    assert trail.list_tags(ResourceIdList=[channel])["ResourceTagList"][0]["TagsList"] == [
        {"Key": "team", "Value": "shop"}]
    trail.delete_channel(Channel=channel)
    assert refused(trail.get_channel, Channel=channel)[0] == "ChannelNotFoundException"
    assert refused(trail.get_channel, Channel="not-a-channel")[0] == "ChannelARNInvalidException"
    assert channel not in [item["ChannelArn"] for item in trail.list_channels()["Channels"]]


def test_a_channel_reaches_stores_of_events_from_outside_aws_only(server: Server) -> None:
    lake = ActivityLake(server)
    trail = lake.trail
    management = trail.create_event_data_store(Name=unique("aws"), TerminationProtectionEnabled=False)

    def refusal(source: str = "Custom", kind: str = "EVENT_DATA_STORE", location: str = lake.arn) -> tuple[str, str]:
        return refused(trail.create_channel, Name=unique("c"), Source=source,
                       Destinations=[{"Type": kind, "Location": location}])

    code, message = refusal(location=management["EventDataStoreArn"])
    assert code == "InvalidEventDataStoreCategoryException" and "ActivityAuditLog" in message
    assert refusal(source="OktaPartner")[0] == "InvalidSourceException"
    assert refusal(kind="AWS_SERVICE")[0] == "InvalidParameterException"
    assert refusal(location=lake.arn.replace(lake.id, "0aab0b0c-1d2e-3f40-5a6b-7c8d9e0f1a2b"))[0] == (
        "EventDataStoreNotFoundException")
    assert refused(trail.create_channel, Name=unique("c"), Source="Custom", Destinations=[
        {"Type": "EVENT_DATA_STORE", "Location": lake.arn}] * 2)[0] == "InvalidParameterException"

    # a store of events from outside AWS selects them by category alone, and keeps to them
    assert refused(trail.create_event_data_store, Name=unique("mixed"), AdvancedEventSelectors=[{"FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["ActivityAuditLog"]}, {"Field": "eventName", "Equals": ["x"]}]}])[0] \
        == "InvalidEventSelectorsException"
    code, message = refused(trail.update_event_data_store, EventDataStore=lake.arn, AdvancedEventSelectors=[
        {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}])
    assert code == "InvalidEventSelectorsException" and "cannot change" in message
    assert refused(trail.put_insight_selectors, EventDataStore=lake.arn, InsightsDestination=lake.arn,
                   InsightSelectors=[{"InsightType": "ApiCallRateInsight"}])[0] == "InvalidParameterException"
    trail.delete_event_data_store(EventDataStore=management["EventDataStoreArn"])


def test_events_sent_through_a_channel_are_checked_kept_and_queried(server: Server) -> None:
    lake = ActivityLake(server)
    checked = json.dumps(order_event("RefundOrder", "o-2"))
    answer = lake.data.put_audit_events(channelArn=lake.channel, auditEvents=[
        {"id": "good", "eventData": json.dumps(order_event("PlaceOrder", "o-1", minutes_ago=3))},
        {"id": "summed", "eventData": checked,
         "eventDataChecksum": base64.b64encode(hashlib.sha256(checked.encode()).digest()).decode()},
        {"id": "bad-sum", "eventData": checked, "eventDataChecksum": "AAAA"},
        {"id": "no-uid", "eventData": json.dumps({**order_event("x", "o"), "UID": None})},
        {"id": "elsewhere", "eventData": json.dumps(order_event("x", "o", recipientAccountId=OTHER_ACCOUNT))},
        {"id": "typo", "eventData": json.dumps(order_event("x", "o", eventname="x"))},
        {"id": "text", "eventData": "not json"}])
    assert [item["id"] for item in answer["successful"]] == ["good", "summed"]
    assert {item["id"]: (item["errorCode"], item["errorMessage"]) for item in answer["failed"]} == {
        "bad-sum": ("InvalidChecksum", "eventDataChecksum is not the base64 SHA-256 digest of eventData."),
        "no-uid": ("InvalidEventData", "eventData lacks UID."),
        "elsewhere": ("InvalidEventData", f"eventData.recipientAccountId must be {ACCOUNT}, the account that owns "
                                          "the channel."),
        "typo": ("InvalidEventData", "eventData has fields the schema does not have: eventname."),
        "text": ("InvalidEventData", "eventData is not a JSON object.")}
    status = lake.trail.get_channel(Channel=lake.channel)["IngestionStatus"]
    assert status["LatestIngestionSuccessEventID"] == answer["successful"][-1]["eventID"]
    assert status["LatestIngestionErrorCode"] == "InvalidEventData" and status["LatestIngestionSuccessTime"]

    found = lake.query("SELECT eventData.eventName, eventData.userIdentity.principalId, "
                       "eventData.requestParameters['orderId'] AS orderId, metadata.channelARN, eventCategory "
                       "FROM $EDS ORDER BY eventTime")
    assert found["status"] == "FINISHED", found["error"]
    assert found["rows"] == [
        {"eventName": "PlaceOrder", "principalId": "agent-7", "orderId": "o-1", "channelARN": lake.channel,
         "eventCategory": "ActivityAuditLog"},
        {"eventName": "RefundOrder", "principalId": "agent-7", "orderId": "o-2", "channelARN": lake.channel,
         "eventCategory": "ActivityAuditLog"}]
    (whole,) = lake.query("SELECT * FROM $EDS WHERE eventData.UID = 'PlaceOrder-o-1'")["rows"]
    assert sorted(whole) == sorted(["eventVersion", "eventCategory", "eventType", "eventID", "eventTime",
                                    "awsRegion", "recipientAccountId", "addendum", "metadata", "eventData"])
    assert json.loads(whole["eventData"])["requestParameters"] == {"orderId": "o-1", "lines": [1, 2]}
    assert (whole["eventID"], whole["awsRegion"], whole["eventType"]) == (
        answer["successful"][0]["eventID"], REGION, "ActivityLog")

    lake.trail.stop_event_data_store_ingestion(EventDataStore=lake.arn)  # a stopped store takes nothing in
    assert lake.send(order_event("PlaceOrder", "o-3"))["successful"]
    assert lake.query("SELECT count(*) AS n FROM $EDS")["rows"] == [{"n": "2"}]


def test_sending_events_is_a_data_event_of_cloudtrail(server: Server) -> None:
    data_events = Lake(server, REGION, AdvancedEventSelectors=[{"Name": "data", "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Data"]}]}])
    lake = ActivityLake(server)
    sent = lake.send(order_event("PlaceOrder", "o-1"))
    assert sent["successful"]
    found = data_events.query("SELECT eventName, eventCategory, managementEvent, requestParameters['channelArn'] "
                              "AS channel FROM $EDS WHERE eventSource = 'cloudtrail-data.amazonaws.com'")
    assert found["rows"] == [{"eventName": "PutAuditEvents", "eventCategory": "Data", "managementEvent": "false",
                              "channel": lake.channel}]
    history = lake.trail.lookup_events(LookupAttributes=[{"AttributeKey": "EventName",
                                                          "AttributeValue": "PutAuditEvents"}])
    assert history["Events"] == []  # the event history holds management events
    trail = unique("insights")  # Insights on management events count management events only
    lake.trail.create_trail(Name=trail, S3BucketName="audit-logs")
    lake.trail.put_insight_selectors(TrailName=trail, InsightSelectors=[{"InsightType": "ApiCallRateInsight"}])
    rates = lake.trail.list_insights_metric_data(EventSource="cloudtrail-data.amazonaws.com",
                                                 EventName="PutAuditEvents", InsightType="ApiCallRateInsight",
                                                 Period=60, DataType="NonZeroData")
    assert rates["Values"] == []
    lake.trail.delete_trail(Name=trail)


def test_a_request_names_a_channel_of_its_own_account_and_events_once(server: Server) -> None:
    lake = ActivityLake(server)
    event = json.dumps(order_event("PlaceOrder", "o-1"))
    assert refused(lake.data.put_audit_events, channelArn=lake.channel, auditEvents=[
        {"id": "same", "eventData": event}, {"id": "same", "eventData": event}])[0] == "DuplicatedAuditEventId"
    for channel, code in [
        ("arn:aws:sqs:us-west-2:000000000000:queue", "InvalidChannelARN"),
        (lake.channel.replace(ACCOUNT, OTHER_ACCOUNT), "AccessDeniedException"),  # it shares no channel
        (lake.channel.rsplit("/", 1)[0] + "/0aab0b0c-1d2e-3f40-5a6b-7c8d9e0f1a2b", "ChannelNotFound"),
    ]:
        assert refused(lake.data.put_audit_events, channelArn=channel,
                       auditEvents=[{"id": "one", "eventData": event}])[0] == code, channel
    assert lake.query("SELECT count(*) AS n FROM $EDS")["rows"] == [{"n": "0"}]  # nothing refused was kept

    # cloudtrail-data:PutAuditEvents is authorized on the channel
    other = lake.trail.create_channel(Name=unique("other"), Source="Custom", Destinations=[
        {"Type": "EVENT_DATA_STORE", "Location": lake.arn}])["ChannelArn"]
    sender = make_user(server, document(allow("cloudtrail-data:PutAuditEvents", lake.channel)))
    client = sender.client("cloudtrail-data", region=REGION)
    assert lake.send(order_event("PlaceOrder", "o-9"), client=client)["successful"]
    code, message = refused(client.put_audit_events, channelArn=other, auditEvents=[{"id": "one", "eventData": event}])
    assert code == "AccessDeniedException" and f"cloudtrail-data:PutAuditEvents on resource: {other}" in message
