"""Event streams (CreateEventStream, GetEventStream, ListEventStreams, DeleteEventStream): a domain's subscription of
a Kinesis data stream to its profile events, kept so that the infrastructure that declares one can be created and
read back. profilestack has no Kinesis to deliver to: every stream shows its destination UNHEALTHY, saying so."""

from __future__ import annotations

import re
from typing import Any

from profilestack.gateway.context import CallContext
from profilestack.services.profiles.definitions import HeldDefinitions
from profilestack.services.profiles.domains import require_domain
from profilestack.services.profiles.errors import bad_request
from profilestack.services.profiles.service import profiles
from profilestack.services.profiles.tables import profile_event_streams

EVENT_STREAMS = HeldDefinitions(profile_event_streams, "name", "Event stream", "event-streams", "EventStreamName")
NOT_DELIVERED = "profilestack does not deliver to Amazon Kinesis: the stream's events are not sent anywhere."
_KINESIS_STREAM = re.compile(r"^arn:aws[a-z-]*:kinesis:([a-z0-9-]+):(\d{12}):stream/[A-Za-z0-9_.-]{1,128}\Z", re.ASCII)


def require_kinesis_stream(ctx: CallContext, member: str, arn: str) -> None:
    """Destinations are Kinesis data streams of the domain's account and region, as AWS requires."""
    found = _KINESIS_STREAM.match(arn)
    if found is None or found.groups() != (ctx.region, ctx.account):
        raise bad_request(f"{member} {arn} is not the ARN of a Kinesis data stream in the domain's account and "
                          "region.")


def _destination(row: Any, summary: bool = False) -> dict[str, Any]:
    details = {"Uri": row.definition["Uri"], "Status": "UNHEALTHY", "UnhealthySince": row.created_at}
    return details if summary else {**details, "Message": NOT_DELIVERED}


def _shape(ctx: CallContext, domain: Any, row: Any) -> dict[str, Any]:
    shape = {"DomainName": domain.name, "EventStreamName": row.name,
             "EventStreamArn": EVENT_STREAMS.arn(domain, row.name), "CreatedAt": row.created_at, "State": "RUNNING"}
    shape["DestinationDetails"] = _destination(row)
    shape["DestinationSummary"] = _destination(row, summary=True)
    return EVENT_STREAMS.shape(ctx, domain, row, **shape)


@profiles.operation("CreateEventStream")
def create_event_stream(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain(ctx, params["DomainName"])
    name, uri = params["EventStreamName"], params["Uri"]
    EVENT_STREAMS.require_new(ctx, domain, name)
    require_kinesis_stream(ctx, "Uri", uri)
    row = EVENT_STREAMS.put(ctx, domain, name, {"Uri": uri}, params.get("Tags"))
    result: dict[str, Any] = {"EventStreamArn": EVENT_STREAMS.arn(domain, row.name)}
    if params.get("Tags"):
        result["Tags"] = params["Tags"]
    return result


@profiles.operation("GetEventStream")
def get_event_stream(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, row = EVENT_STREAMS.named(ctx, params)
    shape = _shape(ctx, domain, row)
    return {member: shape[member] for member in ("DomainName", "EventStreamArn", "CreatedAt", "State",
                                                 "DestinationDetails", "Tags") if member in shape}


@profiles.operation("ListEventStreams")
def list_event_streams(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return EVENT_STREAMS.listed(ctx, params, ("DomainName", "EventStreamName", "EventStreamArn", "State",
                                              "DestinationSummary", "Tags"), _shape)


@profiles.operation("DeleteEventStream")
def delete_event_stream(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, row = EVENT_STREAMS.named(ctx, params)
    EVENT_STREAMS.delete(ctx, domain, row)
    return {}
