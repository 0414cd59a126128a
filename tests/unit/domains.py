"""Customer Profiles domain rows written straight to the database, for tests of the storage layer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select

from profilestack.services.profiles.tables import profile_domains

CREATED = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def insert_domain(connection: Connection, name: str, **columns: Any) -> Row[Any]:
    """A domain of account 000000000000 in us-east-1 named ``name``, with ``columns`` set; its row."""
    connection.execute(insert(profile_domains).values(
        account_id="000000000000", region="us-east-1", name=name, arn=f"arn:{name}", default_expiration_days=30,
        created_at=CREATED, updated_at=CREATED, **columns))
    return connection.execute(select(profile_domains).where(profile_domains.c.name == name)).one()
