"""Merging profiles into one — what MergeProfiles does on request and rule-based matching does on its own.

The merged profiles' keys and objects move to the main profile, which takes each field named in the field
sources from the profile named for it (``Attributes`` per attribute); the merged profiles are deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Row, select, update

from profilestack.services.profiles import domain_stats
from profilestack.services.profiles import profile_store as store
from profilestack.services.profiles.history import DELETED_BY_MERGE, MERGED, History
from profilestack.services.profiles.tables import profile_keys, profile_objects, profiles_table

# FieldSourceProfileIds' form: field name → profile id, and for "Attributes" attribute key → profile id.
FieldSources = dict[str, Any]


def chosen_fields(main: Row[Any], sources: FieldSources, profile: Callable[[str], Row[Any]]
                  ) -> tuple[dict[str, Any], dict[str, str]]:
    """The main profile's fields and their object types (``field_sources``) with each field named in ``sources``
    taken from its profile (absent there: absent in the result); ``profile`` finds a profile by id."""
    fields, origins = dict(main.fields), dict(main.field_sources)
    for name, source_id in sources.items():
        if name == "Attributes" and isinstance(source_id, dict):
            attributes = dict(fields.get("Attributes") or {})
            for key, attribute_source in source_id.items():
                _take(attributes, key, profile(attribute_source).fields.get("Attributes") or {})
            if attributes:
                fields["Attributes"] = attributes
            else:
                fields.pop("Attributes", None)
            continue
        source = profile(source_id)
        _take(fields, name, source.fields)
        if name in source.field_sources:
            origins[name] = source.field_sources[name]
        else:
            origins.pop(name, None)
    return fields, origins


def _take(into: dict[str, Any], name: str, source: dict[str, Any]) -> None:
    if name in source:
        into[name] = source[name]
    else:
        into.pop(name, None)


def merge(history: History, main: Row[Any], others: Sequence[Row[Any]], fields: dict[str, Any],
          field_sources: dict[str, str]) -> None:
    """``others`` merged into ``main``, which is left with ``fields``; in the history's transaction."""
    db, domain_id = history.db, history.domain.id
    for other in others:
        moved = db.execute(select(profile_keys.c.key_name, profile_keys.c.key_value, profile_keys.c.origin)
                           .where(profile_keys.c.profile_id == other.id)).all()
        for origin in {row.origin for row in moved if row.origin != store.STANDARD_ORIGIN}:
            store.add_keys(db, domain_id, main.id, [(row.key_name, row.key_value) for row in moved
                                                    if row.origin == origin], origin)
        db.execute(update(profile_objects).where(profile_objects.c.domain_id == domain_id,
                                                 profile_objects.c.profile_id == other.id).values(profile_id=main.id))
        store.remove_keys(db, other.id)
        db.execute(profiles_table.delete().where(profiles_table.c.id == other.id))
        history.profile(DELETED_BY_MERGE, other.id, other.fields)
    domain_stats.adjust(db, domain_id, profiles=-len(others))
    store.save_fields(db, domain_id, main, fields, history.now, field_sources=field_sources)
    history.profile(MERGED, main.id, fields)
