"""CloudWatch metric streams: PutMetricStream, GetMetricStream, ListMetricStreams, DeleteMetricStream,
StartMetricStreams, StopMetricStreams (tags: tagging.py).

A stream is kept as declared — its filters, Firehose destination, role, output format and extra statistics — and
can be started and stopped, so that the infrastructure that declares one can create it and read it back.
profilestack has no Kinesis Data Firehose: a running stream sends nothing anywhere (docs/decisions.md).
"""

from __future__ import annotations

import re
from operator import attrgetter
from typing import Any

from sqlalchemy import Row, delete, insert, select, update

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.services.cloudwatch.errors import combination, invalid, invalid_token
from profilestack.services.cloudwatch.handlers import cloudwatch
from profilestack.services.cloudwatch.statistics import PERCENTILE
from profilestack.services.cloudwatch.tables import cloudwatch_metric_streams
from profilestack.services.filters import in_callers_region, names_missing
from profilestack.services.iam.pass_role import require_pass_role
from profilestack.services.next_token import page_result
from profilestack.store.resource_tags import remove_tags, set_tags

SERVICE_PRINCIPAL = "streams.metrics.cloudwatch.amazonaws.com"
LIST_PAGE = 100
_NAME = re.compile(r"[A-Za-z0-9_-]+")
_FIREHOSE = re.compile(r"arn:aws[a-z-]*:firehose:([a-z0-9-]+):(\d{12}):deliverystream/[A-Za-z0-9_.-]{1,64}", re.ASCII)
_ROLE = re.compile(r"arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}", re.ASCII)
_STATISTICS = {  # what AdditionalStatistics may name, by output format
    "json": re.compile(rf"{PERCENTILE}|(?:tm|wm|tc|ts)(?:\d{{1,2}}(?:\.\d{{1,10}})?|100)|IQM"
                       r"|(?:TM|WM|TC|TS|PR)\((?:\d+(?:\.\d+)?%?)?:(?:\d+(?:\.\d+)?%?)?\)", re.ASCII),
    "opentelemetry0.7": re.compile(PERCENTILE, re.ASCII),
    "opentelemetry1.0": re.compile(PERCENTILE, re.ASCII),
}
_DECLARED = ("IncludeFilters", "ExcludeFilters", "FirehoseArn", "RoleArn", "OutputFormat",
             "StatisticsConfigurations", "IncludeLinkedAccountsMetrics")
_streams = cloudwatch_metric_streams.c


def metric_stream_arn(ctx: CallContext, name: str) -> str:
    return f"arn:aws:cloudwatch:{ctx.region}:{ctx.account}:metric-stream/{name}"


def find_metric_stream(ctx: CallContext, name: str) -> Row[Any] | None:
    return ctx.db.execute(select(cloudwatch_metric_streams).where(
        in_callers_region(cloudwatch_metric_streams, ctx), _streams.name == name)).first()


def _checked(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """The stream's definition as the request declares it, refused where AWS refuses it."""
    if not _NAME.fullmatch(params["Name"]):
        raise invalid(f"The value {params['Name']} for parameter Name is invalid: it may contain only A-Z, a-z, "
                      "0-9, - and _.")
    if params.get("IncludeFilters") and params.get("ExcludeFilters"):
        raise combination("IncludeFilters and ExcludeFilters cannot be used together in the same metric stream.")
    firehose = _FIREHOSE.fullmatch(params["FirehoseArn"])
    if firehose is None or firehose.groups() != (ctx.region, ctx.account):
        raise invalid(f"FirehoseArn {params['FirehoseArn']} is not the ARN of a Kinesis Data Firehose delivery "
                      "stream in this account and Region.")
    role = _ROLE.fullmatch(params["RoleArn"])
    if role is None or role.group(1) != ctx.account:
        raise invalid(f"RoleArn {params['RoleArn']} is not the ARN of an IAM role in this account.")
    allowed = _STATISTICS[params["OutputFormat"]]
    for configuration in params.get("StatisticsConfigurations") or []:
        for statistic in configuration["AdditionalStatistics"]:
            if not allowed.fullmatch(statistic):
                raise invalid(f"The statistic {statistic} cannot be streamed in the {params['OutputFormat']} "
                              "output format.")
    return {member: params[member] for member in _DECLARED if params.get(member) not in (None, [])}


@cloudwatch.operation("PutMetricStream")
def put_metric_stream(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Creates a running stream, or replaces an existing one's definition (keeping its state); tags are taken only
    when the stream is created, as on AWS (later: TagResource)."""
    name = params["Name"]
    definition, arn, now = _checked(ctx, params), metric_stream_arn(ctx, name), ctx.now()
    require_pass_role(ctx, params["RoleArn"], SERVICE_PRINCIPAL, arn)
    if find_metric_stream(ctx, name) is None:
        ctx.db.execute(insert(cloudwatch_metric_streams).values(
            account_id=ctx.account, region=ctx.region, name=name, definition=definition, state="running",
            created_at=now, updated_at=now))
        set_tags(ctx.db, arn, {tag["Key"]: tag["Value"] for tag in params.get("Tags") or []}, invalid)
    else:
        ctx.db.execute(update(cloudwatch_metric_streams).where(
            in_callers_region(cloudwatch_metric_streams, ctx), _streams.name == name)
            .values(definition=definition, updated_at=now))
    return {"Arn": arn}


def _entry(ctx: CallContext, row: Row[Any]) -> dict[str, Any]:
    return {"Arn": metric_stream_arn(ctx, row.name), "Name": row.name, "FirehoseArn": row.definition["FirehoseArn"],
            "State": row.state, "OutputFormat": row.definition["OutputFormat"], "CreationDate": row.created_at,
            "LastUpdateDate": row.updated_at}


@cloudwatch.operation("GetMetricStream")
def get_metric_stream(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = find_metric_stream(ctx, params["Name"])
    if row is None:
        raise AwsError("ResourceNotFoundException", f"Metric stream {params['Name']} does not exist.", 404)
    return {**row.definition, **_entry(ctx, row)}


@cloudwatch.operation("ListMetricStreams")
def list_metric_streams(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    rows = ctx.db.execute(select(cloudwatch_metric_streams).where(
        in_callers_region(cloudwatch_metric_streams, ctx))).all()
    return page_result(rows, params, lambda chunk: [_entry(ctx, row) for row in chunk], LIST_PAGE, "Entries",
                       invalid_token, place=attrgetter("name"))


@cloudwatch.operation("DeleteMetricStream")
def delete_metric_stream(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Deleting a stream that does not exist succeeds: the model gives DeleteMetricStream no not-found error."""
    ctx.db.execute(delete(cloudwatch_metric_streams).where(in_callers_region(cloudwatch_metric_streams, ctx),
                                                           _streams.name == params["Name"]))
    remove_tags(ctx.db, metric_stream_arn(ctx, params["Name"]))
    return {}


def _set_state(ctx: CallContext, names: list[str], state: str) -> dict[str, Any]:
    """All or nothing: one name that is no stream and none changes."""
    missing, named = names_missing(ctx.db, _streams.name, in_callers_region(cloudwatch_metric_streams, ctx), names)
    if missing:
        raise invalid(f"Metric stream {', '.join(missing)} does not exist.")
    ctx.db.execute(update(cloudwatch_metric_streams).where(named).values(state=state))  # not a configuration change
    return {}


@cloudwatch.operation("StartMetricStreams")
def start_metric_streams(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return _set_state(ctx, params["Names"], "running")


@cloudwatch.operation("StopMetricStreams")
def stop_metric_streams(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return _set_state(ctx, params["Names"], "stopped")
