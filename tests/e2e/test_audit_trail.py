"""Every call is recorded and CloudTrail LookupEvents reads it back, with secrets removed."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from profilestack.audit.log import AuditLog
from profilestack.audit.record import AuditEvent
from profilestack.identity.principal import Principal, root_principal
from profilestack.store.database import Database
from tests.conftest import Server, dedicated_server, server_on
from tests.e2e.identities import ACCOUNT
from tests.e2e.waiting import wait_for
from tests.e2e.wire import signed_later


def _events(cloudtrail, **filters):
    return cloudtrail.lookup_events(**filters)["Events"]


def _by_name(cloudtrail, name: str):
    return _events(cloudtrail, LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": name}])


def test_a_success_is_recorded_as_cloudtrail_shows_it(client) -> None:
    request_id = client("sts").get_caller_identity()["ResponseMetadata"]["RequestId"]
    events = _by_name(client("cloudtrail"), "GetCallerIdentity")
    event = next(e for e in events if json.loads(e["CloudTrailEvent"])["requestID"] == request_id)
    assert event["EventSource"] == "sts.amazonaws.com"
    assert event["Username"] == "root"
    assert event["AccessKeyId"] == "test"
    assert event["ReadOnly"] == "true"
    record = json.loads(event["CloudTrailEvent"])
    assert record["userIdentity"] == {"type": "Root", "principalId": "000000000000",
                                      "arn": "arn:aws:iam::000000000000:root", "accountId": "000000000000",
                                      "accessKeyId": "test"}
    assert record["awsRegion"] == "us-east-1"
    assert record["sourceIPAddress"] == "127.0.0.1"
    assert record["eventType"] == "AwsApiCall"
    assert "errorCode" not in record


def test_a_failure_is_recorded_with_its_error_code(client) -> None:
    name = f"audit-{uuid.uuid4().hex[:8]}"
    with pytest.raises(ClientError):
        client("customer-profiles").get_domain(DomainName=name + "!")
    events = _by_name(client("cloudtrail"), "GetDomain")
    record = next(json.loads(e["CloudTrailEvent"]) for e in events
                  if json.loads(e["CloudTrailEvent"])["requestParameters"]["domainName"] == name + "!")
    assert record["errorCode"] == "BadRequestException"
    assert record["errorMessage"].startswith("1 validation error detected")
    assert record["eventSource"] == "profile.amazonaws.com"


def test_a_call_naming_an_account_id_no_account_can_have_is_recorded(server, client) -> None:
    """CloudTrail Lake takes an owner account of 12 to 16 digits, and a role ARN any account part: a call naming one
    that no account can have (account ids are 12 digits) is recorded all the same, for the caller's account (an
    unsigned call, for nobody's: its role's account is none). Before, on PostgreSQL, the event (or its copy for
    that owner) did not fit the account column and was dropped."""
    query_id = str(uuid.uuid4())
    with pytest.raises(ClientError):
        client("cloudtrail").cancel_query(EventDataStore="nowhere", QueryId=query_id,
                                          EventDataStoreOwnerAccountId="1234567890123456")
    role = f"arn:aws:iam::{'9' * 20}:role/web-{query_id[:8]}"
    with pytest.raises(ClientError):
        client("sts").assume_role_with_web_identity(RoleArn=role, RoleSessionName="web", WebIdentityToken="x" * 8)
    cloudtrail = client("cloudtrail")
    (record,) = wait_for(lambda: [record for event in _by_name(cloudtrail, "CancelQuery")
                                  if query_id in event["CloudTrailEvent"]
                                  for record in [json.loads(event["CloudTrailEvent"])]])
    assert (record["recipientAccountId"], record["errorCode"]) == (ACCOUNT, "AccessDeniedException")
    stored = wait_for(lambda: server.rows("SELECT account_id FROM audit_events WHERE event_name = :name "
                                          "AND CAST(resources AS TEXT) LIKE :role", name="AssumeRoleWithWebIdentity",
                                          role=f"%web-{query_id[:8]}%"))
    assert [row.account_id for row in stored] == [""]
    assert "cannot be stored" not in server.logs()


def test_a_null_character_in_a_call_is_recorded_and_the_trail_goes_on(client) -> None:
    """PostgreSQL cannot store U+0000 in text: the echoed message keeps U+FFFD in its place, the parameters keep it
    (JSON escapes it), and the calls after it are recorded too."""
    name = f"nul{uuid.uuid4().hex[:8]}"
    with pytest.raises(ClientError):
        client("iam").create_user(UserName=f"{name}\x00x")
    request_id = client("sts").get_caller_identity()["ResponseMetadata"]["RequestId"]
    cloudtrail = client("cloudtrail")
    record = next(json.loads(e["CloudTrailEvent"]) for e in _by_name(cloudtrail, "CreateUser")
                  if json.loads(e["CloudTrailEvent"])["requestParameters"]["userName"].startswith(name))
    assert record["requestParameters"]["userName"] == f"{name}\x00x"
    assert (record["errorCode"], f"Value '{name}\ufffdx' at 'userName'" in record["errorMessage"]) == (
        "ValidationError", True)
    assert any(json.loads(e["CloudTrailEvent"])["requestID"] == request_id
               for e in _by_name(cloudtrail, "GetCallerIdentity"))


def test_a_bad_signature_for_a_known_key_is_recorded(client) -> None:
    with pytest.raises(ClientError):
        client("sts", aws_secret_access_key="wrong").get_caller_identity()
    events = _by_name(client("cloudtrail"), "GetCallerIdentity")
    assert any(json.loads(e["CloudTrailEvent"]).get("errorCode") == "SignatureDoesNotMatch" for e in events)


def test_secrets_never_reach_the_audit_trail_or_the_log(server, client) -> None:
    secret = f"Sup3r-{uuid.uuid4().hex}"
    with pytest.raises(ClientError):
        client("iam").create_login_profile(UserName="alice", Password=secret)
    events = _by_name(client("cloudtrail"), "CreateLoginProfile")
    record = json.loads(events[0]["CloudTrailEvent"])
    assert record["requestParameters"] == {"userName": "alice", "password": "HIDDEN_DUE_TO_SECURITY_REASONS"}
    assert record["eventSource"] == "iam.amazonaws.com"
    assert all(secret not in e["CloudTrailEvent"] for e in events)
    assert secret not in server.logs()


def test_what_a_change_answered_is_recorded_as_its_response_elements(server, client) -> None:
    """responseElements: what a call that changed something answered, as its parameters are shown (lowerCamelCase,
    secrets hidden) but for the secret access key, left out, and IAM's times, written as IAM writes them there
    ("Mar 9, 2026, 9:16:35 AM"); reads and failures have none."""
    iam, name = client("iam"), f"answered-{uuid.uuid4().hex[:8]}"
    user = iam.create_user(UserName=name, Path="/audit/")["User"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    iam.get_user(UserName=name)
    with pytest.raises(ClientError):
        iam.create_user(UserName=name)  # exists already
    cloudtrail = client("cloudtrail")

    def records() -> dict[str, list[dict]] | None:
        found: dict[str, list[dict]] = {}
        for event_name in ("CreateUser", "CreateAccessKey", "GetUser"):
            found[event_name] = [record for event in _by_name(cloudtrail, event_name)
                                 if (record := json.loads(event["CloudTrailEvent"]))["requestParameters"]
                                 and record["requestParameters"].get("userName") == name]
        return found if [len(found[n]) for n in ("CreateUser", "CreateAccessKey", "GetUser")] == [2, 1, 1] else None

    found = wait_for(records)
    created = next(record for record in found["CreateUser"] if "errorCode" not in record)
    shown = created["responseElements"]["user"]
    written = datetime.strptime(shown.pop("createDate"), "%b %d, %Y, %I:%M:%S %p").replace(tzinfo=UTC)
    assert written == user["CreateDate"].replace(microsecond=0)
    assert shown == {"path": "/audit/", "userName": name, "userId": user["UserId"], "arn": user["Arn"]}
    assert next(record for record in found["CreateUser"] if "errorCode" in record)["responseElements"] is None
    access_key = found["CreateAccessKey"][0]["responseElements"]["accessKey"]
    assert access_key["accessKeyId"] == key["AccessKeyId"] and access_key["status"] == "Active"
    assert set(access_key) == {"userName", "accessKeyId", "status", "createDate"}  # no secretAccessKey, as on AWS
    assert key["SecretAccessKey"] not in json.dumps(found)
    assert found["GetUser"][0]["responseElements"] is None  # a read


def test_lookup_filters_by_source_resource_and_read_only(client) -> None:
    name = f"res-{uuid.uuid4().hex[:8]}"
    with pytest.raises(ClientError):
        client("customer-profiles").get_domain(DomainName=name)
    cloudtrail = client("cloudtrail")
    arn = f"arn:aws:profile:us-east-1:000000000000:domains/{name}"
    by_resource = _events(cloudtrail, LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": arn}])
    assert [e["EventName"] for e in by_resource] == ["GetDomain"]
    # resource types as CloudTrail names them, in Resources, in the record, and as a filter
    assert by_resource[0]["Resources"] == [{"ResourceType": "AWS::CustomerProfiles::Domain", "ResourceName": arn}]
    record = json.loads(by_resource[0]["CloudTrailEvent"])
    assert record["resources"] == [{"accountId": "000000000000", "type": "AWS::CustomerProfiles::Domain", "ARN": arn}]
    assert record["eventCategory"] == "Management"
    by_type = _events(cloudtrail, LookupAttributes=[{"AttributeKey": "ResourceType",
                                                     "AttributeValue": "AWS::CustomerProfiles::Domain"}])
    assert by_resource[0]["EventId"] in {event["EventId"] for event in by_type}
    assert all(resource["ResourceType"] == "AWS::CustomerProfiles::Domain" for event in by_type
               for resource in event["Resources"])
    assert _events(cloudtrail, LookupAttributes=[{"AttributeKey": "ResourceType", "AttributeValue": "domains"}]) == []
    by_source = _events(cloudtrail, LookupAttributes=[{"AttributeKey": "EventSource",
                                                       "AttributeValue": "profile.amazonaws.com"}])
    assert by_source and all(e["EventSource"] == "profile.amazonaws.com" for e in by_source)
    writes = _events(cloudtrail, LookupAttributes=[{"AttributeKey": "ReadOnly", "AttributeValue": "false"}])
    assert all(e["ReadOnly"] == "false" for e in writes)
    assert "GetCallerIdentity" not in {e["EventName"] for e in writes}
    # Insights events only: none (nothing here detects unusual activity), not the management events above
    assert cloudtrail.lookup_events(EventCategory="insight", LookupAttributes=[
        {"AttributeKey": "ResourceName", "AttributeValue": arn}])["Events"] == []


def test_lookup_is_regional(client) -> None:
    client("sts", region="eu-west-2").get_caller_identity()
    london = _events(client("cloudtrail", region="eu-west-2"))
    assert london and all(json.loads(e["CloudTrailEvent"])["awsRegion"] == "eu-west-2" for e in london)


def test_lookup_time_range_and_pagination(client) -> None:
    sts = client("sts", region="ap-southeast-2")
    for _ in range(3):
        sts.get_caller_identity()
    cloudtrail = client("cloudtrail", region="ap-southeast-2")
    now = datetime.now(UTC)
    window = {"StartTime": now - timedelta(minutes=5), "EndTime": now + timedelta(minutes=1)}
    first = cloudtrail.lookup_events(MaxResults=2, **window)
    assert len(first["Events"]) == 2 and "NextToken" in first
    rest = cloudtrail.lookup_events(MaxResults=2, NextToken=first["NextToken"])
    seen = [e["EventId"] for e in first["Events"] + rest["Events"]]
    assert len(seen) == len(set(seen)) >= 3
    times = [e["EventTime"] for e in first["Events"] + rest["Events"]]
    assert times == sorted(times, reverse=True)
    assert _events(cloudtrail, StartTime=now + timedelta(minutes=5)) == []


def test_lookup_rejects_bad_arguments(client) -> None:
    cloudtrail = client("cloudtrail")
    with pytest.raises(ClientError) as caught:
        cloudtrail.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "A"},
                                                   {"AttributeKey": "Username", "AttributeValue": "B"}])
    assert caught.value.response["Error"]["Code"] == "InvalidLookupAttributesException"
    with pytest.raises(ClientError) as caught:
        cloudtrail.lookup_events(NextToken="garbage!")
    assert caught.value.response["Error"]["Code"] == "InvalidNextTokenException"
    now = datetime.now(UTC)
    with pytest.raises(ClientError) as caught:
        cloudtrail.lookup_events(StartTime=now, EndTime=now - timedelta(hours=1))
    assert caught.value.response["Error"]["Code"] == "InvalidTimeRangeException"


def test_the_trail_survives_a_restart(server) -> None:
    request_id = server.client("sts", region="ca-central-1").get_caller_identity()["ResponseMetadata"]["RequestId"]
    server.restart()
    events = _events(server.client("cloudtrail", region="ca-central-1"))
    assert request_id in {json.loads(e["CloudTrailEvent"])["requestID"] for e in events}


def _stored(server, request_id: str) -> int:
    """How many events of a call the server's database holds (what LookupEvents no longer shows may be kept)."""
    return server.read("SELECT count(*) FROM audit_events WHERE request_id = :id", id=request_id)[0]


