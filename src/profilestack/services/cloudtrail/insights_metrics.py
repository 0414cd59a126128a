"""ListInsightsMetricData: the API call and error rates CloudTrail Insights watches, counted from the audit trail;
ListInsightsData: the Insights events of a trail, which are none (nothing here detects unusual activity).

``ApiCallRateInsight`` counts an event's write calls, ``ApiErrorRateInsight`` its calls that failed with one error
code, per period of 60, 300 or 3600 seconds (periods aligned on the epoch), in the caller's account and region.
Management events are counted once a trail the region shows, or one of its event data stores, has Insights of that
type on them; a trail named by ``TrailName`` has data-event Insights, and the only data events recorded here are
the CloudTrail Data Service's (``PutAuditEvents``), which no trail's data-event selectors name: its series are empty.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, cast, func, select

from profilestack.audit.table import audit_events
from profilestack.gateway.context import CallContext
from profilestack.services.cloudtrail.errors import check_time_range, invalid_parameter
from profilestack.services.cloudtrail.event_data_stores import stores_with_insights
from profilestack.services.cloudtrail.handlers import DATA_EVENT_SOURCES, cloudtrail, history_start
from profilestack.services.cloudtrail.trails import require_trail, visible_trails
from profilestack.services.next_token import position_token, read_position, sequence_place

# Period → how far back its data points are kept, as documented
_AVAILABLE_FOR = {60: timedelta(days=15), 300: timedelta(days=63), 3600: timedelta(days=90)}
_DEFAULT_PERIOD = 3600
_MAX_RESULTS = 21_600


@cloudtrail.operation("ListInsightsMetricData")
def list_insights_metric_data(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    ctx.app.audit.flush()  # before the call's first read: the calls just made are in what the transaction sees
    insight_type, error_code = params["InsightType"], params.get("ErrorCode")
    if insight_type == "ApiErrorRateInsight" and not error_code:
        raise invalid_parameter("ErrorCode is required when InsightType is ApiErrorRateInsight.")
    if insight_type == "ApiCallRateInsight" and error_code:
        raise invalid_parameter("ErrorCode can only be given when InsightType is ApiErrorRateInsight.")
    period = params.get("Period", _DEFAULT_PERIOD)
    if period not in _AVAILABLE_FOR:
        raise invalid_parameter(f"Period {period} is not valid: use 60, 300 or 3600.")
    now = ctx.now()
    start = max(params.get("StartTime") or now - timedelta(days=90), now - _AVAILABLE_FOR[period])
    check_time_range(params, "InvalidParameterException")
    end = min(params.get("EndTime") or now, now)  # no data points lie ahead, not even zeros
    after, _ = read_position(params, invalid_parameter)
    shown_until = sequence_place(after, invalid_parameter)  # the last period a previous page answered
    if shown_until is not None:  # (a period past the end, or any later, leaves nothing to show)
        start = max(start, datetime.fromtimestamp(min(shown_until + period, int(end.timestamp())), UTC))
    first = _bucket_of(start, period)  # the period StartTime falls in, whole
    kept_since = history_start(ctx.app)
    counted_from = datetime.fromtimestamp(first, UTC)
    if kept_since is not None:
        counted_from = max(counted_from, kept_since)

    result: dict[str, Any] = {"EventSource": params["EventSource"], "EventName": params["EventName"],
                              "InsightType": insight_type}
    if error_code:
        result["ErrorCode"] = error_code
    if params.get("TrailName"):  # data-event Insights of one trail: no data events are recorded here
        result["TrailARN"] = require_trail(ctx, params["TrailName"]).arn
        counts: dict[int, int] = {}
    elif _insights_enabled(ctx, insight_type):
        counts = _counts(ctx, params, counted_from, end, period)
    else:
        counts = {}

    if params.get("DataType") == "FillWithZeros":
        points = [(moment, counts.get(moment, 0)) for moment in range(first, _last_bucket(end, period) + 1, period)]
    else:
        points = sorted((moment, count) for moment, count in counts.items() if moment >= first)
    limit = params.get("MaxResults", _MAX_RESULTS)
    shown = points[:limit]
    result["Timestamps"] = [datetime.fromtimestamp(moment, UTC) for moment, _ in shown]
    result["Values"] = [float(count) for _, count in shown]
    if len(points) > limit:
        result["NextToken"] = position_token([str(shown[-1][0])])
    return result


def _insights_enabled(ctx: CallContext, insight_type: str) -> bool:
    """Whether a trail the region shows, or an event data store of the region, has Insights of the type on
    management events."""
    selectors = [row.insight_selectors or [] for row in ctx.db.execute(visible_trails(ctx))]
    return any(selector.get("InsightType") == insight_type
               and "Management" in (selector.get("EventCategories") or ["Management"])
               for listed in selectors + stores_with_insights(ctx) for selector in listed)


def _counts(ctx: CallContext, params: dict[str, Any], start: datetime, end: datetime, period: int) -> dict[int, int]:
    """Calls per period (by the epoch second it starts at) in [start, end)."""
    events = audit_events.c
    bucket = _bucket_expression(ctx, period)
    query = (select(bucket, func.count()).where(
        events.account_id == ctx.account, events.event_name == params["EventName"],
        events.region == ctx.region, events.event_source == params["EventSource"],
        events.event_source.not_in(DATA_EVENT_SOURCES),  # management events only
        events.event_time >= start, events.event_time < end).group_by(bucket))
    if params["InsightType"] == "ApiCallRateInsight":
        query = query.where(events.read_only.is_(False))
    else:
        query = query.where(events.error_code == params["ErrorCode"])
    return {int(row[0]): int(row[1]) for row in ctx.db.execute(query)}


def _bucket_expression(ctx: CallContext, period: int) -> ColumnElement[Any]:
    """The epoch second an event's period starts at, worked out by the database."""
    if ctx.db.dialect.name == "sqlite":
        seconds: ColumnElement[Any] = cast(func.strftime("%s", audit_events.c.event_time), BigInteger)
    else:
        seconds = cast(func.floor(func.extract("epoch", audit_events.c.event_time)), BigInteger)
    return (seconds // period) * period


def _bucket_of(moment: datetime, period: int) -> int:
    seconds = int(moment.timestamp())
    return seconds - seconds % period


def _last_bucket(end: datetime, period: int) -> int:
    """The last period that starts before ``end`` (excluded)."""
    seconds = end.timestamp()
    last = _bucket_of(end, period)
    return last - period if last == seconds else last


@cloudtrail.operation("ListInsightsData")
def list_insights_data(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    source = params.get("InsightSource")
    if not source:
        raise invalid_parameter("InsightSource is required: the ARN of the trail whose Insights events to list.")
    require_trail(ctx, source)
    check_time_range(params, "InvalidParameterException")
    read_position(params, invalid_parameter)  # a token of another listing is refused: this one answers no page
    return {"Events": []}
