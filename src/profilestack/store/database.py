"""The database handle: transactions and schema migrations."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Table, exc, inspect, text

from profilestack.store.checkpoints import WalCheckpointer
from profilestack.store.engine import DatabaseUnreachable, backend_name, make_engine
from profilestack.store.migrations import HEAD_REVISION

T = TypeVar("T")
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_IDLE_PER_THREAD = 2
_POSTGRES_THREADS = 8
_ATTEMPTS = 4  # of a transaction that loses races (again_if_lost_race)
_MIGRATION_LOCK = 0x70726F66696C65  # "profile": the advisory lock the schema's migrations run under
_SERVER_GONE = ("57P01", "57P02", "57P03")  # PostgreSQL's admin_shutdown, crash_shutdown, cannot_connect_now
_DAMAGED = "damaged (profilestack doctor says where)"
_SQLITE_OUTAGES = {sqlite3.SQLITE_FULL: "short of room", sqlite3.SQLITE_CORRUPT: _DAMAGED,
                   sqlite3.SQLITE_NOTADB: _DAMAGED}


def driver_error(error: BaseException) -> BaseException:
    """The driver's own error under SQLAlchemy's wrapping (``error`` itself when it is not wrapped)."""
    return getattr(error, "orig", error)


def why(error: BaseException) -> str:
    """The driver's account of ``error`` in one line, for a log line or a message that says why."""
    return str(driver_error(error)).strip().partition("\n")[0]


