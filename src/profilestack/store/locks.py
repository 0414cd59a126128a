"""Locks held until the end of the current transaction, for checks that must not interleave (look, then
insert) across connections."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, func, select, text

from profilestack.store.prepared import Prepared

# All of a call's keys in one statement, in one order, so that two transactions asking for overlapping sets
# cannot each hold a key the other waits for. Shared keys are taken too: many transactions hold one at once, and
# one asking for it alone (unshared) waits for them all, and they for it.
_ADVISORY = text(
    "SELECT (SELECT count(pg_advisory_xact_lock_shared(hashtextextended(key, 0))) "
    "        FROM (SELECT DISTINCT unnest(CAST(:shared AS text[])) AS key ORDER BY 1) AS wanted)"
    "     + (SELECT count(pg_advisory_xact_lock(hashtextextended(key, 0))) "
    "        FROM (SELECT DISTINCT unnest(CAST(:keys AS text[])) AS key ORDER BY 1) AS wanted)"
).bindparams(bindparam("shared"), bindparam("keys"))


def takes_locks(db: Connection) -> bool:
    """Whether lock_for_transaction does anything here. SQLite has one writer at a time (Database.transaction
    takes it up front): there, nothing needs locking."""
    return db.dialect.name == "postgresql"


def lock_for_transaction(db: Connection, *keys: str, shared: tuple[str, ...] = ()) -> None:
    """Until this transaction ends, another one asking for any of ``keys`` waits, and so does one asking for a key
    of ``shared`` alone (but not one sharing it too)."""
    if (keys or shared) and takes_locks(db):
        db.execute(_ADVISORY, {"shared": list(shared), "keys": list(keys)})


_ONE_KEY = Prepared(select(func.pg_advisory_xact_lock(func.hashtextextended(bindparam("b_key"), 0)).label("held")))


def lock_one_for_transaction(db: Connection, key: str) -> None:
    """``lock_for_transaction`` of one key, as a prepared statement: a fraction of the request thread's time, and in
    a pipeline (store/pipeline.py) sent without waiting for its answer: the read after it waits for both."""
    if takes_locks(db):
        _ONE_KEY.run(db, {"b_key": key})


def domain_data_key(domain_id: int) -> str:
    """The lock of a domain's profiles and objects: writing them shares it, deleting them wholesale (a domain, an
    object type) takes it alone, so that such a delete and the writes it would meet row by row never deadlock."""
    return f"domain-data:{domain_id}"
