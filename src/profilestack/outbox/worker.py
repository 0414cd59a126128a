"""Run outbox tasks: claim a batch under a lease, execute, record the outcome.

Claims use ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so any number of processes can
share one database; SQLite serializes writers, which gives the same guarantee.
A task that raises is retried with backoff; ``PermanentFailure`` or too many
attempts marks it failed with the error kept in ``last_error``.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Connection, bindparam, or_, select, update

from profilestack.logs import Recurring
from profilestack.outbox.leases import LeaseKeeper
from profilestack.outbox.table import outbox
from profilestack.outbox.wakeups import Listener
from profilestack.runtime import Clock
from profilestack.store.database import Database, why
from profilestack.store.locks import lock_for_transaction
from profilestack.store.prepared import Prepared

log = logging.getLogger(__name__)

TaskHandler = Callable[[dict[str, Any]], None]
FAILED_RUN_AGAIN_AFTER = 5.0
LEAST_REST = 1.0  # seconds between a periodic run that overran its period and the next (or the period, if shorter)


class PermanentFailure(Exception):
    """Retrying will not help; record the task as failed."""


class RetryLater(Exception):
    """Not an error: try the task again after ``delay`` seconds without counting it as failed."""

    def __init__(self, delay: float, reason: str = "") -> None:
        super().__init__(reason)
        self.delay = delay


_OUTAGE_RETRY = 1.0  # seconds before a task the database failed runs again
_running: ContextVar[dict[str, Any] | None] = ContextVar("running_outbox_task", default=None)
_ENQUEUE = Prepared(outbox.insert())
_FINISH = Prepared(update(outbox).where(outbox.c.id == bindparam("b_id")).values(
    status=bindparam("b_status"), last_error=bindparam("b_error"), finished_at=bindparam("b_finished"),
    claimed_by=None, claimed_until=None))


# One statement, built once: the batch ready to run (on PostgreSQL skipping rows another worker has locked),
# leased to this worker and returned. The batch is a CTE, which PostgreSQL evaluates once because it locks rows;
# a plain IN subquery with LIMIT and SKIP LOCKED is not guaranteed to be evaluated only once.
_READY = (select(outbox.c.id)
          .where(outbox.c.status == "pending", outbox.c.available_at <= bindparam("b_now"),
                 or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < bindparam("b_now")))
          .order_by(outbox.c.id).limit(bindparam("b_limit")).with_for_update(skip_locked=True).cte("ready"))
_CLAIM = Prepared(update(outbox).where(outbox.c.id.in_(select(_READY.c.id)), outbox.c.status == "pending")
                  .values(claimed_by=bindparam("b_worker"), claimed_until=bindparam("b_until"),
                          attempts=outbox.c.attempts + 1)
                  .returning(outbox.c.id, outbox.c.kind, outbox.c.payload, outbox.c.attempts))


def enqueue(connection: Connection, clock: Clock, kind: str, payload: dict[str, Any], delay: float = 0.0,
            not_before: datetime | None = None) -> None:
    """Add a task inside the caller's transaction; it runs only if that transaction commits, ``delay`` seconds
    from now and not before ``not_before``."""
    now = clock.now()
    available = now + timedelta(seconds=delay)
    if not_before is not None:
        available = max(available, not_before)
    _ENQUEUE.run(connection, {"kind": kind, "payload": payload, "status": "pending", "attempts": 0,
                              "available_at": available, "created_at": now})


def ensure_pending(connection: Connection, clock: Clock, kind: str, delay: float = 0.0,
                   running: int | None = None, not_before: datetime | None = None) -> bool:
    """Schedule a periodic task unless one of its kind is already waiting (pending, and not running: a run
    schedules the next as it ends); whether it was scheduled. Processes starting together, and runs of a kind
    ending together, take turns here, so that a kind never gets two chains of runs — and a second chain left by
    older versions ends at its next run. ``running``: the task of the run scheduling its successor, never the
    one waiting, even when it ran past its lease (else the chain ended with it)."""
    lock_for_transaction(connection, f"periodic:{kind}")
    now = clock.now()
    conditions = [outbox.c.kind == kind, outbox.c.status == "pending",
                  or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now)]
    if running is not None:
        conditions.append(outbox.c.id != running)
    waiting = connection.execute(select(outbox.c.id).where(*conditions).limit(1)).first()
    if waiting is None:
        enqueue(connection, clock, kind, {}, delay, not_before)
    return waiting is None


class OutboxWorker:
    def __init__(self, database: Database, clock: Clock, *, batch_size: int = 32, lease_seconds: float = 60.0,
                 poll_seconds: float = 0.25, max_attempts: int = 8) -> None:
        self._database = database
        # Tasks are independent transactions: where the database lets threads overlap (PostgreSQL), a claimed
        # batch runs on that many threads at once.
        self._threads = (ThreadPoolExecutor(database.threads, thread_name_prefix="outbox-task")
                         if database.threads > 1 else None)
        self._clock = clock
        self._handlers: dict[str, TaskHandler] = {}
        self._gave_up: dict[str, TaskHandler] = {}
        self._batch_size = batch_size
        self._lease = timedelta(seconds=lease_seconds)
        self._poll = poll_seconds
        self._outages = Recurring(log)  # passes failed by the database
        self._task_outages = Recurring(log)  # tasks stopped by it
        # tasks the database stopped whose outcome it could not take either: their attempts are given back (and
        # they are run again) once it is back, rather than after their leases lapse with an attempt spent
        self._give_back: list[tuple[int, str]] = []  # (task id, the error that stopped it)
        self._max_attempts = max_attempts
        self.worker_id = f"worker-{uuid.uuid4().hex[:12]}"
        self._leases = LeaseKeeper(database, clock, self.worker_id, self._lease)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._listener: Listener | None = None

    def register(self, kind: str, handler: TaskHandler, gave_up: TaskHandler | None = None) -> None:
        """``gave_up`` runs with the task's payload when a task of this kind failed for good."""
        self._handlers[kind] = handler
        if gave_up is not None:
            self._gave_up[kind] = gave_up

    def register_periodic(self, kind: str, handler: TaskHandler, every: float) -> None:
        """A task kind that runs every ``every`` seconds, counted from the start of one run to the start of the
        next: each run schedules the next as it ends. A run that fails is not retried as other tasks are (a
        failure that lasted would end the schedule after the last attempt): it is logged and the next run comes
        sooner, after ``FAILED_RUN_AGAIN_AFTER`` seconds at most.

        Counted from the start, a clock that jumps ahead during a run (a test's moved clock) makes the next run
        due a moment later, to do what the jump made due; counted from the end, a run that had done its work by
        the old time put the next a whole period past the new one. A run that took its whole period or more is
        followed after ``LEAST_REST`` seconds, not at once, so a kind that overruns does not take a worker whole."""

        def run(payload: dict[str, Any]) -> None:
            started = self._clock.now()
            next_start: datetime | None = None
            try:
                handler(payload)
            except RetryLater as wait:  # more to do (a clean-up's time budget ran out): soon, and no failure
                delay = min(every, wait.delay)
            except Exception as exc:
                delay = min(every, FAILED_RUN_AGAIN_AFTER)
                log.warning("periodic task %s failed; it runs again in %.0f s: %r", kind, delay, exc)
            else:
                # As a time, not a wait worked out here: the clock is read again as the next run is written, and
                # a jump in between would otherwise put that run a whole period past the new time.
                delay, next_start = min(every, LEAST_REST), started + timedelta(seconds=every)
            running = _running.get()
            with self._database.transaction() as connection:
                ensure_pending(connection, self._clock, kind, delay, running["id"] if running else None, next_start)

        self.register(kind, run)

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name=self.worker_id, daemon=True)
            self._thread.start()
            self._leases.start()
            if self._database.backend == "postgresql":  # tasks enqueued by other processes wake it too
                self._listener = Listener(self._database, self.wake)
                self._listener.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._leases.stop()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                worked = self.run_once()
            except Exception as error:
                outage = self._database.outage(error)
                if outage:
                    self._outages.warning("outbox worker pass failed: the database is %s (%s); trying again",
                                          outage, why(error))
                else:
                    log.exception("outbox worker pass failed")
                worked = 0
            if not worked:
                self._wake.wait(self._poll)
                self._wake.clear()

    def run_once(self) -> int:
        """Claim and execute one batch; the number of tasks executed."""
        self._give_attempts_back()
        tasks = self._claim()
        with self._leases.holding([task.id for task in tasks]):  # queued behind the others of its batch too
            if self._threads is None or len(tasks) < 2:
                for task in tasks:
                    self._execute(task)
            else:
                list(self._threads.map(self._execute, tasks))
        return len(tasks)

    def _give_attempts_back(self) -> None:
        """Tasks still leased to this worker that the database stopped, pending again with their attempts back; a
        task another worker has claimed since (its lease lapsed) is its now."""
        while self._give_back:
            task_id, error = self._give_back[0]
            self._finish(task_id, "pending", error, self._clock.now(), undo=True, leased_to=self.worker_id)
            self._give_back.pop(0)

    def _claim(self) -> list[Any]:
        now = self._clock.now()
        with self._database.transaction() as connection:
            claimed = _CLAIM.all(connection, {"b_now": now, "b_limit": self._batch_size, "b_worker": self.worker_id,
                                              "b_until": now + self._lease})
        return sorted(claimed, key=lambda row: row.id)

    def finish_in(self, connection: Connection) -> Callable[[], None] | None:
        """Mark the task this thread is executing done inside the caller's transaction, so that its work and
        its completion commit together (and one commit is saved). Call the returned hook once that transaction
        has committed; until then the worker still records the outcome itself. None outside a task."""
        running = _running.get()
        if running is None:
            return None
        _FINISH.run(connection, {"b_id": running["id"], "b_status": "done", "b_error": None,
                                 "b_finished": self._clock.now()})
        return partial(running.__setitem__, "finished", True)

    def _execute(self, task: Any) -> None:
        handler = self._handlers.get(task.kind)
        running = {"id": task.id, "finished": False}
        token = _running.set(running)
        try:
            if handler is None:
                raise PermanentFailure(f"no handler for task kind {task.kind!r}")
            handler(task.payload)
        except RetryLater as wait:
            self._finish(task.id, "pending", str(wait), self._clock.now() + timedelta(seconds=wait.delay), undo=True)
        except PermanentFailure as exc:
            log.warning("outbox task %s (%s) failed: %s", task.id, task.kind, exc)
            self._fail(task, str(exc))
        except Exception as exc:
            outage = self._database.outage(exc)
            if outage:  # no fault of the task's: tried again once the database is back, the attempt not counted
                self._task_outages.warning("outbox task %s (%s) stopped: the database is %s (%s); trying again",
                                           task.id, task.kind, outage, why(exc))
                try:
                    self._finish(task.id, "pending", repr(exc),
                                 self._clock.now() + timedelta(seconds=_OUTAGE_RETRY), undo=True)
                except Exception as finishing:
                    if not self._database.outage(finishing):
                        raise
                    self._give_back.append((task.id, repr(exc)))  # the next pass, once the database is back
                return
            log.warning("outbox task %s (%s) failed on attempt %d: %s", task.id, task.kind, task.attempts, exc)
            if task.attempts >= self._max_attempts:
                self._fail(task, repr(exc))
            else:
                backoff = min(30.0, 0.2 * 2 ** (task.attempts - 1))
                self._finish(task.id, "pending", repr(exc), self._clock.now() + timedelta(seconds=backoff))
        else:
            if not running["finished"]:
                self._finish(task.id, "done", None)
        finally:
            _running.reset(token)

    def _fail(self, task: Any, error: str) -> None:
        self._finish(task.id, "failed", error)
        gave_up = self._gave_up.get(task.kind)
        if gave_up is not None:
            try:
                gave_up(task.payload)
            except Exception as exc:  # the task is failed either way; this only reports it
                log.warning("outbox task %s (%s): recording its failure failed too: %r", task.id, task.kind, exc)

    def _finish(self, task_id: int, status: str, error: str | None, retry_at: datetime | None = None,
                undo: bool = False, leased_to: str | None = None) -> None:
        """``leased_to``: only while the task is still leased to that worker (not claimed by another since)."""
        if retry_at is None and not undo and leased_to is None:  # the common case: done (or failed for good)
            with self._database.transaction() as connection:
                _FINISH.run(connection, {"b_id": task_id, "b_status": status, "b_error": error,
                                         "b_finished": self._clock.now()})
            return
        values: dict[str, Any] = {"status": status, "last_error": error, "claimed_by": None, "claimed_until": None}
        if retry_at is not None:
            values["available_at"] = retry_at
        else:
            values["finished_at"] = self._clock.now()
        if undo:
            values["attempts"] = outbox.c.attempts - 1
        conditions = [outbox.c.id == task_id]
        if leased_to is not None:
            conditions.append(outbox.c.claimed_by == leased_to)
        with self._database.transaction() as connection:
            connection.execute(update(outbox).where(*conditions).values(**values))
