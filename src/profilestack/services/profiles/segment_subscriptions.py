"""Segment subscriptions: membership events — a profile JOINED or LEFT a segment — for the segments a domain
subscribes to (PutSegmentSubscription, GetSegmentSubscription, DeleteSegmentSubscription,
ListSegmentSubscriptionEvents).

Who a subscribed segment holds is kept. A snapshot goes through every profile of the domain, a thousand per
transaction: the first one (``STARTING``) only records the members; scheduled ones, every ``Interval`` hours
(24 by default), record an event of type SCHEDULE for each profile whose membership changed. Between snapshots,
LIVE events come from the profiles' history: every few seconds the profiles changed since the last look are
looked at again. The work is done as the domain's service-linked role, as segment estimates are.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.outbox.worker import enqueue
from profilestack.services.next_token import rows_newest_first
from profilestack.services.profiles import profile_store as store
from profilestack.services.profiles import purges, service_role
from profilestack.services.profiles.errors import not_found
from profilestack.services.profiles.segments import (
    SEGMENT_SUBSCRIPTION,
    SEGMENTS,
    SegmentMembers,
    forget_subscription,
)
from profilestack.services.profiles.service import profiles
from profilestack.services.profiles.service_role import Gone
from profilestack.services.profiles.tables import (
    profile_history_records,
    profile_segment_events,
    profile_segment_members,
    profile_segment_subscriptions,
    profiles_table,
)

if TYPE_CHECKING:
    from profilestack.app import App

SNAPSHOT_TASK = "profile.segment_snapshot"
WATCH_TASK = "profile.segment_subscriptions"
DEFAULT_HOURS = 24
EVENTS_KEPT = timedelta(days=30)
_PROFILES_PER_TRANSACTION = 1000
_OPERATION = "PutSegmentSubscription"  # what the work done as the domain's role is recorded as
_CHANGES_PER_LOOK = 5000
# History records younger than this may still have older ones committing around them (PostgreSQL numbers rows
# before it commits them): they are looked at again next time, which changes nothing for profiles already seen.
_SETTLING = timedelta(seconds=10)
_subscriptions = profile_segment_subscriptions.c
_members = profile_segment_members.c
_events = profile_segment_events.c


def _one(table: Any, domain_id: int, segment: str) -> list[Any]:
    return [table.c.domain_id == domain_id, table.c.segment_name == segment]


def _set(db: Connection, domain_id: int, segment: str, **values: Any) -> None:
    db.execute(update(profile_segment_subscriptions).where(*_one(profile_segment_subscriptions, domain_id, segment))
               .values(**values))


def _interval(schedule: dict[str, Any] | None) -> timedelta:
    return timedelta(hours=(schedule or {}).get("Interval", DEFAULT_HOURS))


def _require_subscription(ctx: CallContext, params: dict[str, Any]) -> tuple[Row[Any], Row[Any]]:
    domain, segment = SEGMENTS.named(ctx, params)
    subscription = ctx.db.execute(select(profile_segment_subscriptions).where(
        *_one(profile_segment_subscriptions, domain.id, segment.name))).first()
    if subscription is None:
        raise not_found(f"Segment definition {segment.name} has no subscription in domain {domain.name}.")
    return domain, subscription


@profiles.operation("PutSegmentSubscription")
def put_segment_subscription(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """A new subscription starts with a snapshot; an existing one takes the schedule given (the default when none
    is), counted from its last snapshot."""
    domain, segment = SEGMENTS.named(ctx, params)
    given = params.get("ScheduleConfiguration")
    schedule = {"Interval": given["Interval"], "Unit": given.get("Unit", "HOURLY")} if given else None
    now = ctx.now()
    existing = ctx.db.execute(select(profile_segment_subscriptions).where(
        *_one(profile_segment_subscriptions, domain.id, segment.name))).first()
    if existing is None:
        purges.finish(ctx.db, SEGMENT_SUBSCRIPTION, domain.id, segment.name)  # an earlier one's members go first
        cursor = ctx.db.execute(select(func.max(profile_history_records.c.seq))).scalar() or 0
        ctx.db.execute(insert(profile_segment_subscriptions).values(
            domain_id=domain.id, segment_name=segment.name, schedule=schedule, status="STARTING", started_at=now,
            updated_at=now, live_cursor=cursor))
        ctx.enqueue(SNAPSHOT_TASK, {"domain_id": domain.id, "segment": segment.name})
        status, started = "STARTING", now
    else:
        changes: dict[str, Any] = {"schedule": schedule, "updated_at": now}
        if existing.next_executed_at is not None and existing.last_executed_at is not None:
            changes["next_executed_at"] = existing.last_executed_at + _interval(schedule)
        _set(ctx.db, domain.id, segment.name, **changes)
        status, started = existing.status, existing.started_at
    result: dict[str, Any] = {"Status": status, "StartedAt": started}
    if schedule:
        result["ScheduleConfiguration"] = schedule
    return result


@profiles.operation("GetSegmentSubscription")
def get_segment_subscription(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    _, subscription = _require_subscription(ctx, params)
    executions = {name: value for name, value in (("NextExecutedAt", subscription.next_executed_at),
                                                  ("LastExecutedAt", subscription.last_executed_at)) if value}
    result: dict[str, Any] = {"Status": subscription.status, "StartedAt": subscription.started_at,
                              "LastUpdatedAt": subscription.updated_at, "ScheduledExecutions": executions}
    if subscription.schedule:
        result["ScheduleConfiguration"] = subscription.schedule
    if subscription.message:
        result["Message"] = subscription.message
    return result


@profiles.operation("DeleteSegmentSubscription")
def delete_segment_subscription(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, subscription = _require_subscription(ctx, params)
    forget_subscription(ctx, domain.id, subscription.segment_name)
    return {"Message": f"The subscription of segment definition {subscription.segment_name} was deleted."}


@profiles.operation("ListSegmentSubscriptionEvents")
def list_segment_subscription_events(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Newest first, for thirty days; a page read from where the last one ended (its token names the last event's
    sequence number), so events arriving between pages do not push later pages back onto ones already read."""
    domain, subscription = _require_subscription(ctx, params)

    events = select(profile_segment_events).where(*_one(profile_segment_events, domain.id, subscription.segment_name))
    return rows_newest_first(ctx.db, events, _events.seq, params, lambda rows: [
        {"ProfileId": row.profile_id, "UpdatedAt": row.updated_at, "EventType": row.event_type, "Event": row.event}
        for row in rows], result_key="Events")