def _shown(trail, request_id: str) -> bool:
    return any(json.loads(event["CloudTrailEvent"])["requestID"] == request_id
               for event in _by_name(trail, "GetCallerIdentity"))


def test_the_event_history_keeps_ninety_days(clocked_server) -> None:
    server, offset = clocked_server
    trail = server.client("cloudtrail")
    old = server.client("sts").get_caller_identity()["ResponseMetadata"]["RequestId"]
    assert _shown(trail, old)
    try:
        offset.write_text(str(89 * 86400))
        with signed_later(89):
            assert _shown(trail, old)
        offset.write_text(str(91 * 86400))
        with signed_later(91):
            new = server.client("sts").get_caller_identity()["ResponseMetadata"]["RequestId"]
            assert _shown(trail, new)
            assert not _shown(trail, old)  # hidden at once, deleted by the hourly clean-up
        wait_for(lambda: _stored(server, old) == 0)
        assert _stored(server, new) == 1
    finally:
        offset.write_text("0")
    assert not _shown(trail, old)  # gone from the database, not only out of the window


def test_a_retention_of_zero_keeps_every_event(tmp_path) -> None:
    offset = tmp_path / "clock-offset"
    offset.write_text("0")
    with dedicated_server(tmp_path, PROFILESTACK_AUDIT_RETENTION_DAYS="0",
                          PROFILESTACK_CLOCK_OFFSET_FILE=str(offset)) as server:
        old = server.client("sts").get_caller_identity()["ResponseMetadata"]["RequestId"]
        offset.write_text(str(400 * 86400))
        with signed_later(400):
            server.client("sts").get_caller_identity()  # the clean-up has had a turn: it runs on start and when due
            time.sleep(1)
            assert _shown(server.client("cloudtrail"), old)
        assert _stored(server, old) == 1


