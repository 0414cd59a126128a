"""Tags on users, roles and customer managed policies (keys unique case-insensitively, at most 50)."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, delete, insert, select

from profilestack.services.iam.errors import invalid_input, quota
from profilestack.services.iam.tables import iam_tags

MAX_TAGS = 50


_TAGS_OF = (select(iam_tags.c.key, iam_tags.c.value)
            .where(iam_tags.c.kind == bindparam("kind"), iam_tags.c.entity_id == bindparam("entity"))
            .order_by(iam_tags.c.key))


def tags_of(db: Connection, kind: str, entity_id: str) -> list[dict[str, str]]:
    rows = db.execute(_TAGS_OF, {"kind": kind, "entity": entity_id})
    return [{"Key": row.key, "Value": row.value} for row in rows]


def tag_map(db: Connection, kind: str, entity_id: str) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in tags_of(db, kind, entity_id)}


def add_tags(db: Connection, kind: str, entity_id: str, title: str, tags: list[dict[str, str]]) -> None:
    keys = [tag["Key"] for tag in tags]
    if len({key.lower() for key in keys}) != len(keys):
        raise invalid_input("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
    current = tag_map(db, kind, entity_id)
    lowered = {key.lower(): key for key in current}
    if len({*lowered, *(key.lower() for key in keys)}) > MAX_TAGS:
        raise quota(f"TagsPer{title}", MAX_TAGS)
    for tag in tags:
        existing = lowered.get(tag["Key"].lower())
        if existing is not None:
            db.execute(delete(iam_tags).where(iam_tags.c.kind == kind, iam_tags.c.entity_id == entity_id,
                                              iam_tags.c.key == existing))
        db.execute(insert(iam_tags).values(kind=kind, entity_id=entity_id, key=tag["Key"], value=tag["Value"]))


def remove_tags(db: Connection, kind: str, entity_id: str, keys: list[str]) -> None:
    current = {key.lower(): key for key in tag_map(db, kind, entity_id)}
    for key in keys:
        if key.lower() in current:
            db.execute(delete(iam_tags).where(iam_tags.c.kind == kind, iam_tags.c.entity_id == entity_id,
                                              iam_tags.c.key == current[key.lower()]))


def drop_tags(db: Connection, kind: str, entity_id: str) -> None:
    """Every tag of an entity being deleted."""
    db.execute(delete(iam_tags).where(iam_tags.c.kind == kind, iam_tags.c.entity_id == entity_id))