def _current(db: Connection, domain_id: int, segment: str) -> tuple[Row[Any], dict[str, Any]]:
    subscription = db.execute(select(profile_segment_subscriptions).where(
        *_one(profile_segment_subscriptions, domain_id, segment))).first()
    definition = SEGMENTS.find(db, domain_id, segment)
    if subscription is None or definition is None:
        raise Gone
    return subscription, definition.definition


def _apply(db: Connection, subscription: Row[Any], profile_ids: Iterable[str], members_now: set[str],
           members_before: set[str], event_type: str | None, now: datetime) -> None:
    """Membership brought up to date for these profiles; an event for each change (none with no event type)."""
    joined = [profile_id for profile_id in dict.fromkeys(profile_ids)
              if profile_id in members_now and profile_id not in members_before]
    left = [profile_id for profile_id in dict.fromkeys(profile_ids)
            if profile_id in members_before and profile_id not in members_now]
    where = _one(profile_segment_members, subscription.domain_id, subscription.segment_name)
    if joined:
        db.execute(insert(profile_segment_members), [
            {"domain_id": subscription.domain_id, "segment_name": subscription.segment_name, "profile_id": profile_id}
            for profile_id in joined])
    if left:
        db.execute(delete(profile_segment_members).where(*where, _members.profile_id.in_(left)))
    if event_type is not None and (joined or left):
        db.execute(insert(profile_segment_events), [
            {"domain_id": subscription.domain_id, "segment_name": subscription.segment_name, "profile_id": profile_id,
             "event": event, "event_type": event_type, "updated_at": now}
            for event, changed in (("JOINED", joined), ("LEFT", left)) for profile_id in changed])


@profiles.task(SNAPSHOT_TASK)
def take_snapshot(app: App, payload: dict[str, Any]) -> None:
    after: str | None = ""
    try:
        while after is not None:
            after = app.database.again_if_lost_race(lambda after=after: _snapshot_chunk(app, payload, after))
    except Gone:
        return
    except AwsError as error:  # no role to act through (deleted by hand)
        _fail(app, payload["domain_id"], payload["segment"], error.message)


@profiles.gives_up(SNAPSHOT_TASK)
def snapshot_failed(app: App, payload: dict[str, Any]) -> None:
    """The snapshot failed for good: the subscription says so, rather than wait for it (or its next one) forever."""
    _fail(app, payload["domain_id"], payload["segment"], "A snapshot of the segment failed: an internal error "
          "occurred. Delete the subscription and put it again to start over.")


