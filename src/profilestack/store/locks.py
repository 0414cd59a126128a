"""Locks held until the end of the current transaction, for checks that must not interleave (look, then
insert) across connections."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, text

# All of a call's keys in one statement, in one order, so that two transactions asking for overlapping sets
# cannot each hold a key the other waits for.
_ADVISORY = text("SELECT count(pg_advisory_xact_lock(hashtextextended(key, 0))) "
                 "FROM (SELECT DISTINCT unnest(CAST(:keys AS text[])) AS key ORDER BY 1) AS wanted"
                 ).bindparams(bindparam("keys"))


def lock_for_transaction(db: Connection, *keys: str) -> None:
    """Until this transaction ends, another one asking for any of ``keys`` waits. SQLite has one writer at a
    time (Database.transaction takes it up front): nothing to do there."""
    if keys and db.dialect.name == "postgresql":
        db.execute(_ADVISORY, {"keys": list(keys)})
