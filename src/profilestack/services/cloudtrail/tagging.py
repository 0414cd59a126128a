"""CloudTrail's tags (AddTags, RemoveTags, ListTags) on trails, event data stores, channels and dashboards."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.services.cloudtrail.errors import refused
from profilestack.services.cloudtrail.handlers import cloudtrail
from profilestack.services.cloudtrail.tables import (
    cloudtrail_channels,
    cloudtrail_dashboards,
    cloudtrail_event_data_stores,
    cloudtrail_trails,
)
from profilestack.store.resource_tags import remove_tags, set_tags, tags_of

_TABLES = {"trail": cloudtrail_trails, "eventdatastore": cloudtrail_event_data_stores, "channel": cloudtrail_channels,
           "dashboard": cloudtrail_dashboards}
_TAGGED = re.compile(r"^arn:aws:cloudtrail:[^:]+:[0-9]{12}:(trail|eventdatastore|channel|dashboard)/.+\Z")


def tags_given(items: list[dict[str, Any]]) -> dict[str, str]:
    return {item["Key"]: item.get("Value", "") for item in items}


def too_many_tags(message: str) -> AwsError:
    return refused("TagsLimitExceededException", message)


def _tagged(ctx: CallContext, resource_id: str) -> str:
    """The ARN of the trail, event data store or channel named, which must be the caller's."""
    found = _TAGGED.match(resource_id)
    if found is None:
        raise refused("CloudTrailARNInvalidException", f"{resource_id} is not the ARN of a trail, an event data "
                      "store, a channel or a dashboard: profilestack tags those.")
    table = _TABLES[found.group(1)]
    if ctx.db.execute(select(table.c.arn).where(table.c.arn == resource_id,
                                                table.c.account_id == ctx.account)).first() is None:
        raise refused("ResourceNotFoundException", f"Resource {resource_id} not found.")
    return resource_id


@cloudtrail.operation("AddTags")
def add_tags(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    set_tags(ctx.db, _tagged(ctx, params["ResourceId"]), tags_given(params["TagsList"]), too_many_tags)
    return {}


@cloudtrail.operation("RemoveTags")
def remove_resource_tags(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    remove_tags(ctx.db, _tagged(ctx, params["ResourceId"]), [item["Key"] for item in params["TagsList"]])
    return {}


@cloudtrail.operation("ListTags")
def list_tags(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    listed = []
    for resource_id in params["ResourceIdList"]:
        arn = _tagged(ctx, resource_id)
        tags = sorted(tags_of(ctx.db, arn).items())
        listed.append({"ResourceId": arn, "TagsList": [{"Key": key, "Value": value} for key, value in tags]})
    return {"ResourceTagList": listed}
