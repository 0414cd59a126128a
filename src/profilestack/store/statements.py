"""Statements that differ by backend."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert


@cache
def _insert_ignoring_duplicates(dialect: str, table: Table) -> Insert:
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing()


def insert_ignoring_duplicates(db: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT DO NOTHING (rows already there by primary key are kept)."""
    if rows:
        db.execute(_insert_ignoring_duplicates(db.dialect.name, table), rows)
