"""TagResource, UntagResource, ListTagsForResource on Customer Profiles resources."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from profilestack.gateway.context import CallContext
from profilestack.services.profiles.errors import bad_request, not_found
from profilestack.services.profiles.service import profiles
from profilestack.services.profiles.tables import profile_domains
from profilestack.store.resource_tags import remove_tags, set_tags, tags_of


def _require_resource(ctx: CallContext, arn: str) -> str:
    found = ctx.db.execute(select(profile_domains.c.id).where(profile_domains.c.arn == arn,
                                                              profile_domains.c.account_id == ctx.account)).first()
    if found is None:
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
