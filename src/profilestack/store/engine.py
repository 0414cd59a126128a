"""Database engines: an embedded SQLite file by default, PostgreSQL to scale out."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, exc

from profilestack import jsontext

DATABASE_FILE = "profilestack.db"
_PRIVATE = 0o600  # the database holds secret keys and customers' data: its owner's alone


class DatabaseUnreachable(Exception):
    """The database could not be opened: its server down or out of reach, the database unknown, the credentials
    refused, no data directory to be had there."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(reason)
        self.url = url
        self.reason = reason


def sqlite_url(data_dir: Path) -> str:
    """The URL of the SQLite database in ``data_dir``, the directory made (private to its owner) if missing."""
    url = f"sqlite:///{(data_dir / DATABASE_FILE).resolve()}"
    try:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise DatabaseUnreachable(url, f"the data directory {data_dir} cannot be made: {error.strerror}") from error
    return url


def _make_private(database: Path) -> None:
    """A SQLite database's files, where they exist, made private to their owner: files of older versions were
    readable by all. (SQLite gives the -wal and -shm files it makes the database's own permissions.)"""
    for path in (database, database.with_name(f"{database.name}-wal"), database.with_name(f"{database.name}-shm")):
        try:
            if path.stat().st_mode & 0o077:
                path.chmod(_PRIVATE)
        except OSError:  # not there, or someone else's: left as it is
            continue


def make_engine(url: str, max_pages: int | None = None) -> Engine:
    # hide_parameters: an error names the statement that failed, never the values it bound (a secret access key,
    # an MFA seed), so that none reaches a log or a traceback.
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            hide_parameters=True,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=8,
            max_overflow=8,
            json_serializer=jsontext.dumps,
            json_deserializer=jsontext.loads,
        )
        if engine.url.database and engine.url.database != ":memory:":
            _make_private(Path(engine.url.database))
        event.listen(engine, "connect", lambda dbapi_connection, _record: _sqlite_pragmas(dbapi_connection, max_pages))
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # Every statement planned with its values and the tables as they are: psycopg prepares a statement run five
    # times, and PostgreSQL then keeps a generic plan made when the tables were small — for a lookup by profile
    # key, a scan of every key of the domain, which a domain loaded or grown afterwards pays on each call.
    engine = create_engine(url, hide_parameters=True, pool_size=10, max_overflow=10, json_serializer=jsontext.dumps,
                           json_deserializer=jsontext.loads,
                           connect_args={"options": "-c plan_cache_mode=force_custom_plan"})
    event.listen(engine, "checkin", _note_return)
    event.listen(engine, "checkout", _ping_if_idle)
    return engine


# A connection back from the pool within the last second was working a moment ago: pinging it before every
# transaction (SQLAlchemy's pool_pre_ping) cost a round trip per transaction. One idle longer (e.g. across a
# server restart) is pinged, and replaced if the server dropped it.
_TRUSTED_FOR_SECONDS = 1.0


def _note_return(_dbapi_connection, record) -> None:
    if record is not None:
        record.info["returned_at"] = time.monotonic()


def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
    if time.monotonic() - record.info.get("returned_at", 0.0) < _TRUSTED_FOR_SECONDS:
        return
    try:
        dbapi_connection.execute("SELECT 1")
        dbapi_connection.rollback()  # leave it outside any transaction, as the pool hands it out
    except Exception as error:
        raise exc.DisconnectionError() from error


def _sqlite_pragmas(dbapi_connection, max_pages: int | None) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA wal_autocheckpoint=0")  # checkpoints run in the background (checkpoints.py)
    cursor.execute("PRAGMA journal_size_limit=67108864")  # a log started over is trimmed back to 64 MB
    # 16 MB of pages per connection (SQLite's default is 2 MB): the inner pages of a million-profile domain's
    # indexes stay in memory, so a lookup costs no more at a million profiles than at ten thousand.
    cursor.execute("PRAGMA cache_size=-16384")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    if max_pages is not None:
        cursor.execute(f"PRAGMA max_page_count={int(max_pages)}")
    cursor.close()


def _sqlite_begin(connection) -> None:
    # Straight to the driver, and only when no transaction is open: Database.transaction opens its own.
    driver = connection.connection.dbapi_connection
    if not driver.in_transaction:
        driver.execute("BEGIN")


def backend_name(engine: Engine) -> str:
    return "postgresql" if engine.dialect.name.startswith("postgres") else engine.dialect.name
