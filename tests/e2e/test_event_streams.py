"""Customer Profiles event streams: kept for the infrastructure that declares them, shown as not delivered."""

from __future__ import annotations

from tests.e2e.errors import refused
from tests.e2e.identities import ACCOUNT, unique

STREAM = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/profile-events"


def test_an_event_stream_from_creation_to_deletion(profiles, domain) -> None:
    created = profiles.create_event_stream(DomainName=domain, EventStreamName="changes", Uri=STREAM,
                                           Tags={"team": "crm"})
    arn = f"arn:aws:profile:us-east-1:{ACCOUNT}:domains/{domain}/event-streams/changes"
    assert (created["EventStreamArn"], created["Tags"]) == (arn, {"team": "crm"})
    got = profiles.get_event_stream(DomainName=domain, EventStreamName="changes")
    assert (got["DomainName"], got["EventStreamArn"], got["State"], got["Tags"]) == (
        domain, arn, "RUNNING", {"team": "crm"})
    details = got["DestinationDetails"]
    assert (details["Uri"], details["Status"]) == (STREAM, "UNHEALTHY")
    assert "does not deliver" in details["Message"] and details["UnhealthySince"] == got["CreatedAt"]
    [item] = profiles.list_event_streams(DomainName=domain)["Items"]
    assert (item["EventStreamName"], item["State"], item["DestinationSummary"]["Status"]) == (
        "changes", "RUNNING", "UNHEALTHY") and "Message" not in item["DestinationSummary"]
    profiles.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert profiles.list_tags_for_resource(resourceArn=arn)["tags"] == {}
    profiles.delete_event_stream(DomainName=domain, EventStreamName="changes")
    assert refused(profiles.get_event_stream, DomainName=domain, EventStreamName="changes") == (
        "ResourceNotFoundException", f"Event stream changes does not exist in domain {domain}.")
    assert profiles.list_event_streams(DomainName=domain)["Items"] == []


def test_what_an_event_stream_refuses(profiles, domain) -> None:
    for uri in ("https://example.com/events", f"arn:aws:kinesis:eu-west-1:{ACCOUNT}:stream/elsewhere",
                "arn:aws:kinesis:us-east-1:111122223333:stream/not-mine",
                f"arn:aws:firehose:us-east-1:{ACCOUNT}:deliverystream/x"):
        code, message = refused(profiles.create_event_stream, DomainName=domain, EventStreamName="s", Uri=uri)
        assert code == "BadRequestException" and uri in message
    profiles.create_event_stream(DomainName=domain, EventStreamName="s", Uri=STREAM)
    assert refused(profiles.create_event_stream, DomainName=domain, EventStreamName="s", Uri=STREAM) == (
        "BadRequestException", f"Event stream s already exists in domain {domain}.")
    assert refused(profiles.create_event_stream, DomainName=unique("nodomain"), EventStreamName="s",
                    Uri=STREAM)[0] == "ResourceNotFoundException"
