"""Locks held until the end of the current transaction, for checks that must not interleave (count, then
insert) across connections."""

from __future__ import annotations

from sqlalchemy import Connection, text

_ADVISORY = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")


def lock_for_transaction(db: Connection, key: str) -> None:
    """Until this transaction ends, another one asking for ``key`` waits. SQLite has one writer at a time
    (Database.transaction takes it up front): nothing to do there."""
    if db.dialect.name == "postgresql":
        db.execute(_ADVISORY, {"key": key})
