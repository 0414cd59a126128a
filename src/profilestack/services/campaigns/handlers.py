"""Amazon Connect Outbound Campaigns v2 (paths under /v2/): campaigns, their state, profile outbound requests.

What v1 (campaigns_v1.py) shares with it — a campaign's state, deletion, name, tags, requests taken
idempotently — is written once here, for either version: each version sees only the campaigns it made."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, func, insert, select, update

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.services.campaigns.tables import campaign_outbound_requests, campaigns
from profilestack.services.next_token import page
from profilestack.services.registry import ServiceHandlers
from profilestack.store.locks import lock_for_transaction
from profilestack.store.prepared import Prepared
from profilestack.store.resource_tags import remove_tags, set_tags, tags_of, with_tags

outbound = ServiceHandlers("connectcampaignsv2")

MAX_CAMPAIGNS = 500
# operation → (states it may start from, state it leads to)
TRANSITIONS = {
    "StartCampaign": ({"Initialized", "Stopped"}, "Running"),
    "PauseCampaign": ({"Running"}, "Paused"),
    "ResumeCampaign": ({"Paused"}, "Running"),
    "StopCampaign": ({"Running", "Paused"}, "Stopped"),
}


def validation(message: str) -> AwsError:
    return AwsError("ValidationException", message, 400)


def not_found(campaign_id: str) -> AwsError:
    return AwsError("ResourceNotFoundException", f"Campaign {campaign_id} does not exist.", 404)


def invalid_state(row: Row[Any], action: str) -> AwsError:
    return AwsError("InvalidCampaignStateException", f"Campaign {row.id} is {row.state}; it cannot {action}.", 409,
                    fields={"state": row.state})


_FIND_CAMPAIGN = Prepared(select(campaigns).where(campaigns.c.id == bindparam("b_id"),
                                                  campaigns.c.account_id == bindparam("b_account"),
                                                  campaigns.c.region == bindparam("b_region"),
                                                  campaigns.c.api_version == bindparam("b_version")))
_FIND_REQUEST = Prepared(select(campaign_outbound_requests).where(
    campaign_outbound_requests.c.campaign_id == bindparam("b_campaign"),
    campaign_outbound_requests.c.client_token == bindparam("b_token")))
_INSERT_REQUEST = Prepared(insert(campaign_outbound_requests))


def require_campaign(ctx: CallContext, campaign_id: str, version: str = "v2") -> Row[Any]:
    row = _FIND_CAMPAIGN.first(ctx.db, {"b_id": campaign_id, "b_account": ctx.account, "b_region": ctx.region,
                                        "b_version": version})
    if row is None:
        raise not_found(campaign_id)
    return row


def campaign_to_change(ctx: CallContext, campaign_id: str, version: str = "v2") -> Row[Any]:
    """The campaign a call reads, then changes (its state, its definition), held until the transaction ends:
    such calls on one campaign take turns (PostgreSQL), each seeing what the one before did. The request batches
    need no turns: a batch is idempotent per client token on its own."""
    lock_for_transaction(ctx.db, f"campaign:{campaign_id}")
    return require_campaign(ctx, campaign_id, version)


def _shape(db: Connection, row: Row[Any]) -> dict[str, Any]:
    shape = {"id": row.id, "arn": row.arn, **row.definition, "lastModifiedTime": row.updated_at}
    with_tags(db, row.arn, shape, "tags")
    return shape


def check_domain_arn(ctx: CallContext, arn: str, member: str) -> None:
    """A Customer Profiles domain ARN must name a domain of the caller's account and region."""
    if not arn.startswith(f"arn:aws:profile:{ctx.region}:{ctx.account}:domains/"):
        raise validation(f"{member} {arn} is not a Customer Profiles domain of this account and region.")


def _check_source(ctx: CallContext, source: dict[str, Any] | None) -> None:
    domain_arn = ((source or {}).get("eventTrigger") or {}).get("customerProfilesDomainArn")
    if domain_arn:
        check_domain_arn(ctx, domain_arn, "customerProfilesDomainArn")


