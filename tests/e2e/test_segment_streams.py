"""Customer Profiles segment membership event streams: one Kinesis data stream per domain, kept and shown as not
delivered (there is no Kinesis), its subscribed segments listed with their subscriptions' status."""

from __future__ import annotations

from botocore.exceptions import ClientError

from tests.conftest import Server
from tests.e2e.errors import refused
from tests.e2e.identities import ACCOUNT, allow, document, make_user, unique
from tests.e2e.test_pass_role import PROFILES, _pass, _role
from tests.e2e.test_segment_subscriptions import GOLD, _running
from tests.e2e.test_segments import Customers

STREAM = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/segment-events"
OTHER_STREAM = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/other-events"


def test_a_stream_from_association_to_disassociation(server: Server) -> None:
    customers = Customers(server)
    profiles, domain = customers.profiles, customers.domain
    assert refused(profiles.get_stream_for_segments, DomainName=domain) == (
        "ResourceNotFoundException", f"Domain {domain} has no stream for segment membership events.")
    role = _role(server, PROFILES)
    assert profiles.associate_stream_for_segments(DomainName=domain, DestinationArn=STREAM,
                                                  DestinationRoleArn=role)["ResponseMetadata"]["HTTPStatusCode"] == 200
    got = profiles.get_stream_for_segments(DomainName=domain)
    assert (got["DomainName"], got["DestinationArn"], got["DestinationRoleArn"], got["State"],
            got["AssociatedSegments"]) == (domain, STREAM, role, "UNHEALTHY", [])
    assert "does not deliver" in got["FailureReason"] and "DisassociatedAt" not in got

    # every subscribed segment is on the stream, with its subscription's status
    customers.define("gold", GOLD)
    customers.define("all", GOLD)
    profiles.put_segment_subscription(DomainName=domain, SegmentDefinitionName="gold")
    _running(customers, "gold")
    [segment] = profiles.get_stream_for_segments(DomainName=domain)["AssociatedSegments"]
    assert (segment["SegmentName"], segment["Status"]) == ("gold", "RUNNING")
    assert "ListSegmentSubscriptionEvents" in segment["Message"]

    # one stream at a time: a second is refused until the first is disassociated
    assert refused(profiles.associate_stream_for_segments, DomainName=domain, DestinationArn=OTHER_STREAM,
                   DestinationRoleArn=role) == (
        "BadRequestException", f"Domain {domain} already has a stream for segment membership events ({STREAM}): "
                               "disassociate it first.")
    answer = profiles.disassociate_stream_for_segments(DomainName=domain)
    assert answer["Message"] == f"Stream {STREAM} was disassociated from domain {domain}."
    stopped = profiles.get_stream_for_segments(DomainName=domain)
    assert (stopped["State"], stopped["AssociatedSegments"], stopped["AssociatedAt"]) == (
        "STOPPED", [], got["AssociatedAt"])
    assert stopped["DisassociatedAt"] >= stopped["AssociatedAt"] and "FailureReason" not in stopped
    assert refused(profiles.disassociate_stream_for_segments, DomainName=domain)[0] == "ResourceNotFoundException"
    # the subscription itself goes on: its events are still recorded
    assert profiles.get_segment_subscription(DomainName=domain, SegmentDefinitionName="gold")["Status"] == "RUNNING"

    profiles.associate_stream_for_segments(DomainName=domain, DestinationArn=OTHER_STREAM, DestinationRoleArn=role)
    again = profiles.get_stream_for_segments(DomainName=domain)
    assert (again["DestinationArn"], again["State"]) == (OTHER_STREAM, "UNHEALTHY") and "DisassociatedAt" not in again

    # deleting the domain takes its stream along: a new domain of the same name has none
    profiles.delete_domain(DomainName=domain)
    profiles.create_domain(DomainName=domain, DefaultExpirationDays=30)
    assert refused(profiles.get_stream_for_segments, DomainName=domain)[0] == "ResourceNotFoundException"


def test_what_associating_a_stream_refuses(server: Server) -> None:
    profiles, domain = server.client("customer-profiles"), unique("streams")
    profiles.create_domain(DomainName=domain, DefaultExpirationDays=30)
    role = _role(server, PROFILES)
    for arn in ("https://example.com/events", f"arn:aws:kinesis:eu-west-1:{ACCOUNT}:stream/elsewhere",
                "arn:aws:kinesis:us-east-1:111122223333:stream/not-mine"):
        code, message = refused(profiles.associate_stream_for_segments, DomainName=domain, DestinationArn=arn,
                                DestinationRoleArn=role)
        assert (code, message) == ("BadRequestException", f"DestinationArn {arn} is not the ARN of a Kinesis data "
                                                          "stream in the domain's account and region.")
    code, message = refused(profiles.associate_stream_for_segments, DomainName=domain, DestinationArn=STREAM,
                            DestinationRoleArn="not-a-role")
    assert code == "BadRequestException" and "'destinationRoleArn'" in message
    for call, params in ((profiles.associate_stream_for_segments, {"DestinationArn": STREAM,
                                                                   "DestinationRoleArn": role}),
                         (profiles.get_stream_for_segments, {}), (profiles.disassociate_stream_for_segments, {})):
        assert refused(call, DomainName=unique("nodomain"), **params)[0] == "ResourceNotFoundException"
    assert refused(profiles.get_stream_for_segments, DomainName=domain)[0] == "ResourceNotFoundException"


def test_the_streams_role_needs_leave_to_pass_it_to_customer_profiles(server: Server) -> None:
    owner, domain = server.client("customer-profiles"), unique("streams")
    owner.create_domain(DomainName=domain, DefaultExpirationDays=30)
    domain_arn = f"arn:aws:profile:us-east-1:{ACCOUNT}:domains/{domain}"
    role = _role(server, PROFILES)

    def associate(*statements: dict) -> tuple[str, str] | None:
        """The error the association meets with these statements besides profile:*, or None when it is made."""
        profiles = make_user(server, document(allow("profile:*"), *statements)).client("customer-profiles")
        try:
            profiles.associate_stream_for_segments(DomainName=domain, DestinationArn=STREAM, DestinationRoleArn=role)
        except ClientError as err:
            return err.response["Error"]["Code"], err.response["Error"]["Message"]
        return None

    code, message = associate()
    assert code == "AccessDeniedException" and f"iam:PassRole on resource: {role}" in message
    assert associate(_pass(role, "cloudtrail.amazonaws.com"))[0] == "AccessDeniedException"
    assert associate(_pass(role, PROFILES, ArnLike={"iam:AssociatedResourceArn": f"{domain_arn}-other"}))[0] == (
        "AccessDeniedException")
    # the refused associations left nothing behind
    assert refused(owner.get_stream_for_segments, DomainName=domain)[0] == "ResourceNotFoundException"
    assert associate(_pass(role, PROFILES, ArnLike={"iam:AssociatedResourceArn": domain_arn})) is None
    assert owner.get_stream_for_segments(DomainName=domain)["State"] == "UNHEALTHY"
