"""CloudTrail LookupEvents over the audit trail."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, ColumnElement, Connection, Row, func, literal_column, select

from profilestack import jsontext
from profilestack.audit.resource_types import cloudtrail_type
from profilestack.audit.table import audit_events
from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.iam_policy.engine import account_of, owning_account
from profilestack.outbox.cleanup import prune_in_task
from profilestack.services.cloudtrail.errors import check_time_range
from profilestack.services.registry import ServiceHandlers

if TYPE_CHECKING:
    from profilestack.app import App

# An account's CloudTrail changes take turns (PostgreSQL): they read a trail or a store, then write it back whole
# (its status, its ingestion periods, its settings), and a trail is seen from every region. None is frequent.
cloudtrail = ServiceHandlers("cloudtrail", write_lock=lambda ctx: f"cloudtrail-writes:{ctx.account}")

RETENTION_TASK = "cloudtrail.retention"

# A call looks through at most _SCAN_LIMIT sequence numbers of the trail, _WINDOW per query: one whose filter
# matches little answers in bounded time (on SQLite the event loop waits for it) with a NextToken to go on, as
# CloudTrail's own lookups may answer fewer events than asked for.
_WINDOW = 2_000
_SCAN_LIMIT = 10_000
_CLOCK_MARGIN = timedelta(minutes=1)
# Where every call is a data event (on a resource, not of the account's configuration): LookupEvents leaves them out
DATA_EVENT_SOURCES = ("cloudtrail-data.amazonaws.com",)
_COLUMN_FILTERS = {
    "EventId": audit_events.c.event_id,
    "EventName": audit_events.c.event_name,
    "Username": audit_events.c.username,
    "EventSource": audit_events.c.event_source,
    "AccessKeyId": audit_events.c.access_key_id,
}


def _encode_token(seq: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"before": seq}).encode()).decode()


def _decode_token(token: str) -> int:
    try:
        return int(jsontext.loads_exact(base64.urlsafe_b64decode(token.encode()))["before"])
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise AwsError("InvalidNextTokenException", "Invalid NextToken.") from exc


@cloudtrail.operation("LookupEvents")
def lookup_events(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    ctx.app.audit.flush()
    attributes = params.get("LookupAttributes", [])
    if len(attributes) > 1:
        raise AwsError("InvalidLookupAttributesException", "You cannot specify more than one lookup attribute.")
    max_results = params.get("MaxResults", 50)
    if not 1 <= max_results <= 50:
        raise AwsError("InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
    check_time_range(params)
    start, end = params.get("StartTime"), params.get("EndTime")
    if params.get("EventCategory") == "insight":  # only Insights events, and there are none: nothing detects them
        return {"Events": []}
    kept_since = history_start(ctx.app)
    if kept_since is not None and (start is None or start < kept_since):
        start = kept_since  # events past the history's retention are gone, even before the clean-up runs

    # The account and time terms would lead SQLite's planner to their indexes, to read a whole range of the trail
    # and sort it: a window of sequence numbers (below) is far narrower.
    conditions = [_unindexed(ctx.db, audit_events.c.account_id) == ctx.account, audit_events.c.region == ctx.region,
                  audit_events.c.event_source.not_in(DATA_EVENT_SOURCES)]
    event_time = _unindexed(ctx.db, audit_events.c.event_time)
    if start:
        conditions.append(event_time >= start)
    if end:
        conditions.append(event_time <= end)
    resource_filter = None
    for attribute in attributes:
        key, value = attribute["AttributeKey"], attribute["AttributeValue"]
        if key in _COLUMN_FILTERS:
            conditions.append(_COLUMN_FILTERS[key] == value)
        elif key == "ReadOnly":
            conditions.append(audit_events.c.read_only == (value.lower() == "true"))
        else:
            resource_filter = ("ResourceName" if key == "ResourceName" else "ResourceType", value)

    seq = audit_events.c.seq
    floor, top = _sequence_range(ctx, start, end)
    upper = min(top, _decode_token(params["NextToken"])) if params.get("NextToken") else top
    limit = upper - _SCAN_LIMIT
    found: list[int] = []  # the matching events' sequence numbers, newest first
    while len(found) <= max_results and upper > floor and upper > limit:
        lower = max(floor, limit, upper - _WINDOW)
        window = [*conditions, seq < upper, seq >= lower]
        if resource_filter is None:  # every row the database returns matches: no more than still wanted
            found += ctx.db.execute(select(seq).where(*window).order_by(seq.desc())
                                    .limit(max_results + 1 - len(found))).scalars()
        else:  # resources are JSON: read them alone, and whole rows only for the events that match
            found += [row.seq for row in ctx.db.execute(select(seq, audit_events.c.resources).where(*window)
                                                        .order_by(seq.desc()))
                      if _names_resource(row, *resource_filter)]
        upper = lower
    shown = found[:max_results]
    rows = ctx.db.execute(select(audit_events).where(seq.in_(shown)).order_by(seq.desc())).all() if shown else []
    result: dict[str, Any] = {"Events": [_event(row) for row in rows]}
    if len(found) > max_results:
        result["NextToken"] = _encode_token(shown[-1])
    elif upper > floor:  # this call's share of the trail is looked through, not all of it: the next goes on
        result["NextToken"] = _encode_token(upper)
    return result


def _unindexed(db: Connection, column: Column[Any]) -> ColumnElement[Any]:
    """The column as a term SQLite's planner takes no index for (a unary plus)."""
    if db.dialect.name != "sqlite":
        return column
    return literal_column(f"+{column.table.name}.{column.name}", type_=column.type)