class Database:
    def __init__(self, url: str, read_only_checks: bool = False, max_pages: int | None = None) -> None:
        self.url = url
        self.read_only_checks = read_only_checks  # config.py's testing aids, both
        self.engine = make_engine(url, max_pages)
        self.backend = backend_name(self.engine)
        # How many threads of a process can usefully work on this database at once. A PostgreSQL statement
        # waits on the network, and other requests can run meanwhile; SQLite answers in process, with one
        # writer at a time, so requests are served faster one after another on the event loop.
        self.threads = _POSTGRES_THREADS if self.backend == "postgresql" else 1
        # Read-only transactions on PostgreSQL read one snapshot (REPEATABLE READ): a call's statements agree
        # with each other, as SQLite's transactions do. Only writers can fail to serialize, and writers keep
        # the default READ COMMITTED.
        self._snapshot: Any = None
        if self.backend == "postgresql":
            from psycopg import IsolationLevel

            self._snapshot = IsolationLevel.REPEATABLE_READ
        self._local = threading.local()
        self._held: list[list[Connection]] = []  # every thread's idle connections, for dispose()
        self._held_lock = threading.Lock()
        # SQLite has one writer at a time. Threads of this process queue for it here, and are woken the moment
        # it is free, instead of in SQLite's busy handler, which sleeps 1 to 100 ms between attempts.
        self._sqlite_writer = threading.RLock()
        self._checkpointer = WalCheckpointer(self.engine, self._sqlite_writer) if self.backend == "sqlite" else None

    @contextmanager
    def transaction(self, write: bool = True, snapshot: bool = True) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back if it raises.

        It is begun and ended on the driver's connection: SQLAlchemy's transaction bookkeeping cost ten
        times the BEGIN and COMMIT themselves. Statements may still go through ``Connection.execute``: its
        autobegin joins the transaction already open (engine.py), and its commit or rollback ends it.

        ``snapshot=False`` (reads only): the block's statements need not agree with one another. On PostgreSQL
        they then run in autocommit, each its own transaction seeing what was committed when it began: a read of
        one statement is one round trip, where BEGIN and COMMIT would make it three. SQLite ignores it (its
        BEGIN and COMMIT cost no round trip).
        """
        autocommit = not write and not snapshot and self.backend == "postgresql"
        with self._sqlite_writer if write and self.backend == "sqlite" else nullcontext():
            connection = self._checkout()
            driver = connection.connection.dbapi_connection
            ended = False  # a connection whose transaction did not end cleanly is closed, not reused
            try:
                if self.backend == "sqlite":  # writers take the write lock up front: no failed lock upgrades
                    driver.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                elif autocommit:
                    driver.autocommit = True
                else:  # reads see one snapshot throughout; psycopg names the level in its BEGIN (no round trip)
                    driver.isolation_level = None if write else self._snapshot
                if self.read_only_checks and not write:
                    self._refuse_writes(driver, True, autocommit)
                try:
                    yield connection
                except BaseException:
                    # A rollback that fails too (the link to the database lost: a restart, say) leaves the first
                    # error to report; _checkin drops the connection.
                    with suppress(Exception):
                        if connection.in_transaction():
                            connection.rollback()
                        else:
                            driver.rollback()
                        ended = True
                    raise
                if connection.in_transaction():
                    connection.commit()
                else:
                    driver.commit()
                ended = True
            finally:
                if autocommit and ended:
                    # back to transactions before the pool lends it again; a connection that cannot be is dropped
                    try:
                        if self.read_only_checks:
                            self._refuse_writes(driver, False, autocommit)
                        driver.autocommit = False
                    except Exception:
                        ended = False
                if self.read_only_checks and not write and self.backend == "sqlite" and not connection.closed:
                    self._refuse_writes(driver, False)
                self._checkin(connection, ended)

    def _refuse_writes(self, driver: Any, on: bool, autocommit: bool = False) -> None:
        if self.backend == "sqlite":
            driver.execute(f"PRAGMA query_only = {'ON' if on else 'OFF'}")
        elif autocommit:  # every statement is a transaction of its own: the session's default makes them read-only
            driver.execute(f"SET default_transaction_read_only = {'on' if on else 'off'}")
        elif on:  # PostgreSQL: the first statement begins the transaction, this one makes it read-only
            cursor = driver.cursor()
            cursor.execute("SET TRANSACTION READ ONLY")
            cursor.close()

    # With SQLite each thread keeps the connection its last transaction used: checking one out of the pool
    # and back in (with the pool's reset) cost more than a whole indexed read. PostgreSQL connections go back
    # to the pool, which pings one that sat idle and replaces it if the server dropped it (engine.py).
    def _checkout(self) -> Connection:
        idle = getattr(self._local, "idle", None)
        if idle:
            return idle.pop()
        return self.engine.connect()

    def _checkin(self, connection: Connection, ended: bool) -> None:
        if not ended and not connection.closed and not connection.invalidated:
            # Its transaction may still be open, or its link to the database gone (a restart): dropped, not
            # handed back to the pool, whose reset (a rollback) would fail on a lost link, and log a traceback.
            connection.invalidate()
        if (self.backend != "sqlite" or not ended or connection.closed or connection.invalidated
                or connection.in_transaction()):
            connection.close()
            return
        idle = getattr(self._local, "idle", None)
        if idle is None:
            idle = self._local.idle = []
            with self._held_lock:
                self._held.append(idle)
        if len(idle) < _IDLE_PER_THREAD:
            idle.append(connection)
        else:
            connection.close()

    def lost_race(self, error: BaseException) -> bool:
        """Whether ``error`` (SQLAlchemy's or the driver's) means that another transaction got there first: it
        took a unique key this one was inserting, or (PostgreSQL) this one was the victim of a deadlock. Either
        way this transaction rolled back whole, and running it again is safe."""
        driver = driver_error(error)
        if self.backend == "postgresql":
            return getattr(driver, "sqlstate", None) in ("23505", "40P01")  # unique_violation, deadlock
        return (isinstance(driver, self.engine.dialect.loaded_dbapi.IntegrityError)
                and "UNIQUE constraint failed" in str(driver))

    def outage(self, error: BaseException) -> str | None:
        """What ``error`` (SQLAlchemy's or the driver's) says keeps the database from working now, in a few words:
        its server out of reach (it restarted, or went away), short of room (a full disk; on PostgreSQL, any
        resource it ran out of), or damaged (pages a crash or a disk broke). None for any other error. Either way
        no fault of the work that met it, which can run again once the database is back."""
        driver = driver_error(error)
        if not isinstance(driver, self.engine.dialect.loaded_dbapi.DatabaseError):
            return None
        if self.backend == "sqlite":
            return _SQLITE_OUTAGES.get(getattr(driver, "sqlite_errorcode", None))
        state = getattr(driver, "sqlstate", None)  # none when the link broke below the protocol
        if not isinstance(driver, self.engine.dialect.loaded_dbapi.OperationalError):
            return _DAMAGED if state in ("XX001", "XX002") else None  # data_corrupted, index_corrupted
        if state is None or state.startswith("08") or state in _SERVER_GONE:
            return "out of reach"
        return "short of room" if state.startswith("53") else None  # class 53: insufficient resources

    def refused(self, error: BaseException) -> bool:
        """Whether ``error`` (SQLAlchemy's or the driver's) means that the database refused the values written (a
        constraint they break, a value it cannot store), rather than failed itself: writing them again would
        fail again."""
        driver = driver_error(error)
        dbapi = self.engine.dialect.loaded_dbapi
        return isinstance(driver, (dbapi.IntegrityError, dbapi.DataError))

    def again_if_lost_race(self, work: Callable[[], T]) -> T:
        """Run ``work`` (which opens and commits its own transaction); again, up to ``_ATTEMPTS`` times in all, while
        it loses races. A second attempt answers a duplicate key; deadlocks (PostgreSQL) can recur when several
        transactions delete and write the same rows (a domain deleted while objects come in)."""
        for _ in range(_ATTEMPTS - 1):
            try:
                return work()
            except Exception as error:
                if not self.lost_race(error):
                    raise
        return work()

    def answers(self) -> bool:
        """Whether the database answers a query now (the health check's question)."""
        try:
            with self.transaction(write=False) as connection:
                connection.exec_driver_sql("SELECT 1")
        except (exc.SQLAlchemyError, self.engine.dialect.loaded_dbapi.Error):  # SQLAlchemy's, or the driver's own
            return False
        return True

    def current_revision(self) -> str | None:
        with self.engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()

    def migrate(self, replay: bool = False) -> None:
        """Bring the schema to the newest revision; a no-op (and no Alembic import) when it is. An empty database
        gets the newest schema in one go and is stamped with it (running every migration took most of a cold
        start); ``replay`` runs the migrations one by one even then (the test that they build that schema)."""
        try:
            revision = self.current_revision()
        except exc.DatabaseError as error:  # the first connection made (nothing written): down, or not a database
            raise DatabaseUnreachable(self.url, why(error)) from error
        if revision == HEAD_REVISION:
            return
        from alembic import command
        from alembic.config import Config
        from alembic.script import ScriptDirectory
        from alembic.util import CommandError

        from profilestack.store.schema import metadata

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        if revision is not None:
            try:
                ScriptDirectory.from_config(config).get_revision(revision)
            except CommandError:  # a newer profilestack migrated it: this one cannot know what it holds
                raise DatabaseUnreachable(self.url, f"its schema is at revision {revision}, which this profilestack "
                                                    "does not know: a newer version made it") from None
        with self.engine.begin() as connection:
            if self.backend == "postgresql":  # processes started together migrate one after the other
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            config.attributes["connection"] = connection
            if not replay and not inspect(connection).get_table_names():
                metadata.create_all(connection)
                command.stamp(config, "head")
            else:
                command.upgrade(config, "head")

    def damage(self) -> list[str]:
        """What SQLite's quick check finds wrong in the database file (pages, indexes that disagree with their
        tables); none on PostgreSQL, whose own tool for this is its amcheck extension."""
        if self.backend != "sqlite":
            return []
        try:
            with self.transaction(write=False) as connection:
                rows = connection.exec_driver_sql("PRAGMA quick_check").all()
        except exc.DatabaseError as error:  # damage the check itself cannot read past
            return [why(error)]
        found = [line for row in rows for line in row[0].splitlines()]
        return [] if found == ["ok"] else found

    def check_writable(self) -> None:
        """DatabaseUnreachable unless the database takes writes (not a read-only file or mount, nor a PostgreSQL
        standby): checked at start, as a server's first write comes only once it has said it listens."""
        try:
            with self.transaction() as connection:
                connection.exec_driver_sql("UPDATE alembic_version SET version_num = version_num")
        except (exc.SQLAlchemyError, self.engine.dialect.loaded_dbapi.Error) as error:
            raise DatabaseUnreachable(self.url, f"it takes no writes here ({why(error)})") from error

    def analyze(self, *tables: Table) -> None:
        """After a bulk load, PostgreSQL's planner is told how the tables have grown (as PostgreSQL's own advice on
        populating a database goes): until autovacuum next looked — never, where it is off — a table loaded from
        empty looked near empty, and a lookup by a list of keys read every row its leading columns matched. SQLite
        keeps no statistics here (its plans are written for none): nothing to do."""
        if self.backend != "postgresql" or not tables:
            return
        with self.transaction() as connection:
            connection.exec_driver_sql("ANALYZE " + ", ".join(table.name for table in tables))

    def dispose(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
        with self._held_lock:
            for idle in self._held:
                while idle:
                    idle.pop().close()
        self.engine.dispose()
        if self._checkpointer is not None:
            self._checkpointer.close()