def _snapshot_chunk(app: App, payload: dict[str, Any], after: str) -> str | None:
    """The profiles after ``after`` (in id order), a thousand at most, and the members stored among them; where
    the next chunk starts, None after the last."""
    domain, work = service_role.acting_for_domain(app, payload["domain_id"], _OPERATION)
    with work as ctx:
        subscription, definition = _current(ctx.db, domain.id, payload["segment"])
        rows = ctx.db.execute(select(profiles_table).where(profiles_table.c.domain_id == domain.id,
                                                           profiles_table.c.id > after)
                              .order_by(profiles_table.c.id).limit(_PROFILES_PER_TRANSACTION)).all()
        last = rows[-1].id if len(rows) == _PROFILES_PER_TRANSACTION else None
        held = SegmentMembers(ctx, domain, rows)
        members_now = {row.id for row in rows if held.holds(definition, row)}
        stored = select(_members.profile_id).where(
            *_one(profile_segment_members, domain.id, subscription.segment_name), _members.profile_id > after)
        if last is not None:
            stored = stored.where(_members.profile_id <= last)
        members_before = set(ctx.db.execute(stored).scalars())
        now = ctx.now()
        first = subscription.status == "STARTING"  # records who is in, tells of no change
        _apply(ctx.db, subscription, [row.id for row in rows] + sorted(members_before), members_now, members_before,
               None if first else "SCHEDULE", now)
        if last is None:
            _set(ctx.db, domain.id, subscription.segment_name, status="RUNNING", message=None, last_executed_at=now,
                 next_executed_at=now + _interval(subscription.schedule))
    return last


@profiles.task(WATCH_TASK, every=2.0)
def watch_subscriptions(app: App, payload: dict[str, Any]) -> None:
    """Snapshots that are due (one at a time per subscription: the next is scheduled when one ends), LIVE events
    for the profiles changed since the last look, events past thirty days dropped."""
    now = app.clock.now()
    with app.database.transaction() as db:
        running = db.execute(select(profile_segment_subscriptions)
                             .where(_subscriptions.status == "RUNNING")).all()
        for subscription in running:
            if subscription.next_executed_at is not None and subscription.next_executed_at <= now:
                _set(db, subscription.domain_id, subscription.segment_name, next_executed_at=None)
                enqueue(db, app.clock, SNAPSHOT_TASK, {"domain_id": subscription.domain_id,
                                                       "segment": subscription.segment_name})
        if running:
            db.execute(delete(profile_segment_events).where(_events.updated_at < now - EVENTS_KEPT))
    for subscription in running:
        try:
            app.database.again_if_lost_race(lambda subscription=subscription: _look_at_changes(app, subscription))
        except Gone:
            continue
        except AwsError as error:
            _fail(app, subscription.domain_id, subscription.segment_name, error.message)


def _look_at_changes(app: App, subscription: Row[Any]) -> None:
    history = profile_history_records.c
    domain, work = service_role.acting_for_domain(app, subscription.domain_id, _OPERATION)
    with work as ctx:
        subscription, definition = _current(ctx.db, domain.id, subscription.segment_name)
        if subscription.status != "RUNNING":
            return
        changes = ctx.db.execute(select(history.seq, history.profile_id, history.created_at).where(
            history.domain_id == subscription.domain_id, history.seq > subscription.live_cursor)
            .order_by(history.seq).limit(_CHANGES_PER_LOOK)).all()
        if not changes:
            return
        now = ctx.now()
        settled = [change.seq for change in changes if change.created_at <= now - _SETTLING]
        if len(changes) == _CHANGES_PER_LOOK and not settled:
            settled = [changes[-1].seq]  # a burst of changes: go on rather than read the same ones again
        changed = list(dict.fromkeys(change.profile_id for change in changes))
        rows = list(store.load_profiles(ctx.db, domain.id, changed).values())
        held = SegmentMembers(ctx, domain, rows)
        members_now = {row.id for row in rows if held.holds(definition, row)}
        members_before = set(ctx.db.execute(select(_members.profile_id).where(
            *_one(profile_segment_members, domain.id, subscription.segment_name),
            _members.profile_id.in_(changed))).scalars())
        _apply(ctx.db, subscription, changed, members_now, members_before, "LIVE", now)
        if settled:
            _set(ctx.db, domain.id, subscription.segment_name, live_cursor=max(settled))


def _fail(app: App, domain_id: int, segment: str, message: str) -> None:
    with app.database.transaction() as db:
        _set(db, domain_id, segment, status="FAILED", message=message[:1000])
