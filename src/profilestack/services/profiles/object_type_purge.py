"""A deleted object type's data, a chunk at a time (purges.py): its objects, the keys they gave profiles, the
profile fields they filled. Making a type of that name again, or putting objects under a template of that name,
first finishes the purge."""

from __future__ import annotations

from sqlalchemy import Connection, delete, select, text

from profilestack.services.profiles import profile_store as store
from profilestack.services.profiles import purges
from profilestack.services.profiles.tables import profile_keys, profile_objects


def purge_some(db: Connection, domain_id: int, name: str, limit: int) -> bool:
    """Remove up to ``limit`` of the type's objects, the keys they gave and the fields they filled (then up to
    ``limit`` profiles' keys left without objects); True once nothing of the type is left."""
    found = db.execute(select(profile_objects.c.unique_key).where(
        profile_objects.c.domain_id == domain_id, profile_objects.c.object_type == name).limit(limit)).scalars().all()
    if found:
        gone = store.delete_objects(db, domain_id, profile_objects.c.object_type == name,
                                    profile_objects.c.unique_key.in_(found))
        _scrub(db, domain_id, name, {row.profile_id for row in gone if row.profile_id})
        if len(found) == limit:
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


OBJECT_TYPE = purges.kind("object-type", purge_some)
