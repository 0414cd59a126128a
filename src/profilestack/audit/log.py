"""Batched, off-the-request-path writing of audit events.

Events are buffered in memory and written by a background thread every
``interval`` seconds (and on ``flush``/``close``), so a crash loses at most the last
interval and a clean shutdown loses nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from profilestack.audit.record import COLUMNS, AuditEvent
from profilestack.audit.table import audit_events
from profilestack.logs import Recurring
from profilestack.store.database import Database, why
from profilestack.store.prepared import Prepared

log = logging.getLogger(__name__)

_INSERT = Prepared(audit_events.insert())
# Request bodies whose events may wait in memory at once, besides their number (Settings.audit_max_waiting)
MAX_WAITING_BYTES = 256 * 1024 * 1024


class AuditLog:
    """``counted``, when set, is given the events the writer is done with (the server's metrics)."""

    def __init__(self, database: Database, interval: float = 0.1, max_waiting: int = 50_000,
                 max_waiting_bytes: int = MAX_WAITING_BYTES) -> None:
        self._database = database
        self._max_waiting = max_waiting
        self._max_waiting_bytes = max_waiting_bytes
        self._waiting_bytes = 0  # the sizes of the events recorded and not yet done with
        self._interval = interval
        self.counted: Callable[[list[AuditEvent]], None] | None = None
        self._buffer: list[AuditEvent] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._outages = Recurring(log)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
            self._thread.start()

    def record(self, event: AuditEvent) -> None:
        with self._lock:
            self._buffer.append(event)
            self._waiting_bytes += event.size

    def flush(self) -> None:
        with self._write_lock:
            with self._lock:
                pending, self._buffer = self._buffer, []
            if not pending:
                return
            try:
                self._write([event.values() for event in pending])
            except Exception as error:
                outage = self._database.outage(error)
                if outage:
                    self._outages.warning("could not write %d audit events: the database is %s (%s); they wait for "
                                          "the next flush", len(pending), outage, why(error))
                    with self._lock:
                        self._buffer[:0] = pending
                    return
                log.warning("could not write %d audit events together (%s); writing them one by one", len(pending),
                            error)
                self._write_each(pending)
            else:
                self._taken(pending)

    def _taken(self, events: list[AuditEvent]) -> None:
        """Events done with — stored, or refused by the database and dropped — counted once each."""
        size = sum(event.size for event in events)
        with self._lock:
            self._waiting_bytes -= size
        if self.counted is not None:
            self.counted(events)

    def waiting(self) -> int:
        """Events recorded and not yet taken by the writer."""
        return len(self._buffer)

    def overflowing(self) -> bool:
        """Whether as many events wait as may, or as large: the database has stored none for a while (down, its disk
        full)."""
        return len(self._buffer) >= self._max_waiting or self._waiting_bytes >= self._max_waiting_bytes

    def _write(self, rows: list[list[object]]) -> None:
        with self._database.transaction() as connection:
            _INSERT.run_rows(connection, COLUMNS, rows)

    def _write_each(self, events: list[AuditEvent]) -> None:
        """After a failed batch: an event the database refuses is logged and dropped, so that it holds back neither
        the others nor every later batch. When the database itself fails (unreachable, say), the events not yet
        written are kept for the next flush."""
        for index, event in enumerate(events):
            try:
                self._write([event.values()])
            except Exception as error:
                if not self._database.refused(error):
                    with self._lock:
                        self._buffer[:0] = events[index:]
                    return
                log.error("audit event %s (%s %s) cannot be stored, dropped: %s", event.event_id,
                          event.event_source, event.event_name, error)
            self._taken([event])

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.flush()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.flush()
        if self._buffer:  # the database could not take them: said once more, as an error, for they are lost now
            log.error("%d audit events were never stored: the database could not take them before the server "
                      "stopped", len(self._buffer))