OLDER_EVENTS = 25_000  # two and a half times what one call looks through


def _store(server: Server, events: Iterable[AuditEvent]) -> None:
    """Events stored straight into the server's trail, in the order given, as its audit writer stores them."""
    database = Database(server.database_url)
    audit = AuditLog(database)
    for event in events:
        audit.record(event)
    audit.flush()
    database.dispose()


@pytest.fixture(scope="module")
def long_trail(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """A server whose trail holds 25,000 older events, written straight to its database; the oldest is Alice's
    DeleteRole of role r0, all the others root's GetRole of other roles. Yields the server and that event's id."""
    with server_on(backend, tmp_path_factory.mktemp(f"trail-{backend}")) as server:
        now = datetime.now(UTC)
        alice = Principal("IAMUser", ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/alice", "AIDAALICE", "alice", "AKIAALICE")
        _store(server, (AuditEvent(
            event_id=f"00000000-0000-4000-8000-{index:012d}",
            event_time=now - timedelta(seconds=OLDER_EVENTS - index),
            account_id=ACCOUNT, region="us-east-1", event_source="iam.amazonaws.com",
            event_name="DeleteRole" if index == 0 else "GetRole", read_only=index != 0,
            principal=alice if index == 0 else root_principal(ACCOUNT, "test"), source_ip="127.0.0.1",
            user_agent=None, request_id=f"older-{index}",
            resources=[{"ResourceType": "AWS::IAM::Role", "ResourceName": f"arn:aws:iam::{ACCOUNT}:role/r{index}"}])
            for index in range(OLDER_EVENTS)))
        yield server, "00000000-0000-4000-8000-000000000000"


def _called(name: str, moment: datetime) -> AuditEvent:
    """Root's call ``name``, begun at ``moment``."""
    return AuditEvent(event_id=str(uuid.uuid4()), event_time=moment, account_id=ACCOUNT, region="us-east-1",
                      event_source="sts.amazonaws.com", event_name=name, read_only=True,
                      principal=root_principal(ACCOUNT, "test"), source_ip="127.0.0.1", user_agent=None,
                      request_id=str(uuid.uuid4()))


def test_an_event_stored_out_of_time_order_is_found_by_its_time(tmp_path) -> None:
    """An event is stamped when its call begins and stored when it ends: a call begun at T that ended after one
    begun at T+10 s is stored after it. Lookups by time find both, in a quiet stretch of the trail too."""
    moment = datetime.now(UTC) - timedelta(days=1)
    with dedicated_server(tmp_path) as server:
        _store(server, [_called("Earlier", moment - timedelta(hours=1)),
                        _called("Quick", moment + timedelta(seconds=10)), _called("Long", moment)])
        trail = server.client("cloudtrail")

        def names(**window: datetime) -> list[str]:
            return [event["EventName"] for event in _events(trail, **window)]

        assert names(StartTime=moment + timedelta(seconds=5)) == ["Quick"]
        assert names(StartTime=moment - timedelta(seconds=5), EndTime=moment + timedelta(seconds=5)) == ["Long"]
        assert names(StartTime=moment - timedelta(seconds=5), EndTime=moment + timedelta(seconds=15)) == [
            "Long", "Quick"]  # newest stored first


@pytest.mark.parametrize("attribute", [
    {"AttributeKey": "ResourceName", "AttributeValue": f"arn:aws:iam::{ACCOUNT}:role/r0"},  # filtered in Python
    {"AttributeKey": "Username", "AttributeValue": "alice"},  # in SQL, no index
    {"AttributeKey": "EventName", "AttributeValue": "DeleteRole"},  # in SQL, indexed
])
def test_a_lookup_that_matches_little_answers_a_share_at_a_time(long_trail, attribute) -> None:
    """A call looks through a bounded share of the trail, so that one matching little cannot hold the server for
    long; the NextToken goes on from where it stopped, as paginators follow it."""
    server, oldest = long_trail
    trail = server.client("cloudtrail")
    first = trail.lookup_events(LookupAttributes=[attribute])
    assert first["Events"] == [] and first["NextToken"]
    pages = list(trail.get_paginator("lookup_events").paginate(LookupAttributes=[attribute]))
    assert len(pages) > 1
    assert [event["EventId"] for page in pages for event in page["Events"]] == [oldest]
    assert "NextToken" not in pages[-1]


def test_a_lookup_without_filters_reads_only_the_newest_page(long_trail) -> None:
    server, _ = long_trail
    server.client("sts").get_caller_identity()
    trail = server.client("cloudtrail")
    page = trail.lookup_events(MaxResults=50)
    assert len(page["Events"]) == 50 and page["NextToken"]
    assert page["Events"][0]["EventName"] == "GetCallerIdentity"
    times = [event["EventTime"] for event in page["Events"]]
    assert times == sorted(times, reverse=True)
    following = trail.lookup_events(MaxResults=50, NextToken=page["NextToken"])["Events"]
    assert len(following) == 50 and following[0]["EventTime"] <= times[-1]
    assert not {event["EventId"] for event in following} & {event["EventId"] for event in page["Events"]}
