"""Segment membership event streams (AssociateStreamForSegments, GetStreamForSegments,
DisassociateStreamForSegments): the Kinesis data stream a domain's segment subscriptions would publish their events
to, one per domain. profilestack has no Kinesis: the association is kept and shown UNHEALTHY, saying so, while the
subscriptions' events stay readable with ListSegmentSubscriptionEvents."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update

from profilestack.gateway.context import CallContext
from profilestack.services.iam.pass_role import require_pass_role
from profilestack.services.profiles.domains import require_domain
from profilestack.services.profiles.errors import bad_request, not_found
from profilestack.services.profiles.event_streams import require_kinesis_stream
from profilestack.services.profiles.service import profiles
from profilestack.services.profiles.service_role import SERVICE_PRINCIPAL
from profilestack.services.profiles.tables import profile_segment_streams, profile_segment_subscriptions

NOT_DELIVERED = "profilestack does not deliver to Amazon Kinesis: membership events are kept for " \
                "ListSegmentSubscriptionEvents and not sent to the stream."
_streams = profile_segment_streams.c


def _stream(ctx: CallContext, domain_id: int) -> Any:
    return ctx.db.execute(select(profile_segment_streams).where(_streams.domain_id == domain_id)).first()


@profiles.operation("AssociateStreamForSegments")
def associate_stream_for_segments(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """A stream disassociated earlier is replaced; one still associated has to be disassociated first."""
    domain = require_domain(ctx, params["DomainName"])
    destination, role = params["DestinationArn"], params["DestinationRoleArn"]
    require_kinesis_stream(ctx, "DestinationArn", destination)
    current = _stream(ctx, domain.id)
    if current is not None and current.disassociated_at is None:
        raise bad_request(f"Domain {domain.name} already has a stream for segment membership events "
                          f"({current.destination_arn}): disassociate it first.")
    require_pass_role(ctx, role, SERVICE_PRINCIPAL, domain.arn)
    ctx.db.execute(delete(profile_segment_streams).where(_streams.domain_id == domain.id))
    ctx.db.execute(insert(profile_segment_streams).values(domain_id=domain.id, destination_arn=destination,
                                                          role_arn=role, associated_at=ctx.now()))
    return {}


@profiles.operation("GetStreamForSegments")
def get_stream_for_segments(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """While associated, every subscribed segment is on the stream with its subscription's status; once
    disassociated, the stream is STOPPED and holds none."""
    domain = require_domain(ctx, params["DomainName"])
    stream = _stream(ctx, domain.id)
    if stream is None:
        raise not_found(f"Domain {domain.name} has no stream for segment membership events.")
    result: dict[str, Any] = {"DomainName": domain.name, "DestinationArn": stream.destination_arn,
                              "DestinationRoleArn": stream.role_arn, "AssociatedAt": stream.associated_at}
    if stream.disassociated_at is not None:
        return {**result, "State": "STOPPED", "DisassociatedAt": stream.disassociated_at, "AssociatedSegments": []}
    subscriptions = ctx.db.execute(
        select(profile_segment_subscriptions.c.segment_name, profile_segment_subscriptions.c.status)
        .where(profile_segment_subscriptions.c.domain_id == domain.id)
        .order_by(profile_segment_subscriptions.c.segment_name))
    segments = [{"SegmentName": name, "Status": status, "Message": NOT_DELIVERED} for name, status in subscriptions]
    return {**result, "State": "UNHEALTHY", "FailureReason": NOT_DELIVERED, "AssociatedSegments": segments}


@profiles.operation("DisassociateStreamForSegments")
def disassociate_stream_for_segments(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain(ctx, params["DomainName"])
    stream = _stream(ctx, domain.id)
    if stream is None or stream.disassociated_at is not None:
        raise not_found(f"Domain {domain.name} has no stream for segment membership events.")
    ctx.db.execute(update(profile_segment_streams).where(_streams.domain_id == domain.id)
                   .values(disassociated_at=ctx.now()))
    return {"Message": f"Stream {stream.destination_arn} was disassociated from domain {domain.name}."}
