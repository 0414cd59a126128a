"""Clean-ups on each backend (here the audit trail's): old rows go, the oldest first, a bounded number at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from profilestack.audit.log import AuditLog
from profilestack.audit.record import AuditEvent
from profilestack.audit.table import audit_events
from profilestack.store.database import Database
from profilestack.store.pruning import delete_matching, delete_oldest, prune

START = datetime(2026, 1, 1, tzinfo=UTC)
CUTOFF = START + timedelta(days=10)


def _record(database: Database, *days: int) -> None:
    """One event per day offset, appended in the order given (e0, e1, …)."""
    audit = AuditLog(database)
    for index, day in enumerate(days):
        audit.record(AuditEvent(event_id=f"e{index}", event_time=START + timedelta(days=day),
                                account_id="111122223333", region="us-east-1", event_source="sts.amazonaws.com",
                                event_name="GetCallerIdentity", read_only=True, principal=None, source_ip=None,
                                user_agent=None, request_id=f"r{index}"))
    audit.flush()


def _drop(database: Database, limit: int) -> int:
    with database.transaction() as db:
        return delete_oldest(db, audit_events, audit_events.c.event_time < CUTOFF, limit)


def _left(database: Database) -> list[str]:
    with database.transaction(write=False) as db:
        return list(db.execute(select(audit_events.c.event_id).order_by(audit_events.c.seq)).scalars())


def test_old_events_go_a_bounded_number_at_a_time(database: Database) -> None:
    _record(database, 0, 1, 2, 50)
    assert _drop(database, limit=2) == 2
    assert _left(database) == ["e2", "e3"]
    assert _drop(database, limit=2) == 1
    assert _drop(database, limit=2) == 0
    assert _left(database) == ["e3"]


def test_an_old_event_behind_a_newer_one_waits(database: Database) -> None:
    """Rows are found from the oldest by sequence: one out of step with its neighbours (another process's clock)
    goes once the rows before it are gone, and a newer row in the way is never taken with it."""
    _record(database, 50, 0)
    assert _drop(database, limit=1) == 0
    assert _drop(database, limit=2) == 1
    assert _left(database) == ["e0"]


def test_prune_goes_on_until_nothing_is_left_to_drop(database: Database) -> None:
    _record(database, 0, 1, 2, 3, 4, 50)
    assert prune(database, audit_events, audit_events.c.event_time < CUTOFF, limit=2)
    assert _left(database) == ["e5"]


def test_prune_stops_when_its_time_is_up_and_says_so(database: Database) -> None:
    _record(database, 0, 1, 2, 3, 4, 50)
    old = audit_events.c.event_time < CUTOFF
    assert not prune(database, audit_events, old, limit=2, budget=0)  # one chunk, then out of time
    assert _left(database) == ["e2", "e3", "e4", "e5"]
    assert not prune(database, audit_events, old, limit=2, budget=0)
    assert not prune(database, audit_events, old, limit=2, budget=0)  # e4, the last old one
    assert _left(database) == ["e5"]
    assert prune(database, audit_events, old, limit=2, budget=0)  # finds nothing left: done


def test_rows_out_of_key_order_are_found_by_what_they_are(database: Database) -> None:
    """Tables whose rows are not appended as they age (CloudWatch's data points, stamped up to two weeks back) are
    pruned through the condition's own index: old rows behind newer ones go at once, still a chunk at a time."""
    _record(database, 50, 0, 60, 1, 2)
    old = audit_events.c.event_time < CUTOFF
    with database.transaction() as db:
        assert delete_matching(db, audit_events, old, limit=2) == 2
    assert len(_left(database)) == 3
    assert prune(database, audit_events, old, limit=2, in_key_order=False)
    assert _left(database) == ["e0", "e2"]
