"""Tags of regional resources (Customer Profiles domains and object types, campaigns), by ARN.

Shared by the services whose tags are a plain ARN → {key: value} map; ``aws:ResourceTag/…``
conditions read them with ``tags_of`` too.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Column, Connection, String, Table, bindparam, delete, insert, or_, select

from profilestack.gateway.errors import AwsError
from profilestack.store.locks import lock_for_transaction
from profilestack.store.metadata import metadata

MAX_TAGS = 50

resource_tags = Table(
    "resource_tags", metadata,
    Column("resource_arn", String(2048), primary_key=True),  # an object type's ARN alone may pass 256
    Column("key", String(128), primary_key=True),
    Column("value", String(256), nullable=False),
)

_TAGS_OF = select(resource_tags.c.key, resource_tags.c.value).where(resource_tags.c.resource_arn == bindparam("arn"))


def tags_of(db: Connection, arn: str) -> dict[str, str]:
    return {row.key: row.value for row in db.execute(_TAGS_OF, {"arn": arn})}


def with_tags(db: Connection, arn: str, shape: dict, key: str = "Tags") -> dict:
    """The shape with the resource's tags added under ``key`` (left out when there are none, as AWS does)."""
    tags = tags_of(db, arn)
    if tags:
        shape[key] = tags
    return shape


def set_tags(db: Connection, arn: str, tags: dict[str, str], too_many: Callable[[str], AwsError]) -> None:
    lock_for_transaction(db, f"tags:{arn}")  # of callers adding tags at once, each counts the tags of those before
    if len({**tags_of(db, arn), **tags}) > MAX_TAGS:
        raise too_many(f"A resource can have at most {MAX_TAGS} tags.")
    for key, value in tags.items():
        db.execute(delete(resource_tags).where(resource_tags.c.resource_arn == arn, resource_tags.c.key == key))
        db.execute(insert(resource_tags).values(resource_arn=arn, key=key, value=value))


def remove_tags(db: Connection, arn: str, keys: list[str] | None = None, with_children: bool = False) -> None:
    """Remove some keys, all of them, or (``with_children``) also those of ARNs under ``arn/``."""
    where = resource_tags.c.resource_arn == arn
    if with_children:
        where = or_(where, resource_tags.c.resource_arn.startswith(f"{arn}/", autoescape=True))
    query = delete(resource_tags).where(where)
    if keys is not None:
        query = query.where(resource_tags.c.key.in_(keys))
    db.execute(query)
