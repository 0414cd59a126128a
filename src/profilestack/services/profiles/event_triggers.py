"""Event triggers (which ingested objects fire) and integrations (where a firing trigger sends)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, select

from profilestack.gateway.context import CallContext
from profilestack.services.iam.pass_role import require_pass_role
from profilestack.services.next_token import rows_by_name
from profilestack.services.profiles import intent_model
from profilestack.services.profiles.definitions import HeldDefinitions
from profilestack.services.profiles.domains import require_domain
from profilestack.services.profiles.errors import bad_request
from profilestack.services.profiles.integration_sources import (
    EVENT_TYPES,
    Kind,
    appflow_refusal,
    kind_of,
    unknown_event_types,
)
from profilestack.services.profiles.object_types import referenced_type
from profilestack.services.profiles.segments import SEGMENTS
from profilestack.services.profiles.service import profiles
from profilestack.services.profiles.service_role import SERVICE_PRINCIPAL
from profilestack.services.profiles.tables import profile_domains, profile_event_triggers, profile_integrations
from profilestack.services.profiles.templates import template
from profilestack.store.locks import lock_for_transaction
from profilestack.store.prepared import Prepared
from profilestack.store.resource_tags import with_tags

MAX_TRIGGERS = 20
_TRIGGER_MEMBERS = ("ObjectTypeName", "Description", "EventTriggerConditions", "SegmentFilter", "EventTriggerLimits",
                    "IntentFilterDefinition")
_INTEGRATION_MEMBERS = ("ObjectTypeName", "ObjectTypeNames", "RoleArn", "EventTriggerNames", "Scope")
_FOR_TYPE = (profile_event_triggers.c.domain_id == bindparam("b_domain"),
             profile_event_triggers.c.object_type == bindparam("b_type"))
_TRIGGERS_FOR_TYPE = Prepared(select(profile_event_triggers).where(*_FOR_TYPE))
_ANY_TRIGGER_FOR_TYPE = Prepared(select(profile_event_triggers.c.name).where(*_FOR_TYPE).limit(1))


TRIGGERS = HeldDefinitions(profile_event_triggers, "name", "Event trigger", "event-triggers", "EventTriggerName")
INTEGRATIONS = HeldDefinitions(profile_integrations, "uri", "Integration", "integrations", "Uri")
_INTEGRATIONS = Prepared(select(profile_integrations).where(profile_integrations.c.domain_id == bindparam("b_domain"))
                         .order_by(profile_integrations.c.uri))


def integrations_of(db: Connection, domain_id: int) -> list[Row[Any]]:
    """A domain's integrations, by Uri (a prepared statement: the trigger runtime reads them on every firing)."""
    return _INTEGRATIONS.all(db, {"b_domain": domain_id})


def triggers_for(db: Connection, domain_id: int, object_type: str) -> list[Row[Any]]:
    return _TRIGGERS_FOR_TYPE.all(db, {"b_domain": domain_id, "b_type": object_type})


def has_triggers(db: Connection, domain_id: int, object_type: str) -> bool:
    """Whether objects of this type have triggers to evaluate (without reading their definitions)."""
    return _ANY_TRIGGER_FOR_TYPE.first(db, {"b_domain": domain_id, "b_type": object_type}) is not None


def _check_definition(ctx: CallContext, domain: Row[Any], definition: dict[str, Any]) -> None:
    object_type = definition["ObjectTypeName"]
    if object_type.startswith("_"):
        raise bad_request(f"Event triggers do not support standard object types such as {object_type}.")
    referenced_type(ctx.db, domain, object_type)
    if definition.get("SegmentFilter") and SEGMENTS.find(ctx.db, domain.id, definition["SegmentFilter"]) is None:
        raise bad_request(f"Segment definition {definition['SegmentFilter']} does not exist in domain {domain.name}.")
    if definition.get("IntentFilterDefinition") and (
            problem := intent_model.filter_problem(definition["IntentFilterDefinition"])):
        raise bad_request(problem)


