"""Batched, off-the-request-path writing of audit events.

Events are buffered in memory and written by a background thread every
``interval`` seconds (and on ``flush``/``close``), so a crash loses at most the last
interval and a clean shutdown loses nothing.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from profilestack import jsontext
from profilestack.audit.record import COLUMNS, AuditEvent
from profilestack.audit.table import audit_events
from profilestack.store.database import Database
from profilestack.store.prepared import Prepared
from profilestack.store.types import sqlite_text

log = logging.getLogger(__name__)

_INSERT = Prepared(audit_events.insert())
_TIME = COLUMNS.index("event_time")
_JSON = (COLUMNS.index("request_parameters"), COLUMNS.index("resources"))
# SQLite: rows go in as multi-row INSERTs of a few fixed sizes (each statement text prepared once, then cached by
# the driver), bound in one call each. One statement per row held the GIL again for every row; one JSON array
# taken apart by SQLite cost twice the CPU, as SQLite 3.40 re-parses a row's JSON for each of its columns.
_CHUNK_SIZES = (256, 64, 16, 4, 1)
_ROW = "(" + ", ".join("?" * len(COLUMNS)) + ")"
_SQLITE_INSERTS = {size: f"INSERT INTO audit_events ({', '.join(COLUMNS)}) VALUES " + ", ".join([_ROW] * size)
                   for size in _CHUNK_SIZES}


def _sqlite_chunks(events: list[AuditEvent]) -> list[tuple[str, list[Any]]]:
    """The batch as (statement, parameters) pairs, made before the write transaction begins."""
    values: list[Any] = []
    for event in events:
        row = event.values()
        row[_TIME] = sqlite_text(row[_TIME])
        for index in _JSON:
            if row[index] is not None:
                row[index] = jsontext.dumps(row[index])
        values += row
    chunks, start, width = [], 0, len(COLUMNS)
    for size in _CHUNK_SIZES:
        while len(events) - start >= size:
            chunks.append((_SQLITE_INSERTS[size], values[start * width:(start + size) * width]))
            start += size
    return chunks


class AuditLog:
    def __init__(self, database: Database, interval: float = 0.1) -> None:
        self._database = database
        self._interval = interval
        self._buffer: list[AuditEvent] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
            self._thread.start()

    def record(self, event: AuditEvent) -> None:
        with self._lock:
            self._buffer.append(event)

    def flush(self) -> None:
        with self._write_lock:
            with self._lock:
                pending, self._buffer = self._buffer, []
            if not pending:
                return
            try:
                # SQLite: the insert holds the single writer, so its batch is made ready before the transaction
                chunks = _sqlite_chunks(pending) if self._database.backend == "sqlite" else None
                with self._database.transaction() as connection:
                    if chunks is not None:
                        driver = connection.connection.dbapi_connection
                        for statement, parameters in chunks:
                            driver.execute(statement, parameters)
                    else:
                        _INSERT.run_many(connection, [event.row() for event in pending])
            except Exception:
                log.exception("could not write %d audit events; keeping them for the next flush", len(pending))
                with self._lock:
                    self._buffer[:0] = pending

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.flush()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.flush()
