"""CloudTrail trails: created, read, updated, started, stopped and deleted as CloudTrail keeps them, with their
event and Insights selectors and tags, so that infrastructure declaring a trail (Terraform, CDK, the CLI) works.

profilestack records every call in its own trail whatever the trails say (LookupEvents reads it); nothing is
delivered to S3, SNS or CloudWatch Logs, and a trail's status says so (docs/decisions.md).
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, insert, or_, select, update

from profilestack.gateway.context import CallContext
from profilestack.services import periods
from profilestack.services.cloudtrail.errors import check_time_range, in_no_organization, invalid_token, refused
from profilestack.services.cloudtrail.event_data_stores import put_store_insight_selectors, store_insight_selectors
from profilestack.services.cloudtrail.handlers import cloudtrail
from profilestack.services.cloudtrail.tables import cloudtrail_trails
from profilestack.services.cloudtrail.tagging import tags_given, too_many_tags
from profilestack.services.iam.pass_role import require_pass_role
from profilestack.services.next_token import page_result
from profilestack.store.resource_tags import remove_tags, set_tags

MAX_TRAILS_PER_REGION = 5
SERVICE_PRINCIPAL = "cloudtrail.amazonaws.com"
MAX_EVENT_SELECTORS = 5
_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|[._-](?=[A-Za-z0-9]))*\Z")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z")
_TRAIL_ARN = re.compile(r"^arn:aws:cloudtrail:[^:]+:[0-9]{12}:trail/.+\Z")
_DEFAULT_SELECTORS = [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [],
                       "ExcludeManagementEventSources": []}]
_NOT_DELIVERED = ("profilestack does not deliver log files: every call is kept in its own trail, read with "
                  "LookupEvents.")
_SETTINGS = ("S3BucketName", "S3KeyPrefix", "SnsTopicName", "IncludeGlobalServiceEvents", "IsMultiRegionTrail",
             "EnableLogFileValidation", "CloudWatchLogsLogGroupArn", "CloudWatchLogsRoleArn", "KmsKeyId",
             "IsOrganizationTrail", "RecursiveLogging")
_trails = cloudtrail_trails.c


def trail_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:cloudtrail:{region}:{account}:trail/{name}"


def _check_name(name: str) -> None:
    is_address = True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        is_address = False
    if not 3 <= len(name) <= 128 or not _NAME.match(name) or is_address:
        raise refused("InvalidTrailNameException",
                     f"Trail name {name} is not valid: 3 to 128 letters, digits, periods, underscores and dashes, "
                     "starting and ending with a letter or digit, without two of . _ - side by side, and not an IP "
                     "address.")


def _checked_settings(settings: dict[str, Any]) -> dict[str, Any]:
    bucket = settings.get("S3BucketName")
    if bucket is not None and not _BUCKET.match(bucket):
        raise refused("InvalidS3BucketNameException", f"Bucket name {bucket} is not valid.")
    if settings.get("IsMultiRegionTrail") and not settings.get("IncludeGlobalServiceEvents", True):
        raise refused("InvalidParameterCombinationException",
                     "Multi-Region trail must include global service events.")
    if bool(settings.get("CloudWatchLogsLogGroupArn")) != bool(settings.get("CloudWatchLogsRoleArn")):
        raise refused("InvalidCloudWatchLogsLogGroupArnException",
                     "CloudWatchLogsLogGroupArn and CloudWatchLogsRoleArn go together.")
    if settings.get("IsOrganizationTrail"):
        raise in_no_organization()
    return settings


def visible_trails(ctx: CallContext) -> Any:
    """The trails a region shows: its own, and every multi-Region trail of the account (their shadows)."""
    return select(cloudtrail_trails).where(_trails.account_id == ctx.account,
                                           or_(_trails.region == ctx.region, _trails.multi_region.is_(True)))


def require_trail(ctx: CallContext, name_or_arn: str, home: bool = False) -> Row[Any]:
    """The trail a name or an ARN names; with ``home``, it must have been created in this region."""
    name = name_or_arn
    if name_or_arn.startswith("arn:"):
        if not _TRAIL_ARN.match(name_or_arn):
            raise refused("CloudTrailARNInvalidException", f"{name_or_arn} is not a trail ARN.")
        name = name_or_arn.rsplit("trail/", 1)[1]
    row = ctx.db.execute(visible_trails(ctx).where(_trails.name == name)).first()
    if row is None:
        raise refused("TrailNotFoundException",
                     f"Unknown trail: {name_or_arn} for the user: {ctx.account}")
    if home and row.region != ctx.region:
        raise refused("InvalidHomeRegionException",
                     f"This operation must be called from the trail's home region, {row.region}.")
    return row


def _shape(row: Row[Any]) -> dict[str, Any]:
    settings = row.settings
    shape: dict[str, Any] = {
        "Name": row.name, "S3BucketName": settings["S3BucketName"], "S3KeyPrefix": settings.get("S3KeyPrefix"),
        "SnsTopicName": settings.get("SnsTopicName"),
        "IncludeGlobalServiceEvents": settings.get("IncludeGlobalServiceEvents", True),
        "IsMultiRegionTrail": row.multi_region, "HomeRegion": row.region, "TrailARN": row.arn,
        "LogFileValidationEnabled": settings.get("EnableLogFileValidation", False),
        "CloudWatchLogsLogGroupArn": settings.get("CloudWatchLogsLogGroupArn"),
        "CloudWatchLogsRoleArn": settings.get("CloudWatchLogsRoleArn"), "KmsKeyId": settings.get("KmsKeyId"),
        "HasCustomEventSelectors": row.event_selectors is not None or row.advanced_event_selectors is not None,
        "HasInsightSelectors": bool(row.insight_selectors), "IsOrganizationTrail": False,
        "RecursiveLogging": settings.get("RecursiveLogging", True),
    }
    if settings.get("SnsTopicName"):
        topic = settings["SnsTopicName"]
        shape["SnsTopicARN"] = topic if topic.startswith("arn:") else (
            f"arn:aws:sns:{row.region}:{row.account_id}:{topic}")
    return shape


def _created_shape(row: Row[Any]) -> dict[str, Any]:
    shape = _shape(row)
    return {key: shape.get(key) for key in ("Name", "S3BucketName", "S3KeyPrefix", "SnsTopicName", "SnsTopicARN",
                                            "IncludeGlobalServiceEvents", "IsMultiRegionTrail", "TrailARN",
                                            "LogFileValidationEnabled", "CloudWatchLogsLogGroupArn",
                                            "CloudWatchLogsRoleArn", "KmsKeyId", "IsOrganizationTrail",
                                            "RecursiveLogging")}


@cloudtrail.operation("CreateTrail")
def create_trail(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["Name"]
    _check_name(name)
    settings = _checked_settings({key: params[key] for key in _SETTINGS if key in params})
    existing = ctx.db.execute(select(_trails.name, _trails.region).where(_trails.account_id == ctx.account)).all()
    if any(row.name == name for row in existing):
        raise refused("TrailAlreadyExistsException", f"Trail {name} already exists for customer: {ctx.account}")
    if sum(row.region == ctx.region for row in existing) >= MAX_TRAILS_PER_REGION:
        raise refused("MaximumNumberOfTrailsExceededException",
                     f"User: {ctx.account} already has {MAX_TRAILS_PER_REGION} trails in {ctx.region}.")
    arn = trail_arn(ctx.region, ctx.account, name)
    _pass_logs_role(ctx, params, arn)
    ctx.db.execute(insert(cloudtrail_trails).values(
        account_id=ctx.account, region=ctx.region, name=name, arn=arn, settings=settings,
        multi_region=bool(settings.get("IsMultiRegionTrail")), logging=[], created_at=ctx.now()))
    if params.get("TagsList"):
        set_tags(ctx.db, arn, tags_given(params["TagsList"]), too_many_tags)
    return _created_shape(require_trail(ctx, name))


def _pass_logs_role(ctx: CallContext, params: dict[str, Any], arn: str) -> None:
    """A CloudWatch Logs role the request hands the trail must be the caller's to pass (iam:PassRole)."""
    if params.get("CloudWatchLogsRoleArn"):
        require_pass_role(ctx, params["CloudWatchLogsRoleArn"], SERVICE_PRINCIPAL, arn)


