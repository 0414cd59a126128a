"""Amazon Connect Outbound Campaigns v1 (``connectcampaigns``, paths outside /v2/): campaigns with a dialer and an
outbound call configuration, dial requests, and the same Connect instance onboarding as v2.

A v1 campaign is a campaign of its own API: v1 operations see only v1 campaigns, v2 operations only v2 ones
(docs/decisions.md). State, deletion, name and tags behave as in v2 (handlers.register_common).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from profilestack.gateway.context import CallContext
from profilestack.services.campaigns import instances
from profilestack.services.campaigns.handlers import (
    campaign_to_change,
    insert_campaign,
    listed_campaigns,
    listed_place,
    paged,
    register_common,
    register_update,
    require_campaign,
    save_definition,
    take_requests,
)
from profilestack.services.registry import ServiceHandlers
from profilestack.store.resource_tags import with_tags

dialer = ServiceHandlers("connectcampaigns")
VERSION = "v1"

register_common(dialer, VERSION)
register_update(dialer, VERSION, "UpdateCampaignDialerConfig", "dialerConfig")
for _name, _handler in instances.ONBOARDING.items():  # an instance is onboarded for both versions at once
    dialer.operation(_name)(_handler)


@dialer.operation("CreateCampaign")
def create_campaign(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return insert_campaign(ctx, params, VERSION)


def _campaign(ctx: CallContext, row: Row[Any]) -> dict[str, Any]:
    definition = row.definition
    shape = {"id": row.id, "arn": row.arn, "name": row.name, "connectInstanceId": definition["connectInstanceId"],
             "dialerConfig": definition["dialerConfig"], "outboundCallConfig": definition["outboundCallConfig"]}
    with_tags(ctx.db, row.arn, shape, "tags")
    return shape


@dialer.operation("DescribeCampaign")
def describe_campaign(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"campaign": _campaign(ctx, require_campaign(ctx, params["id"], VERSION))}


@dialer.operation("ListCampaigns")
def list_campaigns(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return paged(listed_campaigns(ctx, params, VERSION), params, "campaignSummaryList", lambda row: {
        "id": row.id, "arn": row.arn, "name": row.name, "connectInstanceId": row.definition["connectInstanceId"]},
        listed_place)


@dialer.operation("UpdateCampaignOutboundCallConfig")
def update_campaign_outbound_call_config(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """The members given replace theirs; the others (the queue among them, which this call cannot set) stay."""
    row = campaign_to_change(ctx, params["id"], VERSION)
    changes = {name: value for name, value in params.items() if name != "id"}
    definition = row.definition
    save_definition(ctx, row, {**definition, "outboundCallConfig": {**definition["outboundCallConfig"], **changes}})
    return {}


@dialer.operation("PutDialRequestBatch")
def put_dial_request_batch(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """As v2's batches, but v1 has no Conflict code: a token reused for another number or other attributes is
    InvalidInput."""
    return take_requests(ctx, params["id"], params["dialRequests"], lambda request: {"channel_parameters": {
        "phoneNumber": request["phoneNumber"], "attributes": request["attributes"]}}, VERSION, "InvalidInput")