def insert_campaign(ctx: CallContext, params: dict[str, Any], version: str) -> dict[str, Any]:
    """A new campaign of either version (the quota counts both); CreateCampaign's answer."""
    lock_for_transaction(ctx.db, f"campaign-quota:{ctx.account}:{ctx.region}")  # creates at once count in turn
    count = ctx.db.execute(select(func.count()).select_from(campaigns).where(
        campaigns.c.account_id == ctx.account, campaigns.c.region == ctx.region)).scalar_one()
    if count >= MAX_CAMPAIGNS:
        raise AwsError("ServiceQuotaExceededException", f"At most {MAX_CAMPAIGNS} campaigns per region.", 402)
    campaign_id, now = ctx.app.ids.uuid(), ctx.now()
    arn = f"arn:aws:connect-campaigns:{ctx.region}:{ctx.account}:campaign/{campaign_id}"
    definition = {name: value for name, value in params.items() if name != "tags"}
    ctx.db.execute(insert(campaigns).values(id=campaign_id, account_id=ctx.account, region=ctx.region, arn=arn,
                                            name=params["name"], definition=definition, state="Initialized",
                                            api_version=version, created_at=now, updated_at=now))
    if params.get("tags"):
        set_tags(ctx.db, arn, params["tags"], validation)
    result: dict[str, Any] = {"id": campaign_id, "arn": arn}
    if params.get("tags"):
        result["tags"] = params["tags"]
    return result


