"""Exporting a domain's objects of one type as JSON Lines — each object as it was put — which ``profilestack
load`` takes back (into this domain or another, on this server or another): test data seeded from a real one.

An operator's tool like the loader: it reads the database directly, in one read transaction (one consistent
snapshot), neither authorized nor audited.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Connection, select

from profilestack.services.profiles.domains import existing_domain
from profilestack.services.profiles.tables import profile_objects

_BATCH = 1000  # rows fetched at a time: memory stays flat however many objects there are


def exported_objects(db: Connection, account: str, region: str, domain_name: str, object_type: str
                     ) -> Iterator[str]:
    """The type's objects, each its JSON text as put, oldest first; NotInDatabase at once, before any is read,
    when the domain does not exist."""
    domain = existing_domain(db, account, region, domain_name)
    rows = db.execute(select(profile_objects.c.body)
                      .where(profile_objects.c.domain_id == domain.id, profile_objects.c.object_type == object_type)
                      .order_by(profile_objects.c.created_at, profile_objects.c.unique_key)
                      .execution_options(yield_per=_BATCH))
    return (body for (body,) in rows)
