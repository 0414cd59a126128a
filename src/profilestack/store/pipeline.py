"""Writes sent without waiting for their answers, for work that writes many rows between a few reads.

A bulk load into PostgreSQL spent most of its time waiting for the answer to each INSERT, one round trip each;
psycopg's pipeline mode sends them on and reads their answers later, in order. PostgreSQL runs the statements in
the order sent, so a read still sees every write before it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, event


@contextmanager
def pipelined(db: Connection) -> Iterator[None]:
    """Inside the block, on PostgreSQL, the writes of ``Prepared`` statements do not wait for their answers (their
    row count is unknown: -1); reads wait, and with them the writes sent before. A statement run through SQLAlchemy
    waits for its own answer too (SQLAlchemy looks at it as soon as it is sent). A write that fails raises at the
    next read, or when the block ends. Elsewhere, nothing changes."""
    if db.dialect.name != "postgresql":
        yield
        return
    with db.connection.dbapi_connection.pipeline() as pipeline:

        def answered(*_: Any) -> None:
            pipeline.sync()

        event.listen(db, "after_cursor_execute", answered)
        try:
            yield
        finally:
            event.remove(db, "after_cursor_execute", answered)
