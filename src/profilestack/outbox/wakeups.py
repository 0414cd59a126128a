"""Waking the outbox workers of every process the moment work is enqueued (PostgreSQL ``LISTEN``/``NOTIFY``).

A worker otherwise finds new tasks by polling (every 0.25 s when idle): fine within one process, which wakes
its own worker directly, but on PostgreSQL the task may come from another server process. ``announce`` adds a
notification to the enqueuing transaction (delivered when it commits, never if it rolls back); each worker
process keeps one connection listening and wakes its worker when one arrives. Polling stays as the fallback
(a listener that lost its connection reconnects after a second).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import Connection, text

from profilestack.store.database import Database

log = logging.getLogger(__name__)

CHANNEL = "profilestack_outbox"
_NOTIFY = text(f"SELECT pg_notify('{CHANNEL}', '')")
_RECONNECT_SECONDS = 1.0


def announce(connection: Connection) -> None:
    """Wake the listening workers once this transaction commits (PostgreSQL; SQLite has no other process to
    wake that polling would not find as soon)."""
    if connection.dialect.name == "postgresql":
        connection.execute(_NOTIFY)


class Listener:
    """A thread holding one PostgreSQL connection that listens on the outbox channel and calls ``wake``."""

    def __init__(self, database: Database, wake: Callable[[], None]) -> None:
        self._database = database
        self._wake = wake
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        import psycopg

        engine = self._database.engine
        args, kwargs = engine.dialect.create_connect_args(engine.url)
        while not self._stop.is_set():
            try:
                with psycopg.connect(*args, **kwargs, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self._wake()  # anything enqueued while no one listened
                    while not self._stop.is_set():
                        for _ in connection.notifies(timeout=0.5, stop_after=1):
                            self._wake()
            except Exception as error:  # the server went away: poll meanwhile, listen again shortly
                log.warning("outbox listener: %s; reconnecting in %.0f s", error, _RECONNECT_SECONDS)
                self._stop.wait(_RECONNECT_SECONDS)