@cloudtrail.operation("UpdateTrail")
def update_trail(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = require_trail(ctx, params["Name"], home=True)
    settings = _checked_settings({**row.settings, **{key: params[key] for key in _SETTINGS if key in params}})
    _pass_logs_role(ctx, params, row.arn)
    ctx.db.execute(update(cloudtrail_trails).where(_trails.arn == row.arn).values(
        settings=settings, multi_region=bool(settings.get("IsMultiRegionTrail"))))
    return _created_shape(require_trail(ctx, row.name))


@cloudtrail.operation("GetTrail")
def get_trail(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"Trail": _shape(require_trail(ctx, params["Name"]))}


@cloudtrail.operation("DescribeTrails")
def describe_trails(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    wanted = params.get("trailNameList") or []
    shadows = params.get("includeShadowTrails", True)
    rows = [row for row in ctx.db.execute(visible_trails(ctx).order_by(_trails.name))
            if shadows or row.region == ctx.region]
    if wanted:
        rows = [row for row in rows if row.name in wanted or row.arn in wanted]
    return {"trailList": [_shape(row) for row in rows]}


@cloudtrail.operation("ListTrails")
def list_trails(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    rows = ctx.db.execute(visible_trails(ctx)).all()
    return page_result(rows, params, lambda chunk: [
        {"TrailARN": row.arn, "Name": row.name, "HomeRegion": row.region} for row in chunk], key="Trails",
        default_size=50, invalid=invalid_token, place=_listed_place)


def _listed_place(row: Row[Any]) -> str:
    """By name, then ARN: a region's own trail and another region's shadow may share a name."""
    return f"{row.name}\n{row.arn}"


@cloudtrail.operation("DeleteTrail")
def delete_trail(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = require_trail(ctx, params["Name"], home=True)
    ctx.db.execute(delete(cloudtrail_trails).where(_trails.arn == row.arn))
    remove_tags(ctx.db, row.arn)
    return {}


def _set_logging(ctx: CallContext, params: dict[str, Any], logging: bool) -> dict[str, Any]:
    row = require_trail(ctx, params["Name"], home=True)
    now = ctx.now()
    stamp = {"start_logging_at" if logging else "stop_logging_at": now}
    ctx.db.execute(update(cloudtrail_trails).where(_trails.arn == row.arn).values(
        logging=(periods.begun if logging else periods.ended)(row.logging, now), **stamp))
    return {}


@cloudtrail.operation("StartLogging")
def start_logging(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return _set_logging(ctx, params, True)


@cloudtrail.operation("StopLogging")
def stop_logging(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return _set_logging(ctx, params, False)


def _stamp(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@cloudtrail.operation("GetTrailStatus")
def get_trail_status(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = require_trail(ctx, params["Name"])
    logging = periods.on(row.logging)
    return {"IsLogging": logging, "StartLoggingTime": row.start_logging_at,
            "StopLoggingTime": row.stop_logging_at, "TimeLoggingStarted": _stamp(row.start_logging_at),
            "TimeLoggingStopped": _stamp(row.stop_logging_at),
            "LatestDeliveryError": _NOT_DELIVERED if logging else None}


@cloudtrail.operation("PutEventSelectors")
def put_event_selectors(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = require_trail(ctx, params["TrailName"], home=True)
    basic, advanced = params.get("EventSelectors"), params.get("AdvancedEventSelectors")
    if (basic is None) == (advanced is None):
        raise refused("InvalidParameterCombinationException",
                     "Specify either EventSelectors or AdvancedEventSelectors, but not both.")
    if basic is not None and len(basic) > MAX_EVENT_SELECTORS:
        raise refused("InvalidEventSelectorsException",
                     f"A trail has at most {MAX_EVENT_SELECTORS} event selectors.")
    if basic is not None:
        basic = [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [],
                  "ExcludeManagementEventSources": [], **selector} for selector in basic]
    ctx.db.execute(update(cloudtrail_trails).where(_trails.arn == row.arn).values(
        event_selectors=basic, advanced_event_selectors=advanced))
    result: dict[str, Any] = {"TrailARN": row.arn}
    result["EventSelectors" if basic is not None else "AdvancedEventSelectors"] = basic or advanced
    return result


@cloudtrail.operation("GetEventSelectors")
def get_event_selectors(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = require_trail(ctx, params["TrailName"])
    if row.advanced_event_selectors is not None:
        return {"TrailARN": row.arn, "AdvancedEventSelectors": row.advanced_event_selectors}
    return {"TrailARN": row.arn, "EventSelectors": row.event_selectors or _DEFAULT_SELECTORS}


def _trail_not_store(params: dict[str, Any]) -> None:
    """Insights selectors of a trail (TrailName) or of an event data store: one of them, not both."""
    if params.get("TrailName") and params.get("EventDataStore"):
        raise refused("InvalidParameterCombinationException", "TrailName and EventDataStore cannot both be given.")


@cloudtrail.operation("PutInsightSelectors")
def put_insight_selectors(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    _trail_not_store(params)
    if params.get("EventDataStore"):
        return put_store_insight_selectors(ctx, params["EventDataStore"], params.get("InsightsDestination"),
                                           params["InsightSelectors"])
    if not params.get("TrailName"):
        raise refused("InvalidParameterCombinationException",
                      "Name the trail (TrailName) or the event data store (EventDataStore) to put Insights on.")
    row = require_trail(ctx, params["TrailName"], home=True)
    selectors = params["InsightSelectors"]
    ctx.db.execute(update(cloudtrail_trails).where(_trails.arn == row.arn).values(insight_selectors=selectors or None))
    return {"TrailARN": row.arn, "InsightSelectors": selectors}


@cloudtrail.operation("GetInsightSelectors")
def get_insight_selectors(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    _trail_not_store(params)
    if params.get("EventDataStore"):
        return store_insight_selectors(ctx, params["EventDataStore"])
    if not params.get("TrailName"):
        raise refused("InvalidParameterCombinationException",
                      "Name the trail (TrailName) or the event data store (EventDataStore) to read Insights of.")
    row = require_trail(ctx, params["TrailName"])
    if not row.insight_selectors:
        raise refused("InsightNotEnabledException", f"Trail {row.name} does not have Insights enabled.")
    return {"TrailARN": row.arn, "InsightSelectors": row.insight_selectors}


@cloudtrail.operation("ListPublicKeys")
def list_public_keys(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """The keys that signed digest files in the time range: none, as trails deliver no log or digest files here
    (there is no S3)."""
    check_time_range(params)
    if params.get("NextToken"):  # no page was answered with one
        raise refused("InvalidTokenException", "The NextToken is not valid.")
    return {"PublicKeyList": []}
