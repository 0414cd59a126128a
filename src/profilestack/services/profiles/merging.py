"""Merging profiles into one — what MergeProfiles does on request, and rule-based matching and identity
resolution do on their own.

The merged profiles' keys and objects move to the main profile, which takes each field named in the field
sources from the profile named for it (``Attributes`` per attribute); the merged profiles are deleted. Fields are
united: one only a merged profile has comes to the main profile. Automatic merges keep the profile created first
and take each field where the ``ConflictResolution`` says.
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
MERGED_ORIGIN = "merged"  # the keys a merged profile's own fields gave it, kept by the profile it was merged into


def united_sources(main: Row[Any], others: Sequence[Row[Any]], sources: FieldSources) -> FieldSources:
    """MergeProfiles' field sources: each field (each attribute) the main profile lacks from the first merged
    profile that has it — fields are united where they do not conflict — then those the request names."""
    united: FieldSources = {}
    attributes: dict[str, str] = {}
    own_attributes = main.fields.get("Attributes") or {}
    for other in others:
        for name in other.fields:
            if name == "Attributes":
                for key in other.fields["Attributes"]:
                    if key not in own_attributes:
                        attributes.setdefault(key, other.id)
            elif name not in main.fields:
                united.setdefault(name, other.id)
    named = dict(sources)
    if isinstance(named.get("Attributes"), dict):
        named["Attributes"] = {**attributes, **named["Attributes"]}
    elif attributes:
        named.setdefault("Attributes", attributes)
    return {**united, **named}


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
    deleted = 0
    for other in others:
        moved: dict[str, list[tuple[str, str]]] = {}  # origin on the main profile → keys
        for row in db.execute(select(profile_keys.c.key_name, profile_keys.c.key_value, profile_keys.c.origin)
                              .where(profile_keys.c.profile_id == other.id)):
            # the keys of the merged profile's own fields stay with the main profile, whatever its fields become
            origin = MERGED_ORIGIN if row.origin == store.STANDARD_ORIGIN else row.origin
            moved.setdefault(origin, []).append((row.key_name, row.key_value))
        for origin, pairs in moved.items():
            store.add_keys(db, domain_id, main.id, pairs, origin)
        db.execute(update(profile_objects).where(profile_objects.c.domain_id == domain_id,
                                                 profile_objects.c.profile_id == other.id).values(profile_id=main.id))
        store.remove_keys(db, other.id)
        # one a concurrent merge deleted first (PostgreSQL: it waited for it) is not counted twice
        deleted += db.execute(profiles_table.delete().where(profiles_table.c.id == other.id)).rowcount
        history.profile(DELETED_BY_MERGE, other.id, other.fields)
    domain_stats.adjust(db, domain_id, profiles=-deleted)
    store.save_fields(db, domain_id, main, fields, history.now, field_sources=field_sources)
    history.profile(MERGED, main.id, fields)


def merge_by_resolution(history: History, members: list[Row[Any]], resolution: dict[str, Any]) -> int:
    """The profiles merged into the one created first (ties: the lower id), each field from the profile the
    ``ConflictResolution`` prefers; how many were merged into it. Automatic merging's rule, by rules or by
    identity resolution."""
    main = min(members, key=lambda row: (row.created_at, row.id))
    by_id = {row.id: row for row in members}
    fields, field_sources = chosen_fields(main, preferred_sources(members, resolution), by_id.__getitem__)
    others = [row for row in members if row.id != main.id]
    merge(history, main, others, fields, field_sources)
    return len(others)


def preferred_sources(rows: list[Row[Any]], resolution: dict[str, Any]) -> FieldSources:
    """For each field any of the profiles has (each attribute, for ``Attributes``), the profile it comes from:
    the most recently updated one that has it, or with ``SOURCE``, the most recently updated one whose value came
    from the ``SourceName`` object type, if any did."""
    newest_first = sorted(rows, key=lambda row: (row.updated_at, row.id), reverse=True)
    source = resolution.get("SourceName") if resolution.get("ConflictResolvingModel") == "SOURCE" else None

    def preferred(name: str, has: Any) -> str:
        holders = [row for row in newest_first if has(row)]
        from_source = [row for row in holders if source is not None and row.field_sources.get(name) == source]
        return (from_source or holders)[0].id

    sources: FieldSources = {}
    for row in newest_first:
        for name in row.fields:
            if name == "Attributes":
                for key in row.fields["Attributes"]:
                    sources.setdefault("Attributes", {}).setdefault(key, preferred(
                        "Attributes", lambda other, key=key: key in (other.fields.get("Attributes") or {})))
            elif name not in sources:
                sources[name] = preferred(name, lambda other, name=name: name in other.fields)
    return sources