@profiles.operation("CreateEventTrigger")
def create_event_trigger(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain(ctx, params["DomainName"])
    name = params["EventTriggerName"]
    TRIGGERS.require_new(ctx, domain, name)
    lock_for_transaction(ctx.db, f"event-trigger-quota:{domain.id}")  # creates of other names count in turn
    count = ctx.db.execute(select(func.count()).select_from(profile_event_triggers)
                           .where(profile_event_triggers.c.domain_id == domain.id)).scalar_one()
    if count >= MAX_TRIGGERS:
        raise bad_request(f"A domain can have at most {MAX_TRIGGERS} event triggers.")
    definition = {member: params[member] for member in _TRIGGER_MEMBERS if member in params}
    _check_definition(ctx, domain, definition)
    return TRIGGERS.shape(ctx, domain, TRIGGERS.put(ctx, domain, name, definition, params.get("Tags"),
                                                   object_type=definition["ObjectTypeName"]))


@profiles.operation("GetEventTrigger")
def get_event_trigger(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, row = TRIGGERS.named(ctx, params)
    return TRIGGERS.shape(ctx, domain, row)


@profiles.operation("UpdateEventTrigger")
def update_event_trigger(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, row = TRIGGERS.named(ctx, params)
    definition = {**row.definition, **{member: params[member] for member in _TRIGGER_MEMBERS if member in params}}
    _check_definition(ctx, domain, definition)
    TRIGGERS.save(ctx, domain, row.name, definition, object_type=definition["ObjectTypeName"])
    return TRIGGERS.shape(ctx, domain, TRIGGERS.require(ctx, domain, row.name))


@profiles.operation("DeleteEventTrigger")
def delete_event_trigger(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, row = TRIGGERS.named(ctx, params)
    users = [integration.uri for integration in integrations_of(ctx.db, domain.id)
             if row.name in (integration.definition.get("EventTriggerNames") or [])]
    if users:
        raise bad_request(f"Event trigger {row.name} is used by the integration {users[0]}; delete the integration "
                          "first.")
    TRIGGERS.delete(ctx, domain, row)
    return {"Message": f"Event trigger {row.name} was deleted."}


@profiles.operation("ListEventTriggers")
def list_event_triggers(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain(ctx, params["DomainName"])

    def items(chunk: list[Row[Any]]) -> list[dict[str, Any]]:
        listed = []
        for row in chunk:
            item = {"ObjectTypeName": row.object_type, "EventTriggerName": row.name, "CreatedAt": row.created_at,
                    "LastUpdatedAt": row.updated_at}
            if row.definition.get("Description"):
                item["Description"] = row.definition["Description"]
            with_tags(ctx.db, TRIGGERS.arn(domain, row.name), item)
            listed.append(item)
        return listed

    return TRIGGERS.paged(ctx, domain, params, items)


def _integration_shape(ctx: CallContext, domain: Row[Any], row: Row[Any]) -> dict[str, Any]:
    return INTEGRATIONS.shape(ctx, domain, row, DomainName=domain.name)


@profiles.operation("PutIntegration")
def put_integration(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """A campaign reached by exactly one event trigger, or a source (a Connect instance, an event integration) that
    brings in objects of the domain's types. The Uri names which (integration_sources.py)."""
    domain = require_domain(ctx, params["DomainName"])
    if params.get("FlowDefinition"):
        raise appflow_refusal()
    uri = params.get("Uri")  # optional in the model: AppFlow integrations are named by their flow
    if not uri:
        raise bad_request("PutIntegration needs a Uri: the ARN of a campaign, an Amazon Connect instance or an event "
                          "integration.")
    definition = {member: params[member] for member in _INTEGRATION_MEMBERS if member in params}
    kind = kind_of(uri, ctx.region, ctx.account)
    if kind is Kind.CAMPAIGN:
        names = params.get("EventTriggerNames") or []
        if len(names) != 1:
            raise bad_request("An integration with a campaign takes exactly one EventTriggerNames entry.")
        definition.setdefault("ObjectTypeName", TRIGGERS.require(ctx, domain, names[0]).object_type)
    else:
        _check_source(ctx, domain, uri, kind, params)
    if params.get("RoleArn"):
        require_pass_role(ctx, params["RoleArn"], SERVICE_PRINCIPAL, INTEGRATIONS.arn(domain, uri))
    definition.setdefault("Scope", "PROFILE")
    return _integration_shape(ctx, domain, INTEGRATIONS.put(ctx, domain, uri, definition, params.get("Tags")))


def _check_source(ctx: CallContext, domain: Row[Any], uri: str, kind: Kind, params: dict[str, Any]) -> None:
    """A source's objects go to the domain's types or to templates (an object type named as a template takes its
    mapping); event triggers send to campaigns only. A Connect instance needs no type named: its contact records
    are what it sends."""
    if params.get("EventTriggerNames"):
        raise bad_request(f"EventTriggerNames wire event triggers to a campaign; {uri} is {kind.value}.")
    mapped = params.get("ObjectTypeNames") or {}
    if kind is Kind.EVENT_INTEGRATION and (unknown := unknown_event_types(mapped)):
        raise bad_request(f"ObjectTypeNames has unknown event types {', '.join(unknown)}; the event types are "
                          f"{', '.join(EVENT_TYPES)}.")
    object_types = ([params["ObjectTypeName"]] if params.get("ObjectTypeName") else []) + list(mapped.values())
    if not object_types and kind is Kind.EVENT_INTEGRATION:
        raise bad_request(f"An integration with {kind.value} needs ObjectTypeNames: the object type each of its "
                          "event types is ingested as.")
    for name in object_types:
        if template(name) is None:
            referenced_type(ctx.db, domain, name)


@profiles.operation("GetIntegration")
def get_integration(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, row = INTEGRATIONS.named(ctx, params)
    return _integration_shape(ctx, domain, row)


@profiles.operation("ListIntegrations")
def list_integrations(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain(ctx, params["DomainName"])
    return INTEGRATIONS.paged(ctx, domain, params, lambda chunk: [_integration_shape(ctx, domain, row)
                                                                   for row in chunk])


@profiles.operation("ListAccountIntegrations")
def list_account_integrations(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """The integrations with ``Uri`` across the account's domains in the region, by domain name. profilestack has
    no hidden integrations (those other AWS services make), so ``IncludeHidden`` changes nothing."""
    uri = params["Uri"]
    domains = select(profile_domains).where(
        profile_domains.c.account_id == ctx.account, profile_domains.c.region == ctx.region,
        profile_domains.c.id.in_(select(profile_integrations.c.domain_id).where(profile_integrations.c.uri == uri)))
    return rows_by_name(ctx.db, domains, profile_domains.c.name, params, lambda chunk: [
        _integration_shape(ctx, domain, INTEGRATIONS.require(ctx, domain, uri)) for domain in chunk])


@profiles.operation("DeleteIntegration")
def delete_integration(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, row = INTEGRATIONS.named(ctx, params)
    INTEGRATIONS.delete(ctx, domain, row)
    return {"Message": f"Integration {row.uri} was deleted."}
