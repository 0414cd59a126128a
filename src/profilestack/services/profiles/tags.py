"""Tags of Customer Profiles resources (domains; later object types, triggers, integrations), by ARN."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, delete, insert, select

from profilestack.services.profiles.errors import bad_request
from profilestack.services.profiles.tables import profile_tags

MAX_TAGS = 50
_TAGS_OF = select(profile_tags.c.key, profile_tags.c.value).where(profile_tags.c.resource_arn == bindparam("arn"))


def tags_of(db: Connection, arn: str) -> dict[str, str]:
    return {row.key: row.value for row in db.execute(_TAGS_OF, {"arn": arn})}


def set_tags(db: Connection, arn: str, tags: dict[str, str]) -> None:
    if len({**tags_of(db, arn), **tags}) > MAX_TAGS:
        raise bad_request(f"A resource can have at most {MAX_TAGS} tags.")
    for key, value in tags.items():
        db.execute(delete(profile_tags).where(profile_tags.c.resource_arn == arn, profile_tags.c.key == key))
        db.execute(insert(profile_tags).values(resource_arn=arn, key=key, value=value))


def remove_tags(db: Connection, arn: str, keys: list[str] | None = None) -> None:
    query = delete(profile_tags).where(profile_tags.c.resource_arn == arn)
    if keys is not None:
        query = query.where(profile_tags.c.key.in_(keys))
    db.execute(query)


def resource_tags(db: Connection, arn: str) -> dict[str, str] | None:
    """For ``aws:ResourceTag/…`` conditions on Customer Profiles resources."""
    return tags_of(db, arn)
