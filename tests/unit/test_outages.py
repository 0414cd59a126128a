"""What counts as the database failing as a whole (an outage: said in a line, the work tried again later) rather
than the work failing, and how often such a line is said."""

from __future__ import annotations

import logging
import sqlite3
import time

import psycopg.errors
import pytest

from profilestack.logs import Recurring
from profilestack.store.database import Database


@pytest.mark.parametrize(("error", "outage"), [
    (psycopg.errors.AdminShutdown(), "out of reach"),  # a restart
    (psycopg.errors.ConnectionFailure(), "out of reach"),
    (psycopg.OperationalError("server closed the connection unexpectedly"), "out of reach"),  # no SQLSTATE
    (psycopg.errors.DiskFull(), "short of room"),
    (psycopg.errors.TooManyConnections(), "short of room"),
    (psycopg.errors.DataCorrupted(), "damaged (profilestack doctor says where)"),
    (psycopg.errors.IndexCorrupted(), "damaged (profilestack doctor says where)"),
    (psycopg.errors.QueryCanceled(), None),
    (psycopg.errors.UniqueViolation(), None),
    (ValueError("not the database's"), None),
])
def test_postgres_outages(error: Exception, outage: str | None) -> None:
    database = Database("postgresql+psycopg://nobody@127.0.0.1:1/nowhere")  # never connected to
    assert database.outage(error) == outage


def _sqlite_error(code: int, message: str, kind: type[sqlite3.Error] = sqlite3.OperationalError) -> sqlite3.Error:
    error = kind(message)
    error.sqlite_errorcode = code
    return error


@pytest.mark.parametrize(("error", "outage"), [
    (_sqlite_error(sqlite3.SQLITE_FULL, "database or disk is full"), "short of room"),
    (_sqlite_error(sqlite3.SQLITE_BUSY, "database is locked"), None),  # another writer: not an outage
    (_sqlite_error(sqlite3.SQLITE_CORRUPT, "database disk image is malformed", sqlite3.DatabaseError),
     "damaged (profilestack doctor says where)"),
    (sqlite3.IntegrityError("UNIQUE constraint failed"), None),
])
def test_sqlite_outages(tmp_path, error: Exception, outage: str | None) -> None:
    database = Database(f"sqlite:///{tmp_path / 'profilestack.db'}")
    try:
        assert database.outage(error) == outage
    finally:
        database.dispose()


def test_a_recurring_warning_is_said_once_for_many_then_with_their_count(caplog) -> None:
    logger = logging.getLogger("tests.recurring")
    recurring = Recurring(logger, every=0.3)
    with caplog.at_level(logging.WARNING, logger="tests.recurring"):
        for number in range(5):
            recurring.warning("call %d failed", number)
        time.sleep(0.35)
        recurring.warning("call %d failed", 5)
        recurring.warning("call %d failed", 6)
    assert [record.getMessage() for record in caplog.records] == [
        "call 0 failed", "call 5 failed (and 4 more like it since this was last logged)"]
