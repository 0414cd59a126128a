"""Deleting a table's old rows from its oldest, a bounded number per transaction, for the clean-up tasks."""

from __future__ import annotations

import time

from sqlalchemy import ColumnElement, Connection, Table, delete, select, tuple_

from profilestack.store.database import Database

CHUNK = 10_000  # rows per transaction: writers never wait long behind a clean-up
BUDGET_SECONDS = 0.5  # per call: a clean-up far behind (a first run on a large table) comes back for the rest


def delete_oldest(db: Connection, table: Table, condition: ColumnElement[bool], limit: int = CHUNK) -> int:
    """Delete the rows meeting ``condition`` among the ``limit`` first rows by primary key; how many went.

    Rows are appended in time order, so the old ones are found by key without scanning the table; a row out of
    step with its neighbours (kept longer, or stamped by another process's clock) goes once those before it have.
    """
    (key,) = table.primary_key.columns
    first = select(key).order_by(key).limit(limit).scalar_subquery()
    return db.execute(delete(table).where(key.in_(first), condition)).rowcount


def delete_matching(db: Connection, table: Table, condition: ColumnElement[bool], limit: int = CHUNK) -> int:
    """Delete at most ``limit`` rows meeting ``condition``, found through an index on what it tests (for rows not
    appended in the order they grow old); how many went. A key of several columns is matched as a row value."""
    keys = list(table.primary_key.columns)
    if len(keys) == 1:
        some = select(keys[0]).where(condition).limit(limit).scalar_subquery()
        return db.execute(delete(table).where(keys[0].in_(some))).rowcount
    rows = select(*keys).where(condition).limit(limit)
    return db.execute(delete(table).where(tuple_(*keys).in_(rows))).rowcount


def prune(database: Database, table: Table, condition: ColumnElement[bool], limit: int = CHUNK,
          budget: float = BUDGET_SECONDS, in_key_order: bool = True) -> bool:
    """``delete_oldest`` (``delete_matching`` for rows not in key order) in one transaction after another: True
    once a pass finds nothing, False when ``budget`` seconds ran out first (more may be left)."""
    deleting = delete_oldest if in_key_order else delete_matching
    deadline = time.monotonic() + budget
    while True:
        with database.transaction() as db:
            if not deleting(db, table, condition, limit):
                return True
        if time.monotonic() >= deadline:
            return False
