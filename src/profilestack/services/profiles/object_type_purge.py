"""Removing a deleted object type's data: its objects, the keys they gave profiles, the profile fields they filled.

``DeleteProfileObjectType`` removes up to ``CHUNK`` objects' worth itself, so that deleting a type of a test's
few objects is done when the call answers. A larger type's remainder goes in an outbox task, ``CHUNK`` objects per
transaction: one transaction over millions of rows would hold every other SQLite writer up for minutes, and outlast
the client's read timeout. Until the task is done the name stays *purging*: making a type of that name again (or
putting objects under a template of that name) first finishes the purge in its own call, so that no new object is
ever taken for an old one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, text

from profilestack.outbox.worker import RetryLater
from profilestack.services.profiles import domain_stats
from profilestack.services.profiles import profile_store as store
from profilestack.services.profiles.service import profiles
from profilestack.services.profiles.tables import profile_keys, profile_object_type_purges, profile_objects
from profilestack.store.locks import domain_data_key, lock_for_transaction
from profilestack.store.prepared import Prepared

if TYPE_CHECKING:
    from profilestack.app import App
    from profilestack.gateway.context import CallContext

CHUNK = 2_000  # objects (or keyed profiles) per transaction: a tenth to a fifth of a second
AGAIN_AFTER = 0.02  # seconds between chunks: soon, as profiles show the deleted type's fields until it is done
PURGE_TASK = "profile.purge_object_type"

_PURGING = Prepared(select(profile_object_type_purges.c.name).where(
    profile_object_type_purges.c.domain_id == bindparam("b_domain"),
    profile_object_type_purges.c.name == bindparam("b_name")))


def purge_some(db: Connection, domain_id: int, name: str, limit: int) -> bool:
    """Remove up to ``limit`` of the type's objects, the keys they gave and the fields they filled (then up to
    ``limit`` profiles' keys left without objects); True once nothing of the type is left."""
    objects = db.execute(select(profile_objects.c.unique_key, profile_objects.c.profile_id,
                                func.length(profile_objects.c.body).label("size")).where(
        profile_objects.c.domain_id == domain_id, profile_objects.c.object_type == name).limit(limit)).all()
    if objects:
        db.execute(delete(profile_objects).where(
            profile_objects.c.domain_id == domain_id, profile_objects.c.object_type == name,
            profile_objects.c.unique_key.in_([row.unique_key for row in objects])))
        domain_stats.adjust(db, domain_id, objects=-len(objects), size=-sum(row.size for row in objects))
        _scrub(db, domain_id, name, {row.profile_id for row in objects if row.profile_id})
        if len(objects) == limit:
            return False
    keyed = _keyed_profiles(db, domain_id, name, limit)
    _scrub(db, domain_id, name, keyed)
    return len(keyed) < limit


def _keyed_profiles(db: Connection, domain_id: int, name: str, limit: int) -> set[str]:
    """Up to ``limit`` profiles holding keys the type gave, found through the keys' origin index. SQLite's planner,
    having no statistics, would rather read every key of the domain through the primary key (which holds every
    column, so answers alone): it is told which index to use."""
    hint = " INDEXED BY ix_profile_keys_origin" if db.dialect.name == "sqlite" else ""
    return set(db.execute(text(f"SELECT DISTINCT profile_id FROM profile_keys{hint} "
                               "WHERE domain_id = :domain AND origin = :origin LIMIT :limit"),
                          {"domain": domain_id, "origin": store.object_origin(name), "limit": limit}).scalars())


def _scrub(db: Connection, domain_id: int, name: str, profile_ids: set[str]) -> None:
    """The profiles lose the keys the type gave them and the fields it filled."""
    if not profile_ids:
        return
    # by the profiles' index (profile ids are unique across domains): the domain and origin would rather lead the
    # planner to the origin's index, through every key the type ever gave
    db.execute(delete(profile_keys).where(profile_keys.c.profile_id.in_(profile_ids),
                                          profile_keys.c.origin == store.object_origin(name)))
    changes = []
    for profile in store.load_profiles(db, domain_id, profile_ids).values():
        if name in profile.field_sources.values():
            kept = {field: value for field, value in profile.fields.items() if profile.field_sources.get(field) != name}
            sources = {field: source for field, source in profile.field_sources.items() if source != name}
            changes.append((profile, kept, sources))
    store.save_many_fields(db, domain_id, changes)


def start_purge(ctx: CallContext, domain_id: int, name: str) -> None:
    """The type's row is gone: its data goes now if it is small, else from now on (the name purging meanwhile)."""
    lock_for_transaction(ctx.db, domain_data_key(domain_id))  # objects still coming in finish first
    if purge_some(ctx.db, domain_id, name, CHUNK):
        return
    if _PURGING.first(ctx.db, {"b_domain": domain_id, "b_name": name}) is None:
        ctx.db.execute(insert(profile_object_type_purges).values(domain_id=domain_id, name=name,
                                                                 requested_at=ctx.now()))
    ctx.enqueue(PURGE_TASK, {"domain_id": domain_id, "name": name})


def finish_purge(db: Connection, domain_id: int, name: str) -> None:
    """Before a type of this name is made again: what is left of an earlier one goes, in the caller's transaction."""
    if _PURGING.first(db, {"b_domain": domain_id, "b_name": name}) is None:
        return
    lock_for_transaction(db, domain_data_key(domain_id))
    while not purge_some(db, domain_id, name, CHUNK):
        pass
    _forget(db, domain_id, name)


def _forget(db: Connection, domain_id: int, name: str) -> None:
    db.execute(delete(profile_object_type_purges).where(profile_object_type_purges.c.domain_id == domain_id,
                                                        profile_object_type_purges.c.name == name))


@profiles.task(PURGE_TASK)
def purge_object_type(app: App, payload: dict[str, Any]) -> None:
    """A chunk per run, the task coming back for the next: other writers get in between. It stops once the name
    is no longer purging: purged, made again (which finished the purge), or its domain deleted."""
    domain_id, name = payload["domain_id"], payload["name"]
    with app.database.transaction() as db:
        lock_for_transaction(db, domain_data_key(domain_id))
        if _PURGING.first(db, {"b_domain": domain_id, "b_name": name}) is None:
            return
        if purge_some(db, domain_id, name, CHUNK):
            _forget(db, domain_id, name)
            return
    raise RetryLater(AGAIN_AFTER, f"more of object type {name} to purge")
