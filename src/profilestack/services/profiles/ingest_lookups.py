"""What ingesting an object reads: its type's object under its unique key, and the profiles holding each key it
is matched by.

PutProfileObject reads them a statement at a time (``Lookups``). A batch of objects of one type (the bulk loader,
upload jobs) reads them for all its objects at once, before the first (``BatchLookups``): on PostgreSQL the batch's
lookups are sent together and answered in one round trip, where a bulk load waited on two for each object.

A batch's answers stay true because ingest tells it every key it writes: a profile created with its keys, keys added
to a profile, a profile's keys from one origin replaced (its predefined keys after its fields changed, a standard
object's record moving to another profile). An object is answered only for a unique key met once in the batch,
which no other object of it writes, and not at all for a type whose MaxProfileObjectCount drops objects as others
come. The answers are as of the batch's start, under its locks: a call that changes a profile without taking them
(UpdateProfile) and commits meanwhile is seen as it was, where a read a statement at a time might have seen it
changed (the same race a single object's read and writes run, over a longer time).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Row, bindparam, select

from profilestack.services.profiles import profile_store as store
from profilestack.services.profiles.mapping import MATCHING, MappedObject
from profilestack.services.profiles.standard_objects import STANDARD_OBJECTS
from profilestack.services.profiles.tables import profile_objects
from profilestack.store.prepared import Prepared

_FIND_OBJECT = Prepared(select(profile_objects).where(profile_objects.c.domain_id == bindparam("b_domain"),
                                                      profile_objects.c.object_type == bindparam("b_type"),
                                                      profile_objects.c.unique_key == bindparam("b_key")))


def find_object(db: Connection, domain_id: int, object_type: str, unique_key: str) -> Row[Any] | None:
    return _FIND_OBJECT.first(db, {"b_domain": domain_id, "b_type": object_type, "b_key": unique_key})


class Lookups:
    """A statement for each read; nothing to keep up to date."""

    def object(self, db: Connection, domain_id: int, object_type: str, unique_key: str) -> Row[Any] | None:
        return find_object(db, domain_id, object_type, unique_key)

    def key_holders(self, db: Connection, domain_id: int, name: str, value: str) -> store.Holders:
        return store.key_holders(db, domain_id, name, value)

    def profile_created(self, profile_id: str, fields: dict[str, Any], object_keys: list[tuple[str, str]],
                        origin: str) -> None:
        """``create_profile`` gave the profile its predefined keys and the object's."""

    def keys_added(self, profile_id: str, pairs: Iterable[tuple[str, str]], origin: str) -> None:
        """``add_keys`` gave the profile these keys."""

    def keys_replaced(self, profile_id: str, pairs: Iterable[tuple[str, str]], origin: str) -> None:
        """The profile's keys from ``origin`` are now these alone (its predefined keys after its fields changed, a
        record's keys moved to another profile)."""


LIVE = Lookups()


class BatchLookups(Lookups):
    """The reads of a batch's objects (each mapped, with its unique key), made together; read after the batch's
    locks are held."""

    def __init__(self, db: Connection, domain_id: int, object_type: str, definition: dict[str, Any],
                 mapped: list[tuple[MappedObject, str]]) -> None:
        self._object_type = object_type
        self._objects: dict[str, Row[Any] | None] = {}
        if not definition.get("MaxProfileObjectCount") and object_type not in STANDARD_OBJECTS:
            seen = Counter(unique_key for _, unique_key in mapped)
            once = [key for key, count in seen.items() if count == 1]
            found = _FIND_OBJECT.all_each(db, [{"b_domain": domain_id, "b_type": object_type, "b_key": key}
                                               for key in once])
            self._objects = {key: rows[0] if rows else None for key, rows in zip(once, found, strict=True)}
        pairs = list(dict.fromkeys(pair for item, _ in mapped for identifier in MATCHING
                                   for pair in item.values_for(identifier)))
        found_holders = store.KEY_HOLDERS.all_each(db, [{"domain": domain_id, "name": name, "value": value}
                                                        for name, value in pairs])
        self._holders = {pair: store.holders_of(rows) for pair, rows in zip(pairs, found_holders, strict=True)}
        self._held_by: dict[str, set[tuple[str, str]]] = {}  # profile id → the keys looked up here it holds
        for pair, holders in self._holders.items():
            for profile_id in holders:
                self._held_by.setdefault(profile_id, set()).add(pair)

    def object(self, db: Connection, domain_id: int, object_type: str, unique_key: str) -> Row[Any] | None:
        if object_type == self._object_type and unique_key in self._objects:
            return self._objects[unique_key]
        return super().object(db, domain_id, object_type, unique_key)

    def key_holders(self, db: Connection, domain_id: int, name: str, value: str) -> store.Holders:
        if (name, value) in self._holders:
            return self._holders[(name, value)]
        return super().key_holders(db, domain_id, name, value)

    def profile_created(self, profile_id: str, fields: dict[str, Any], object_keys: list[tuple[str, str]],
                        origin: str) -> None:
        self.keys_added(profile_id, store.standard_keys(fields), store.STANDARD_ORIGIN)
        self.keys_added(profile_id, object_keys, origin)

    def keys_added(self, profile_id: str, pairs: Iterable[tuple[str, str]], origin: str) -> None:
        for pair in pairs:
            if pair in self._holders:  # a key no object of the batch looks up is not kept
                self._holders[pair].setdefault(profile_id, set()).add(origin)
                self._held_by.setdefault(profile_id, set()).add(pair)

    def keys_replaced(self, profile_id: str, pairs: Iterable[tuple[str, str]], origin: str) -> None:
        for pair in list(self._held_by.get(profile_id, ())):
            origins = self._holders[pair][profile_id]
            origins.discard(origin)
            if not origins:  # the key's last origin on the profile: it holds the key no more
                del self._holders[pair][profile_id]
                self._held_by[profile_id].discard(pair)
        self.keys_added(profile_id, pairs, origin)
