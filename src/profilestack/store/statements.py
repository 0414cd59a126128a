"""Statements that differ by backend."""

from __future__ import annotations

from functools import cache
from importlib import import_module
from typing import Any

from sqlalchemy import Connection, Table

from profilestack.store.prepared import Prepared


@cache
def _insert_ignoring_duplicates(dialect: str, table: Table) -> Prepared:
    module = import_module(f"sqlalchemy.dialects.{dialect}")  # imported by the backend in use only
    return Prepared(module.insert(table).on_conflict_do_nothing())


def insert_ignoring_duplicates(db: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT DO NOTHING (a row that would repeat a unique key is left out)."""
    if rows:
        _insert_ignoring_duplicates(db.dialect.name, table).run_many(db, rows)
