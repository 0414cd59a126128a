"""TagResource, UntagResource, ListTagsForResource on Customer Profiles resources: domains and what they hold
(object types, event triggers, integrations, calculated attributes, segment definitions, layouts, domain object
types, event streams, recommenders, recommender schemas and filters, intent definitions), each by its ARN."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, select

from profilestack.gateway.context import CallContext
from profilestack.services.profiles.calculated_attributes import CALCULATED_ATTRIBUTES
from profilestack.services.profiles.domain_object_types import DOMAIN_OBJECT_TYPES
from profilestack.services.profiles.errors import bad_request, not_found
from profilestack.services.profiles.event_streams import EVENT_STREAMS
from profilestack.services.profiles.event_triggers import INTEGRATIONS, TRIGGERS
from profilestack.services.profiles.intents import INTENT_DEFINITIONS
from profilestack.services.profiles.layouts import LAYOUTS
from profilestack.services.profiles.object_types import find_type
from profilestack.services.profiles.recommender_schemas import FILTERS, SCHEMAS
from profilestack.services.profiles.recommenders import RECOMMENDERS
from profilestack.services.profiles.segments import SEGMENTS
from profilestack.services.profiles.service import profiles
from profilestack.services.profiles.tables import profile_domains
from profilestack.store.resource_tags import remove_tags, set_tags, tags_of

# ``<domain ARN>/<kind>/<name>`` → how to find the named resource in its domain
_HELD: dict[str, Callable[[Connection, int, str], Any]] = {
    "object-types": find_type,
    **{held.segment: held.find for held in (TRIGGERS, INTEGRATIONS, CALCULATED_ATTRIBUTES, SEGMENTS, LAYOUTS,
                                             DOMAIN_OBJECT_TYPES, EVENT_STREAMS, RECOMMENDERS, SCHEMAS, FILTERS,
                                             INTENT_DEFINITIONS)},
}


def _require_resource(ctx: CallContext, arn: str) -> str:
    head, found_domains, rest = arn.partition(":domains/")
    domain_name, _, held = rest.partition("/")
    domain = ctx.db.execute(select(profile_domains.c.id).where(
        profile_domains.c.arn == f"{head}{found_domains}{domain_name}",
        profile_domains.c.account_id == ctx.account)).first() if found_domains else None
    kind, _, name = held.partition("/")
    if domain is None or (held and (kind not in _HELD or not name or _HELD[kind](ctx.db, domain.id, name) is None)):
        raise not_found(f"Resource {arn} does not exist.")
    return arn


@profiles.operation("TagResource")
def tag_resource(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    set_tags(ctx.db, _require_resource(ctx, params["resourceArn"]), params["tags"], bad_request)
    return {}


@profiles.operation("UntagResource")
def untag_resource(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    remove_tags(ctx.db, _require_resource(ctx, params["resourceArn"]), params["tagKeys"])
    return {}


@profiles.operation("ListTagsForResource")
def list_tags_for_resource(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"tags": tags_of(ctx.db, _require_resource(ctx, params["resourceArn"]))}