def _sequence_range(ctx: CallContext, start: datetime | None, end: datetime | None) -> tuple[int, int]:
    """The sequence numbers worth looking through for events between ``start`` and ``end``, found through the
    time index. An event is stamped when its call begins and stored when it ends, a batch at a time and from
    several processes, so sequence and time may disagree: the range runs from the last event a minute before
    ``start`` to the first a minute after ``end`` (the trail's ends without them), and the time terms decide."""
    seq, time = audit_events.c.seq, audit_events.c.event_time
    mine = select(seq).where(audit_events.c.account_id == ctx.account)
    before = after = None
    if start:
        before = ctx.db.execute(mine.where(time < start - _CLOCK_MARGIN).order_by(time.desc()).limit(1)).scalar()
    if end:
        after = ctx.db.execute(mine.where(time > end + _CLOCK_MARGIN).order_by(time).limit(1)).scalar()
    # the trail's ends where no event bounds the range; one aggregate per query, which SQLite reads from the key's
    # end (both in one SELECT, it scans the table)
    floor = before if before is not None else ctx.db.execute(select(func.min(seq))).scalar()
    if floor is None:  # an empty trail
        return 0, 0
    return floor, (after if after is not None else ctx.db.execute(select(func.max(seq))).scalar() + 1)


def history_start(app: App) -> datetime | None:
    """The oldest moment the event history keeps (90 days by default, as CloudTrail's); None: it keeps all."""
    days = app.settings.audit_retention_days
    return app.clock.now() - timedelta(days=days) if days > 0 else None


@cloudtrail.task(RETENTION_TASK, every=3600.0)
def drop_old_events(app: App, payload: dict[str, Any]) -> None:
    cutoff = history_start(app)
    if cutoff is not None:
        prune_in_task(app.database, audit_events, audit_events.c.event_time < cutoff)


def _event(row: Row[Any]) -> dict[str, Any]:
    return {
        "EventId": row.event_id,
        "EventName": row.event_name,
        "ReadOnly": "true" if row.read_only else "false",
        "AccessKeyId": row.access_key_id,
        "EventTime": row.event_time,
        "EventSource": row.event_source,
        "Username": row.username,
        "Resources": _resources(row),
        "CloudTrailEvent": json.dumps(cloudtrail_event(row), separators=(",", ":")),
    }


def _names_resource(row: Row[Any], key: str, value: str) -> bool:
    """Whether the call named a resource of that name, or of that type (CloudTrail's name of it, worked out only
    when asked for)."""
    if key == "ResourceName":
        return any(item["ResourceName"] == value for item in row.resources or [])
    return any(cloudtrail_type(item["ResourceType"], item["ResourceName"]) == value for item in row.resources or [])


def _resources(row: Row[Any]) -> list[dict[str, str]]:
    """The resources a call named, each with CloudTrail's name of its type."""
    return [{"ResourceType": cloudtrail_type(item["ResourceType"], item["ResourceName"]),
             "ResourceName": item["ResourceName"]} for item in row.resources or []]


def cloudtrail_event(row: Row[Any]) -> dict[str, Any]:
    """The CloudTrail record JSON, as ``CloudTrailEvent`` carries it."""
    identity: dict[str, Any] = {
        "type": row.principal_type,
        "principalId": row.principal_id,
        "arn": row.principal_arn,
        # the caller's account, which is not the recipient's in a copy of a call across accounts
        "accountId": account_of(row.principal_arn or "") if row.shared_event_id else row.account_id,
    }
    if row.access_key_id:
        identity["accessKeyId"] = row.access_key_id
    if row.principal_type in ("IAMUser", "WebIdentityUser", "SAMLUser"):
        identity["userName"] = row.username
    if row.principal_type == "WebIdentityUser":  # the provider, not an ARN of the caller's own
        identity["identityProvider"] = identity.pop("arn").split(":oidc-provider/", 1)[-1]
    elif row.principal_type == "SAMLUser":  # the name qualifier that begins its principal id
        identity.pop("arn")
        identity["identityProvider"] = (row.principal_id or "").split(":", 1)[0]
    if row.invoked_by:
        identity["invokedBy"] = row.invoked_by
    if row.session_context:
        identity["sessionContext"] = row.session_context
    record: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": identity,
        "eventTime": row.event_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": row.event_source,
        "eventName": row.event_name,
        "awsRegion": row.region,
        "sourceIPAddress": row.source_ip,
        "userAgent": row.user_agent,
        "requestParameters": row.request_parameters,
        "responseElements": row.response_elements,
        "requestID": row.request_id,
        "eventID": row.event_id,
        "readOnly": row.read_only,
        "resources": [{"accountId": owning_account(item["ResourceName"]) or row.account_id,  # AWS's: the recipient
                       "type": item["ResourceType"], "ARN": item["ResourceName"]} for item in _resources(row)],
        "eventType": "AwsApiCall",
        "managementEvent": row.event_source not in DATA_EVENT_SOURCES,
        "recipientAccountId": row.account_id,
    }
    record["eventCategory"] = "Management" if record["managementEvent"] else "Data"
    if row.shared_event_id:
        record["sharedEventID"] = row.shared_event_id
    if row.tls_details:
        record["tlsDetails"] = row.tls_details
    if row.error_code:
        record["errorCode"] = row.error_code
        record["errorMessage"] = row.error_message
    return record
