"""CloudTrail Lake integrations: channels through which applications send their own events (``PutAuditEvents``,
services/cloudtrail_data/) into event data stores that take ``ActivityAuditLog`` events. A channel's source is
``Custom``: a partner's source is the partner's own service sending, which is not here."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, insert, select, update

from profilestack.gateway.context import CallContext
from profilestack.iam_policy.engine import account_of
from profilestack.services.cloudtrail.errors import invalid_parameter, invalid_token, refused
from profilestack.services.cloudtrail.event_data_stores import require_store, store_schema
from profilestack.services.cloudtrail.handlers import cloudtrail
from profilestack.services.cloudtrail.lake_arns import CHANNEL, arn_of, lake_arn
from profilestack.services.cloudtrail.lake_events import ACTIVITY
from profilestack.services.cloudtrail.resource_policies import forget_policy
from profilestack.services.cloudtrail.tables import cloudtrail_channels
from profilestack.services.cloudtrail.tagging import tags_given, too_many_tags
from profilestack.services.next_token import page_result
from profilestack.store.resource_tags import remove_tags, set_tags

CUSTOM = "Custom"
_channels = cloudtrail_channels.c


def require_channel(ctx: CallContext, name: str, invalid: str = "ChannelARNInvalidException",
                    missing: str = "ChannelNotFoundException", shared: bool = False) -> Row[Any]:
    """The caller's channel in this region named by ARN or ID — or, ``shared``, another account's named by its ARN
    (the gateway let the caller through by the channel's resource-based policy); refused with the calling
    service's codes (the CloudTrail Data Service has its own) when ``name`` is neither, or names none."""
    arn = arn_of(CHANNEL, name, ctx.region, ctx.account)
    if arn is None:
        raise refused(invalid, f"{name} is not a channel ARN or ID.")
    owner = account_of(arn) if shared else ctx.account
    row = ctx.db.execute(select(cloudtrail_channels).where(
        _channels.arn == arn, _channels.account_id == owner, _channels.region == ctx.region)).first()
    if row is None:
        raise refused(missing, f"The channel {name} does not exist.")
    return row


def _destinations(ctx: CallContext, given: list[dict[str, str]]) -> list[dict[str, str]]:
    """Each destination an active event data store of the caller's that takes applications' events, once."""
    destinations: list[dict[str, str]] = []
    for destination in given:
        if destination["Type"] != "EVENT_DATA_STORE":
            raise invalid_parameter("A channel's destinations are event data stores (Type EVENT_DATA_STORE): "
                                    "AWS_SERVICE destinations belong to the service-linked channels AWS services "
                                    "make.")
        store = require_store(ctx, destination["Location"], active=True)
        if store_schema(store) is not ACTIVITY:
            raise refused("InvalidEventDataStoreCategoryException",
                          f"The event data store {store.arn} does not take events from outside AWS: its advanced "
                          "event selectors need eventCategory ActivityAuditLog.")
        if any(item["Location"] == store.arn for item in destinations):
            raise invalid_parameter(f"The event data store {store.arn} is a destination more than once.")
        destinations.append({"Type": "EVENT_DATA_STORE", "Location": store.arn})
    return destinations


def _name_free(ctx: CallContext, name: str, arn: str | None = None) -> None:
    taken = ctx.db.execute(select(_channels.arn).where(_channels.account_id == ctx.account,
                                                       _channels.region == ctx.region, _channels.name == name)).scalar()
    if taken is not None and taken != arn:
        raise refused("ChannelAlreadyExistsException", f"A channel named {name} already exists.")


def _shape(row: Row[Any]) -> dict[str, Any]:
    return {"ChannelArn": row.arn, "Name": row.name, "Source": row.source, "Destinations": row.destinations}


@cloudtrail.operation("CreateChannel")
def create_channel(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    if params["Source"] != CUSTOM:
        raise refused("InvalidSourceException", f"Source {params['Source']} is not one profilestack takes: a "
                      "partner's events come from the partner's own service. Use Custom for your applications' "
                      "events.")
    destinations = _destinations(ctx, params["Destinations"])
    _name_free(ctx, params["Name"])
    arn = lake_arn(CHANNEL, ctx.region, ctx.account, str(uuid.uuid4()))
    ctx.db.execute(insert(cloudtrail_channels).values(
        arn=arn, account_id=ctx.account, region=ctx.region, name=params["Name"], source=CUSTOM,
        destinations=destinations, ingestion_status={}, created_at=ctx.now()))
    shape = _shape(require_channel(ctx, arn))
    if params.get("Tags"):
        set_tags(ctx.db, arn, tags_given(params["Tags"]), too_many_tags)
        shape["Tags"] = params["Tags"]
    return shape


@cloudtrail.operation("GetChannel")
def get_channel(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = require_channel(ctx, params["Channel"])
    status = {key: datetime.fromisoformat(value) if key.endswith("Time") else value  # kept as ISO 8601 text
              for key, value in row.ingestion_status.items()}
    return {**_shape(row), "IngestionStatus": status}


@cloudtrail.operation("ListChannels")
def list_channels(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    rows = ctx.db.execute(select(cloudtrail_channels).where(
        _channels.account_id == ctx.account, _channels.region == ctx.region)
        .order_by(_channels.created_at, _channels.arn)).all()
    return page_result(rows, params, lambda chunk: [{"ChannelArn": row.arn, "Name": row.name} for row in chunk],
                       1000, "Channels", invalid_token)


@cloudtrail.operation("UpdateChannel")
def update_channel(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = require_channel(ctx, params["Channel"])
    values: dict[str, Any] = {}
    if "Destinations" in params:
        values["destinations"] = _destinations(ctx, params["Destinations"])
    if "Name" in params:
        _name_free(ctx, params["Name"], row.arn)
        values["name"] = params["Name"]
    if values:
        ctx.db.execute(update(cloudtrail_channels).where(_channels.arn == row.arn).values(**values))
    return _shape(require_channel(ctx, row.arn))


@cloudtrail.operation("DeleteChannel")
def delete_channel(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = require_channel(ctx, params["Channel"])
    remove_tags(ctx.db, row.arn)
    forget_policy(ctx.db, row.arn)
    ctx.db.execute(delete(cloudtrail_channels).where(_channels.arn == row.arn))
    return {}
