"""Object types, event triggers and integrations are stored the same way: a key, a JSON definition, two dates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, insert, select, update


def save_definition(db: Connection, table: Table, key: dict[str, Any], definition: dict[str, Any], now: datetime,
                    **columns: Any) -> None:
    """Create the row, or replace its definition (keeping its creation date)."""
    where = [table.c[name] == value for name, value in key.items()]
    if db.execute(select(*(table.c[name] for name in key)).where(*where)).first() is None:
        db.execute(insert(table).values(**key, definition=definition, created_at=now, updated_at=now, **columns))
    else:
        db.execute(update(table).where(*where).values(definition=definition, updated_at=now, **columns))
