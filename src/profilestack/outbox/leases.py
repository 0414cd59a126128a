"""The leases of the outbox tasks a worker is running, renewed while they run."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import update

from profilestack.outbox.table import outbox
from profilestack.runtime import Clock
from profilestack.store.database import Database

log = logging.getLogger(__name__)


class LeaseKeeper:
    """Renews the leases of the tasks a worker is running, every third of a lease: a task that runs longer than
    its lease (a recommender's training on a large domain, say) is not claimed and run a second time meanwhile
    by another worker, which may claim only the tasks of a worker that stopped renewing them."""

    def __init__(self, database: Database, clock: Clock, worker_id: str, lease: timedelta) -> None:
        self._database = database
        self._clock = clock
        self._worker_id = worker_id
        self._lease = lease
        self._running: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @contextmanager
    def holding(self, task_ids: list[int]) -> Iterator[None]:
        """The tasks of a claimed batch, from the claim until the batch is done: those that finish first are left
        alone by the renewals (no longer pending, or no longer this worker's)."""
        with self._lock:
            self._running.update(task_ids)
        try:
            yield
        finally:
            with self._lock:
                self._running.difference_update(task_ids)

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"{self._worker_id}-leases", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self._lease.total_seconds() / 3):
            try:
                self.renew()
            except Exception as error:  # the next renewal tries again; the lease has two thirds left
                log.warning("outbox leases of %s not renewed: %r", self._worker_id, error)

    def renew(self) -> None:
        with self._lock:
            running = list(self._running)
        if running:
            with self._database.transaction() as connection:
                connection.execute(update(outbox).where(
                    outbox.c.id.in_(running), outbox.c.claimed_by == self._worker_id, outbox.c.status == "pending",
                ).values(claimed_until=self._clock.now() + self._lease))
