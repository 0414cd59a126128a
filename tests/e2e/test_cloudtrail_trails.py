"""CloudTrail trails: kept as CloudTrail keeps them (names, home regions, multi-Region shadows, logging, selectors,
tags), honest that nothing is delivered."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import Server
from tests.e2e.errors import refused
from tests.e2e.identities import ACCOUNT, allow, document, make_user, unique


def test_a_trail_is_created_started_read_and_deleted(server: Server) -> None:
    trails = server.client("cloudtrail")
    name = unique("audit")
    created = trails.create_trail(Name=name, S3BucketName="audit-logs", S3KeyPrefix="cc", SnsTopicName="alerts",
                                  EnableLogFileValidation=True, TagsList=[{"Key": "team", "Value": "cc"}])
    arn = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/{name}"
    assert (created["TrailARN"], created["LogFileValidationEnabled"], created["IsMultiRegionTrail"],
            created["SnsTopicARN"], created["RecursiveLogging"]) == (
        arn, True, False, f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts", True)  # recursive logging: on unless refused
    assert trails.get_trail_status(Name=name)["IsLogging"] is False  # an API-created trail waits for StartLogging
    trails.start_logging(Name=arn)
    status = trails.get_trail_status(Name=name)
    assert status["IsLogging"] is True and "StartLoggingTime" in status
    assert "LookupEvents" in status["LatestDeliveryError"]  # nothing is delivered, and the status says so
    (trail,) = [item for item in trails.describe_trails()["trailList"] if item["Name"] == name]
    assert (trail["HomeRegion"], trail["S3KeyPrefix"], trail["HasCustomEventSelectors"]) == ("us-east-1", "cc", False)
    assert trails.get_trail(Name=arn)["Trail"]["TrailARN"] == arn
    assert {"TrailARN": arn, "Name": name, "HomeRegion": "us-east-1"} in trails.list_trails()["Trails"]
    assert trails.list_tags(ResourceIdList=[arn])["ResourceTagList"] == [
        {"ResourceId": arn, "TagsList": [{"Key": "team", "Value": "cc"}]}]

    assert trails.get_event_selectors(TrailName=name)["EventSelectors"][0]["ReadWriteType"] == "All"
    trails.put_event_selectors(TrailName=name, EventSelectors=[{"ReadWriteType": "WriteOnly"}])
    assert trails.get_event_selectors(TrailName=name)["EventSelectors"][0]["ReadWriteType"] == "WriteOnly"
    assert trails.get_trail(Name=name)["Trail"]["HasCustomEventSelectors"] is True
    assert refused(trails.get_insight_selectors, TrailName=name)[0] == "InsightNotEnabledException"
    trails.put_insight_selectors(TrailName=name, InsightSelectors=[{"InsightType": "ApiCallRateInsight"}])
    assert trails.get_insight_selectors(TrailName=name)["InsightSelectors"] == [
        {"InsightType": "ApiCallRateInsight"}]
    store = "arn:aws:cloudtrail:us-east-1:000000000000:eventdatastore/x"
    assert refused(trails.get_insight_selectors, TrailName=name, EventDataStore=store) == (
        "InvalidParameterCombinationException", "TrailName and EventDataStore cannot both be given.")
    assert refused(trails.put_insight_selectors, TrailName=name, EventDataStore=store, InsightSelectors=[])[0] == (
        "InvalidParameterCombinationException")

    assert trails.update_trail(Name=name, RecursiveLogging=False)["RecursiveLogging"] is False
    assert trails.get_trail(Name=name)["Trail"]["RecursiveLogging"] is False
    trails.update_trail(Name=name, S3BucketName="other-logs", IsMultiRegionTrail=True)
    elsewhere = server.client("cloudtrail", "eu-west-2")
    (shadow,) = [item for item in elsewhere.describe_trails()["trailList"] if item["Name"] == name]
    assert (shadow["HomeRegion"], shadow["S3BucketName"]) == ("us-east-1", "other-logs")
    assert [item for item in elsewhere.describe_trails(includeShadowTrails=False)["trailList"]
            if item["Name"] == name] == []
    assert refused(elsewhere.delete_trail, Name=name)[0] == "InvalidHomeRegionException"
    trails.stop_logging(Name=name)
    assert trails.get_trail_status(Name=name)["IsLogging"] is False
    trails.delete_trail(Name=name)
    assert refused(trails.get_trail, Name=name)[0] == "TrailNotFoundException"


def test_what_cloudtrail_refuses_isrefused(server: Server) -> None:
    trails = server.client("cloudtrail", "ap-southeast-2")
    for bad in ("ab", "-audit", "audit--trail", "192.168.5.4", "audit_"):
        assert refused(trails.create_trail, Name=bad, S3BucketName="audit-logs")[0] == "InvalidTrailNameException"
    assert refused(trails.create_trail, Name=unique("trail"), S3BucketName="Audit_Logs")[0] == (
        "InvalidS3BucketNameException")
    assert refused(trails.create_trail, Name=unique("trail"), S3BucketName="audit-logs", IsMultiRegionTrail=True,
                    IncludeGlobalServiceEvents=False)[0] == "InvalidParameterCombinationException"
    assert refused(trails.create_trail, Name=unique("trail"), S3BucketName="audit-logs",
                    CloudWatchLogsLogGroupArn="arn:aws:logs:ap-southeast-2:000000000000:log-group:x:*")[0] == (
        "InvalidCloudWatchLogsLogGroupArnException")
    names = [unique("trail") for _ in range(5)]
    for name in names:
        trails.create_trail(Name=name, S3BucketName="audit-logs")
    assert refused(trails.create_trail, Name=unique("trail"), S3BucketName="audit-logs")[0] == (
        "MaximumNumberOfTrailsExceededException")
    assert refused(trails.create_trail, Name=names[0], S3BucketName="audit-logs")[0] == (
        "TrailAlreadyExistsException")
    assert refused(trails.put_event_selectors, TrailName=names[0], EventSelectors=[{}],
                    AdvancedEventSelectors=[{"FieldSelectors": [{"Field": "eventCategory",
                                                                 "Equals": ["Management"]}]}])[0] == (
        "InvalidParameterCombinationException")
    assert refused(trails.add_tags, ResourceId="not-an-arn", TagsList=[{"Key": "a"}])[0] == (
        "CloudTrailARNInvalidException")
    # an ARN of something else where a trail's name or ARN goes (it answered 500 once)
    for call, parameter in ((trails.get_trail, "Name"), (trails.get_trail_status, "Name"),
                            (trails.delete_trail, "Name"), (trails.get_event_selectors, "TrailName")):
        assert refused(call, **{parameter: f"arn:aws:iam::{ACCOUNT}:role/{names[0]}"})[0] == (
            "CloudTrailARNInvalidException")
    for name in names:
        trails.delete_trail(Name=name)


def test_trails_are_authorized_on_their_arn(server: Server) -> None:
    trails = server.client("cloudtrail")
    mine, other = unique("mine"), unique("other")
    for name in (mine, other):
        trails.create_trail(Name=name, S3BucketName="audit-logs")
    user = make_user(server, document(allow(["cloudtrail:StartLogging", "cloudtrail:GetTrailStatus"],
                                            f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/{mine}")))
    client = user.client("cloudtrail")
    client.start_logging(Name=mine)
    code, message = refused(client.start_logging, Name=other)
    assert code == "AccessDeniedException" and f"trail/{other}" in message
    for name in (mine, other):
        trails.delete_trail(Name=name)


def test_an_account_alone_has_no_digest_keys_insights_events_or_delegated_administrators(server: Server) -> None:
    trails = server.client("cloudtrail")
    name = unique("audit")
    arn = trails.create_trail(Name=name, S3BucketName="audit-logs", EnableLogFileValidation=True)["TrailARN"]
    trails.start_logging(Name=name)
    assert trails.list_public_keys()["PublicKeyList"] == []  # no digest file is delivered, so none is signed
    assert refused(trails.list_public_keys, StartTime=datetime(2026, 2, 1, tzinfo=UTC),
                   EndTime=datetime(2026, 1, 1, tzinfo=UTC))[0] == "InvalidTimeRangeException"
    assert trails.list_insights_data(InsightSource=arn, DataType="InsightsEvents",
                                     Dimensions={"EventName": "GetRole"})["Events"] == []
    assert refused(trails.list_insights_data, InsightSource=arn.replace(name, unique("none")),
                   DataType="InsightsEvents")[0] == "TrailNotFoundException"
    for call, params in ((trails.register_organization_delegated_admin, {"MemberAccountId": "111122223333"}),
                         (trails.deregister_organization_delegated_admin, {"DelegatedAdminAccountId": "111122223333"})):
        code, message = refused(call, **params)
        assert (code, "not part of an organization" in message) == ("OrganizationsNotInUseException", True)
    trails.delete_trail(Name=name)
