"""GetDomain's counters (profiles, objects, total size), exact, without a hot row.

A transaction that changes them records the change as a row of its own (in the same transaction, so the
counters stay exact); GetDomain adds the changes not yet folded to the domain's stored counts, and a
periodic task folds them into the domain's row. Updating that row directly made every ingestion on
PostgreSQL wait for its lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, bindparam, delete, func, select, update

from profilestack.services.profiles.service import profiles
from profilestack.services.profiles.tables import profile_domain_stat_changes as changes
from profilestack.services.profiles.tables import profile_domains
from profilestack.store.prepared import Prepared

if TYPE_CHECKING:
    from profilestack.app import App

FOLD_TASK = "profile.fold_domain_stats"

_RECORD = Prepared(changes.insert())
_PENDING = Prepared(select(*(func.coalesce(func.sum(column), 0).label(column.key)
                             for column in (changes.c.profiles, changes.c.objects, changes.c.size)))
                    .where(changes.c.domain_id == bindparam("b_id")))
_ADD = Prepared(update(profile_domains).where(profile_domains.c.id == bindparam("b_domain")).values(
    profile_count=profile_domains.c.profile_count + bindparam("b_profiles"),
    object_count=profile_domains.c.object_count + bindparam("b_objects"),
    total_size=profile_domains.c.total_size + bindparam("b_size")))


def adjust(db: Connection, domain_id: int, profiles: int = 0, objects: int = 0, size: int = 0) -> None:
    """Record a change of the domain's counters in the caller's transaction (once per ``batched`` block)."""
    pending = db.info.get("deferred_stats")
    if pending is not None:
        _add_to(pending, domain_id, profiles, objects, size)
    elif profiles or objects or size:
        _RECORD.run(db, {"domain_id": domain_id, "profiles": profiles, "objects": objects, "size": size})


def _add_to(totals: dict[int, list[int]], domain_id: int, profiles: int, objects: int, size: int) -> None:
    total = totals.setdefault(domain_id, [0, 0, 0])
    total[0] += profiles
    total[1] += objects
    total[2] += size


@contextmanager
def batched(db: Connection) -> Iterator[None]:
    """The changes made inside the block are recorded as one, when it ends."""
    db.info["deferred_stats"] = {}
    try:
        yield
    finally:
        pending = db.info.pop("deferred_stats")
    for domain_id, (profile_count, object_count, size) in pending.items():
        adjust(db, domain_id, profile_count, object_count, size)


def counts(db: Connection, domain: Row[Any]) -> tuple[int, int, int]:
    """The domain's profile count, object count and total size, as of this transaction."""
    profile_count, object_count, size = _PENDING.first(db, {"b_id": domain.id})
    return (domain.profile_count + int(profile_count), domain.object_count + int(object_count),
            domain.total_size + int(size))


def forget(db: Connection, domain_id: int) -> None:
    """The domain is being deleted: its unfolded changes go with it."""
    db.execute(delete(changes).where(changes.c.domain_id == domain_id))


@profiles.task(FOLD_TASK, every=5.0)
def fold(app: App, payload: dict[str, Any]) -> None:
    """Move the recorded changes into the domains' rows. Exactly the rows this deletes are added, so a change
    committed meanwhile (or folded by another worker) is neither lost nor counted twice."""
    with app.database.transaction() as db:
        moved = db.execute(delete(changes).returning(changes.c.domain_id, changes.c.profiles, changes.c.objects,
                                                     changes.c.size)).all()
        totals: dict[int, list[int]] = {}
        for domain_id, profile_count, object_count, size in moved:
            _add_to(totals, domain_id, profile_count, object_count, size)
        for domain_id, (profile_count, object_count, size) in sorted(totals.items()):
            _ADD.run(db, {"b_domain": domain_id, "b_profiles": profile_count, "b_objects": object_count,
                          "b_size": size})
