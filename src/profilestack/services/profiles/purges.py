"""Removing what a domain held about something deleted — a profile object type, a segment subscription — in short
transactions rather than in the deleting call's.

Such data can run to millions of rows: one transaction over them would hold every other SQLite writer up for
minutes and outlast the client's read timeout. The deleting call removes up to ``CHUNK`` rows' worth itself, so that
a test's few rows are gone when it answers; an outbox task removes the rest, a chunk per run. Until it is done the
thing's name stays *purging* (``profile_purges``): making one of that name again first finishes the purge in its own
call, so that nothing new is ever taken for old data. Each kind registers how a chunk of its data goes (``kind``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, delete, insert, select

from profilestack.outbox.worker import RetryLater
from profilestack.services.profiles.service import profiles
from profilestack.services.profiles.tables import profile_purges
from profilestack.store.locks import domain_data_key, lock_for_transaction
from profilestack.store.prepared import Prepared

if TYPE_CHECKING:
    from profilestack.app import App
    from profilestack.gateway.context import CallContext

# (db, domain id, name, at most how many rows' worth) → True once nothing of it is left
Chunk = Callable[[Connection, int, str, int], bool]

CHUNK = 2_000  # rows' worth per transaction: a tenth to a fifth of a second
AGAIN_AFTER = 0.02  # seconds between chunks: soon, as some of the data shows until it is gone
PURGE_TASK = "profile.purge"

_CHUNKS: dict[str, Chunk] = {}
_PURGING = Prepared(select(profile_purges.c.name).where(
    profile_purges.c.domain_id == bindparam("b_domain"), profile_purges.c.kind == bindparam("b_kind"),
    profile_purges.c.name == bindparam("b_name")))


def kind(name: str, chunk: Chunk) -> str:
    """Register how a chunk of a kind's data goes; the kind's name, for ``start`` and ``finish``."""
    _CHUNKS[name] = chunk
    return name


def _purging(db: Connection, what: str, domain_id: int, name: str) -> bool:
    return _PURGING.first(db, {"b_domain": domain_id, "b_kind": what, "b_name": name}) is not None


def start(ctx: CallContext, what: str, domain_id: int, name: str) -> None:
    """The thing is being deleted: its data goes now if it is small, else from now on (the name purging meanwhile).
    Called before the deleting call touches any row, since it takes the domain's data lock: locks taken in another
    order than the writers of the domain's data take them deadlock on PostgreSQL."""
    lock_for_transaction(ctx.db, domain_data_key(domain_id))  # its data still coming in is written first
    if _CHUNKS[what](ctx.db, domain_id, name, CHUNK):
        return
    if not _purging(ctx.db, what, domain_id, name):
        ctx.db.execute(insert(profile_purges).values(domain_id=domain_id, kind=what, name=name,
                                                     requested_at=ctx.now()))
    ctx.enqueue(PURGE_TASK, {"kind": what, "domain_id": domain_id, "name": name})


def finish(db: Connection, what: str, domain_id: int, name: str) -> None:
    """Before a thing of this name is made again: what is left of an earlier one goes, in the caller's
    transaction."""
    if not _purging(db, what, domain_id, name):
        return
    lock_for_transaction(db, domain_data_key(domain_id))
    while not _CHUNKS[what](db, domain_id, name, CHUNK):
        pass
    _forget(db, what, domain_id, name)


def _forget(db: Connection, what: str, domain_id: int, name: str) -> None:
    db.execute(delete(profile_purges).where(profile_purges.c.domain_id == domain_id, profile_purges.c.kind == what,
                                            profile_purges.c.name == name))


@profiles.task(PURGE_TASK)
def purge(app: App, payload: dict[str, Any]) -> None:
    """A chunk per run, the task coming back for the next: other writers get in between. It stops once the name
    is no longer purging: purged, made again (which finished the purge), or its domain deleted."""
    what, domain_id, name = payload["kind"], payload["domain_id"], payload["name"]
    with app.database.transaction() as db:
        lock_for_transaction(db, domain_data_key(domain_id))
        if not _purging(db, what, domain_id, name):
            return
        if _CHUNKS[what](db, domain_id, name, CHUNK):
            _forget(db, what, domain_id, name)
            return
    raise RetryLater(AGAIN_AFTER, f"more of {what} {name} to purge")
