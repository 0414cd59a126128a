"""Tags of CloudWatch alarms, alarm mute rules, dashboards, metric streams, metric data query definitions and
Contributor Insights rules: TagResource, UntagResource, ListTagsForResource."""

from __future__ import annotations

from typing import Any

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.services.cloudwatch.alarm_mute_rules import find_mute_rule
from profilestack.services.cloudwatch.alarms import find_alarms
from profilestack.services.cloudwatch.contributor_insights import find_rule
from profilestack.services.cloudwatch.dashboards import find_dashboard
from profilestack.services.cloudwatch.handlers import cloudwatch
from profilestack.services.cloudwatch.metric_streams import find_metric_stream
from profilestack.services.cloudwatch.query_definitions import find_definition
from profilestack.store.resource_tags import remove_tags, set_tags, tags_of


def _tagged(ctx: CallContext, arn: str) -> str:
    """The ARN of one of the caller's alarms, alarm mute rules, metric streams, metric data query definitions or
    Contributor Insights rules (in the call's region) or dashboards."""
    alarms = f"arn:aws:cloudwatch:{ctx.region}:{ctx.account}:alarm:"
    mute_rules = f"arn:aws:cloudwatch:{ctx.region}:{ctx.account}:alarm-mute-rule:"
    queries = f"arn:aws:cloudwatch:{ctx.region}:{ctx.account}:metric-query-definition/"
    streams = f"arn:aws:cloudwatch:{ctx.region}:{ctx.account}:metric-stream/"
    dashboards = f"arn:aws:cloudwatch::{ctx.account}:dashboard/"
    rules = f"arn:aws:cloudwatch:{ctx.region}:{ctx.account}:insight-rule/"
    if arn.startswith(alarms) and find_alarms(ctx, [arn[len(alarms):]]):
        return arn
    if arn.startswith(mute_rules) and find_mute_rule(ctx, arn[len(mute_rules):]) is not None:
        return arn
    if arn.startswith(queries) and find_definition(ctx, arn[len(queries):]) is not None:
        return arn
    if arn.startswith(streams) and find_metric_stream(ctx, arn[len(streams):]) is not None:
        return arn
    if arn.startswith(dashboards) and find_dashboard(ctx, arn[len(dashboards):]) is not None:
        return arn
    if arn.startswith(rules) and find_rule(ctx, arn[len(rules):]) is not None:
        return arn
    raise AwsError("ResourceNotFoundException", f"{arn} does not exist.", 404)


def _invalid_tags(message: str) -> AwsError:
    return AwsError("InvalidParameterValue", message, 400)


@cloudwatch.operation("TagResource")
def tag_resource(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    set_tags(ctx.db, _tagged(ctx, params["ResourceARN"]),
             {tag["Key"]: tag["Value"] for tag in params["Tags"]}, _invalid_tags)
    return {}


@cloudwatch.operation("UntagResource")
def untag_resource(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    remove_tags(ctx.db, _tagged(ctx, params["ResourceARN"]), params["TagKeys"])
    return {}


@cloudwatch.operation("ListTagsForResource")
def list_tags_for_resource(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    tags = tags_of(ctx.db, _tagged(ctx, params["ResourceARN"]))
    return {"Tags": [{"Key": key, "Value": value} for key, value in sorted(tags.items())]}
