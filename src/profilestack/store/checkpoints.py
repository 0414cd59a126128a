"""SQLite's write-ahead log, copied into the database file by a background thread.

SQLite normally checkpoints inside whichever commit crosses 1,000 WAL pages, which makes that
request pay for rewriting (and syncing) the database file: commits averaged three times their
cost with it. Connections therefore turn automatic checkpoints off (``engine.py``) and this
thread runs passive checkpoints, which never block readers or writers and release the GIL
while they work.

SQLite starts the log over only when a write transaction begins after a checkpoint has copied
all of it. Under a steady stream of writes that never happens by itself (the next writer is
always already under way when a checkpoint finishes: the log grew to 3 GB during a bulk load,
slowing every read that has to search it). So once the log holds 8,192 pages, the tail left by
the passive pass is copied again with this process's writers held off (``writer_lock``), and the
next write starts the log over; ``journal_size_limit`` (engine.py) then trims the file. A
checkpoint that cannot finish (a reader still needs old pages) is retried on the next tick;
SQLite checkpoints once more when the last connection closes.

That held pass ends by syncing the database file, and most of what it had to write to disk was
what the passes before it had copied (~40 ms of writers held at a million profiles, every second
or so under steady ingestion). The file is therefore synced just before the writers are held,
through a descriptor of our own, so the held pass's sync finds little left (a few ms). That
descriptor stays open until every connection of the engine is closed: closing any descriptor of
a file drops all the POSIX locks the process holds on it, SQLite's included.
"""

from __future__ import annotations

import logging
import os
import threading
from contextlib import AbstractContextManager

from sqlalchemy import Engine
from sqlalchemy.pool import PoolProxiedConnection

log = logging.getLogger(__name__)

RESTART_AFTER_PAGES = 8192  # 32 MB of 4 KB pages: how long the log may grow before it is started over


class WalCheckpointer:
    def __init__(self, engine: Engine, writer_lock: AbstractContextManager, interval: float = 0.25,
                 restart_after_pages: int = RESTART_AFTER_PAGES) -> None:
        self._engine = engine
        self._writer_lock = writer_lock
        self._restart_after_pages = restart_after_pages
        self._interval = interval
        self._database_file: int | None = None  # a descriptor to sync the file with (see above)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpointer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        # Opened at the first tick, not at once: the database may not be there yet (the server creates it as it
        # starts), or cannot be opened at all (a full disk), which the server then reports and stops on.
        connection = None
        try:
            while not self._stop.wait(self._interval):
                try:
                    connection = connection or self._connect()
                    self._checkpoint(connection.driver_connection)
                except Exception:  # a locked or busy database, or one not to be opened yet: the next tick tries again
                    log.debug("WAL checkpoint skipped", exc_info=True)
        finally:
            if connection is not None:
                connection.close()

    def _connect(self) -> PoolProxiedConnection:
        path = self._engine.url.database
        if self._database_file is None and path and path != ":memory:" and not path.startswith("file:"):
            self._database_file = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        return self._engine.raw_connection()

    def _checkpoint(self, driver) -> None:
        _, log_frames, _ = driver.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()[0]
        if log_frames >= self._restart_after_pages:
            if self._database_file is not None:
                os.fdatasync(self._database_file)  # what the passive passes copied: synced with writers running
            with self._writer_lock:
                driver.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def close(self) -> None:
        """After every connection of the engine is closed (see above)."""
        if self._database_file is not None:
            os.close(self._database_file)
            self._database_file = None