@outbound.operation("CreateCampaign")
def create_campaign(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    _check_source(ctx, params.get("source"))
    return insert_campaign(ctx, params, "v2")


@outbound.operation("DescribeCampaign")
def describe_campaign(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"campaign": _shape(ctx.db, require_campaign(ctx, params["id"]))}


def listed_campaigns(ctx: CallContext, params: dict[str, Any], version: str) -> list[Row[Any]]:
    """The version's campaigns in the caller's region, oldest first, of the instance ``filters`` names."""
    query = select(campaigns).where(campaigns.c.account_id == ctx.account, campaigns.c.region == ctx.region,
                                    campaigns.c.api_version == version)
    instance = ((params.get("filters") or {}).get("instanceIdFilter") or {}).get("value")
    return [row for row in ctx.db.execute(query)
            if instance is None or row.definition.get("connectInstanceId") == instance]


def listed_place(row: Row[Any]) -> str:
    """A campaign's place in ListCampaigns: oldest first (the time written at a fixed width to compare as text)."""
    return f"{row.created_at:%Y-%m-%dT%H:%M:%S.%f} {row.id}"


@outbound.operation("ListCampaigns")
def list_campaigns(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    rows = listed_campaigns(ctx, params, "v2")

    def summary_of(row: Row[Any]) -> dict[str, Any]:
        definition = row.definition
        summary = {"id": row.id, "arn": row.arn, "name": row.name,
                   "connectInstanceId": definition["connectInstanceId"],
                   # the config's members (telephony, whatsApp) as the ChannelSubtype enum spells them
                   "channelSubtypes": sorted(name.upper() for name in definition.get("channelSubtypeConfig") or {}),
                   "lastModifiedTime": row.updated_at}
        for name in ("type", "schedule", "entryLimitsConfig", "connectCampaignFlowArn"):
            if name in definition:
                summary[name] = definition[name]
        return summary

    return paged(rows, params, "campaignSummaryList", summary_of, listed_place)


def paged(items: list[Any], params: dict[str, Any], key: str, shape: Callable[[Any], Any],
          place: Callable[[Any], str] | None = None) -> dict[str, Any]:
    """One page of ``items`` under ``key``, as the service pages (``nextToken``, ``maxResults``, 50 by default);
    by ``place`` when given (next_token.page)."""
    chunk, token = page(items, params, 50, validation, "maxResults", place, "nextToken")
    result: dict[str, Any] = {key: [shape(item) for item in chunk]}
    if token:
        result["nextToken"] = token
    return result


def delete_campaign_rows(ctx: CallContext, row: Row[Any]) -> None:
    """A campaign, its tags and what it received."""
    remove_tags(ctx.db, row.arn)
    ctx.db.execute(delete(campaign_outbound_requests).where(campaign_outbound_requests.c.campaign_id == row.id))
    ctx.db.execute(delete(campaigns).where(campaigns.c.id == row.id))


def _register_transition(handlers: ServiceHandlers, version: str, operation: str) -> None:
    allowed, target = TRANSITIONS[operation]
    verb = operation.removesuffix("Campaign").lower()

    @handlers.operation(operation)
    def transition(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        row = campaign_to_change(ctx, params["id"], version)
        if row.state not in allowed:
            raise invalid_state(row, verb)
        ctx.db.execute(update(campaigns).where(campaigns.c.id == row.id).values(state=target, updated_at=ctx.now()))
        return {}


# Update… operation → the campaign member it replaces; Delete… operation → the member it removes, or the part of
# it the request's channel names (channelSubtype / config, e.g. TELEPHONY → "telephony")
UPDATES = {
    "UpdateCampaignSchedule": "schedule", "UpdateCampaignSource": "source",
    "UpdateCampaignFlowAssociation": "connectCampaignFlowArn", "UpdateCampaignChannelSubtypeConfig":
    "channelSubtypeConfig", "UpdateCampaignCommunicationLimits": "communicationLimitsOverride",
    "UpdateCampaignCommunicationTime": "communicationTimeConfig", "UpdateCampaignEntryLimits": "entryLimitsConfig",
}
REMOVALS = {
    "DeleteCampaignChannelSubtypeConfig": ("channelSubtypeConfig", "channelSubtype"),
    "DeleteCampaignCommunicationLimits": ("communicationLimitsOverride", "config"),
    "DeleteCampaignCommunicationTime": ("communicationTimeConfig", "config"),
    "DeleteCampaignEntryLimits": ("entryLimitsConfig", None),
}
_PARTS = {"TELEPHONY": "telephony", "SMS": "sms", "EMAIL": "email", "WHATSAPP": "whatsApp",
          "ALL_CHANNEL_SUBTYPES": "allChannelSubtypes"}


def save_definition(ctx: CallContext, row: Row[Any], definition: dict[str, Any]) -> None:
    ctx.db.execute(update(campaigns).where(campaigns.c.id == row.id).values(
        definition=definition, name=definition["name"], updated_at=ctx.now()))


def register_update(handlers: ServiceHandlers, version: str, operation: str, member: str) -> None:
    @handlers.operation(operation)
    def update_member(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        row = campaign_to_change(ctx, params["id"], version)
        if member == "source":
            _check_source(ctx, params["source"])
        save_definition(ctx, row, {**row.definition, member: params[member]})
        return {}


def _register_removal(operation: str, member: str, part_param: str | None) -> None:
    @outbound.operation(operation)
    def remove_member(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        row = campaign_to_change(ctx, params["id"])
        definition = dict(row.definition)
        if part_param is None:
            definition.pop(member, None)
        else:
            remaining = {key: value for key, value in (definition.get(member) or {}).items()
                         if key != _PARTS[params[part_param]]}
            if remaining:
                definition[member] = remaining
            else:
                definition.pop(member, None)
        save_definition(ctx, row, definition)
        return {}


for _operation, _member in UPDATES.items():
    register_update(outbound, "v2", _operation, _member)
for _operation, (_member, _part) in REMOVALS.items():
    _register_removal(_operation, _member, _part)


def _accept(ctx: CallContext, row: Row[Any], request: dict[str, Any], now: datetime,
            target: dict[str, Any], conflict: str) -> dict[str, Any]:
    """One request: new, the same again (its id), or its token already used for another ``target`` (who to reach:
    a profile, or channel parameters): then failed with the ``conflict`` code."""
    token = request["clientToken"]
    existing = _FIND_REQUEST.first(ctx.db, {"b_campaign": row.id, "b_token": token})
    if existing is not None:
        if any(getattr(existing, column) != value for column, value in target.items()):
            return {"clientToken": token, "id": existing.id, "failureCode": conflict}
        return {"clientToken": token, "id": existing.id}
    expires = request.get("expirationTime")
    if expires is not None and expires <= now:
        return {"clientToken": token, "failureCode": "InvalidInput"}
    request_id = ctx.app.ids.uuid()
    _INSERT_REQUEST.run(ctx.db, {
        "id": request_id, "campaign_id": row.id, "client_token": token, "profile_id": None,
        "channel_parameters": None, **target, "expiration_time": expires,
        "event_trigger_context": request.get("eventTriggerContext"), "requested_by": ctx.principal.arn,
        "created_at": now})
    return {"clientToken": token, "id": request_id}


def take_requests(ctx: CallContext, campaign_id: str, requests: list[dict[str, Any]],
                  target_of: Callable[[dict[str, Any]], dict[str, Any]], version: str = "v2",
                  conflict: str = "Conflict") -> dict[str, Any]:
    """Idempotent per clientToken; each request succeeds or fails on its own; the campaign must be running."""
    row = require_campaign(ctx, campaign_id, version)
    if row.state != "Running":
        raise invalid_state(row, "accept outbound requests")
    now = ctx.now()
    outcomes = [_accept(ctx, row, request, now, target_of(request), conflict) for request in requests]
    return {"successfulRequests": [o for o in outcomes if "failureCode" not in o],
            "failedRequests": [o for o in outcomes if "failureCode" in o]}


@outbound.operation("PutProfileOutboundRequestBatch")
def put_profile_outbound_request_batch(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return take_requests(ctx, params["id"], params["profileOutboundRequests"],
                         lambda request: {"profile_id": request["profileId"]})


@outbound.operation("PutOutboundRequestBatch")
def put_outbound_request_batch(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return take_requests(ctx, params["id"], params["outboundRequests"],
                         lambda request: {"channel_parameters": request["channelSubtypeParameters"]},
                         conflict="InvalidInput")  # its FailureCode has no Conflict


def register_common(handlers: ServiceHandlers, version: str) -> None:
    """The operations both versions have alike: deletion, state changes and reads, the name, tags."""

    @handlers.operation("DeleteCampaign")
    def delete_campaign(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        delete_campaign_rows(ctx, campaign_to_change(ctx, params["id"], version))
        return {}

    for operation in TRANSITIONS:
        _register_transition(handlers, version, operation)
    register_update(handlers, version, "UpdateCampaignName", "name")

    @handlers.operation("GetCampaignState")
    def get_campaign_state(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"state": require_campaign(ctx, params["id"], version).state}

    @handlers.operation("GetCampaignStateBatch")
    def get_campaign_state_batch(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        rows = {row.id: row for row in ctx.db.execute(select(campaigns).where(
            campaigns.c.id.in_(params["campaignIds"]), campaigns.c.account_id == ctx.account,
            campaigns.c.region == ctx.region, campaigns.c.api_version == version))}
        return {"successfulRequests": [{"campaignId": cid, "state": rows[cid].state}
                                       for cid in params["campaignIds"] if cid in rows],
                "failedRequests": [{"campaignId": cid, "failureCode": "ResourceNotFound"}
                                   for cid in params["campaignIds"] if cid not in rows]}

    def require_tagged(ctx: CallContext, arn: str) -> str:
        found = ctx.db.execute(select(campaigns.c.id).where(campaigns.c.arn == arn,
                                                            campaigns.c.account_id == ctx.account,
                                                            campaigns.c.api_version == version)).first()
        if found is None:
            raise AwsError("ResourceNotFoundException", f"Resource {arn} does not exist.", 404)
        return arn

    @handlers.operation("TagResource")
    def tag_resource(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        set_tags(ctx.db, require_tagged(ctx, params["arn"]), params["tags"], validation)
        return {}

    @handlers.operation("UntagResource")
    def untag_resource(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        remove_tags(ctx.db, require_tagged(ctx, params["arn"]), params["tagKeys"])
        return {}

    @handlers.operation("ListTagsForResource")
    def list_tags_for_resource(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"tags": tags_of(ctx.db, require_tagged(ctx, params["arn"]))}


register_common(outbound, "v2")


def stored_campaign(db: Connection, campaign_id: str, account: str | None = None) -> Row[Any] | None:
    """A campaign by its id (of ``account`` when given), for the readers outside the API."""
    query = select(campaigns).where(campaigns.c.id == campaign_id)
    if account is not None:
        query = query.where(campaigns.c.account_id == account)
    return db.execute(query).first()


def outbound_requests(db: Connection, campaign_id: str) -> list[dict[str, Any]]:
    """What a campaign received (AWS has no read API for it; served under /_profilestack/ and by the CLI)."""
    rows = db.execute(select(campaign_outbound_requests).where(
        campaign_outbound_requests.c.campaign_id == campaign_id).order_by(campaign_outbound_requests.c.created_at))
    return [{"id": row.id, "clientToken": row.client_token, "profileId": row.profile_id,
             **_parameters(row.channel_parameters),
             "expirationTime": row.expiration_time.isoformat() if row.expiration_time else None,
             "eventTriggerContext": row.event_trigger_context, "requestedBy": row.requested_by,
             "createdAt": row.created_at.isoformat()} for row in rows]


def _parameters(stored: dict[str, Any] | None) -> dict[str, Any]:
    """What a request carried beside its profile: a v1 dial request's phoneNumber and attributes as they are, a v2
    request's channelSubtypeParameters (whose members are channels, never phoneNumber)."""
    if not stored:
        return {}
    return dict(stored) if "phoneNumber" in stored else {"channelSubtypeParameters": stored}
