"""SQLite's write-ahead log, copied into the database file by a background thread.

SQLite normally checkpoints inside whichever commit crosses 1,000 WAL pages, which makes that
request pay for rewriting (and syncing) the database file: commits averaged three times their
cost with it. Connections therefore turn automatic checkpoints off (``engine.py``) and this
thread runs passive checkpoints, which never block readers or writers and release the GIL
while they work. A checkpoint that cannot finish (a reader still needs old pages) is retried
on the next tick; SQLite checkpoints once more when the last connection closes.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

log = logging.getLogger(__name__)


class WalCheckpointer:
    def __init__(self, engine: Engine, interval: float = 0.25) -> None:
        self._engine = engine
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpointer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        connection = self._engine.raw_connection()
        try:
            while not self._stop.wait(self._interval):
                try:
                    connection.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except Exception:  # a locked or busy database: the next tick tries again
                    log.debug("WAL checkpoint skipped", exc_info=True)
        finally:
            connection.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
