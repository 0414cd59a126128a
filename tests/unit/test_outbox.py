"""The transactional outbox against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg.errors
import pytest
from sqlalchemy import select

from profilestack.outbox.cleanup import drop_finished_tasks
from profilestack.outbox.table import outbox
from profilestack.outbox.wakeups import announce
from profilestack.outbox.worker import OutboxWorker, PermanentFailure, RetryLater, enqueue, ensure_pending
from profilestack.runtime import FixedClock, SystemClock
from profilestack.store.database import Database
from tests.e2e.waiting import wait_for
from tests.postgres import POSTGRES_ADMIN_URL


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 26, 12, 0, tzinfo=UTC))


def _statuses(database: Database) -> list[tuple[str, str, int]]:
    with database.transaction(write=False) as connection:
        rows = connection.execute(select(outbox.c.kind, outbox.c.status, outbox.c.attempts).order_by(outbox.c.id))
        return [tuple(row) for row in rows]


def test_a_task_runs_only_if_its_transaction_commits(database: Database, clock: FixedClock) -> None:
    seen: list[dict[str, Any]] = []
    worker = OutboxWorker(database, clock)
    worker.register("note", seen.append)
    with pytest.raises(RuntimeError), database.transaction() as connection:
        enqueue(connection, clock, "note", {"n": 1})
        raise RuntimeError("the request failed")
    with database.transaction() as connection:
        enqueue(connection, clock, "note", {"n": 2})
    assert worker.run_once() == 1
    assert seen == [{"n": 2}]
    assert _statuses(database) == [("note", "done", 1)]
    assert worker.run_once() == 0


def test_a_failing_task_is_retried_with_backoff_then_marked_failed(database: Database, clock: FixedClock) -> None:
    worker = OutboxWorker(database, clock, max_attempts=3)

    def broken(payload: dict[str, Any]) -> None:
        raise ValueError("downstream unavailable")

    worker.register("flaky", broken)
    with database.transaction() as connection:
        enqueue(connection, clock, "flaky", {})
    assert worker.run_once() == 1
    assert _statuses(database) == [("flaky", "pending", 1)]
    assert worker.run_once() == 0  # backing off
    clock.advance(seconds=1)
    assert worker.run_once() == 1
    clock.advance(seconds=1)
    assert worker.run_once() == 1
    assert _statuses(database) == [("flaky", "failed", 3)]
    with database.transaction(write=False) as connection:
        assert "downstream unavailable" in connection.execute(select(outbox.c.last_error)).scalar()


def test_a_task_that_fails_for_good_is_reported_to_its_kinds_gave_up(database: Database, clock: FixedClock) -> None:
    worker = OutboxWorker(database, clock, max_attempts=2)
    reported: list[dict[str, Any]] = []

    def broken(payload: dict[str, Any]) -> None:
        raise ValueError("down")

    def doomed(payload: dict[str, Any]) -> None:
        raise PermanentFailure("no such job")

    def report_badly(payload: dict[str, Any]) -> None:
        raise RuntimeError("the report failed too")

    worker.register("job", broken, gave_up=reported.append)
    worker.register("doomed", doomed, gave_up=reported.append)
    worker.register("unreported", broken, gave_up=report_badly)
    with database.transaction() as connection:
        enqueue(connection, clock, "job", {"job": 1})
        enqueue(connection, clock, "doomed", {"job": 2})
        enqueue(connection, clock, "unreported", {"job": 3})
    assert worker.run_once() == 3
    assert reported == [{"job": 2}]  # a permanent failure at once; the others have an attempt left
    clock.advance(seconds=1)
    assert worker.run_once() == 2
    assert reported == [{"job": 2}, {"job": 1}]
    assert [status for _, status, _ in _statuses(database)] == ["failed"] * 3


def _started_periodic(database: Database, worker: OutboxWorker, clock: FixedClock, kind: str,
                      handler: Callable[[dict[str, Any]], None], every: float) -> datetime:
    """``kind`` registered as periodic with its first run due now; the moment it was due."""
    worker.register_periodic(kind, handler, every=every)
    with database.transaction() as connection:
        enqueue(connection, clock, kind, {})
    return clock.now()


def test_a_periodic_task_keeps_its_schedule_through_failures(database: Database, clock: FixedClock) -> None:
    worker = OutboxWorker(database, clock, max_attempts=2)
    outcomes = iter([ValueError("down"), ValueError("still down"), ValueError("and again"), None, None])
    runs: list[datetime] = []

    def tick(payload: dict[str, Any]) -> None:
        runs.append(clock.now())
        outcome = next(outcomes)
        if outcome is not None:
            raise outcome

    start = _started_periodic(database, worker, clock, "tick", tick, every=60.0)
    for _ in range(4):  # three failures, more than the two attempts a task has, then a run that succeeds
        assert worker.run_once() == 1
        assert worker.run_once() == 0  # the next run waits
        clock.advance(seconds=5)
    assert [(run - start).total_seconds() for run in runs] == [0, 5, 10, 15]
    clock.advance(seconds=50)
    assert worker.run_once() == 0  # after a success, the period's own wait: 60 seconds
    clock.advance(seconds=5)
    assert worker.run_once() == 1
    assert len(runs) == 5
    assert [status for _, status, _ in _statuses(database)] == ["done"] * 5 + ["pending"]


def test_a_periodic_run_counts_its_period_from_its_start(database: Database, clock: FixedClock) -> None:
    """A run of 20 s leaves 40 s to the next; one during which the clock jumps a month leaves only a rest."""
    worker = OutboxWorker(database, clock)
    durations = iter([20.0, 30 * 86400.0, 1.0])
    runs: list[datetime] = []

    def tick(payload: dict[str, Any]) -> None:
        runs.append(clock.now())
        clock.advance(seconds=next(durations))

    start = _started_periodic(database, worker, clock, "tick", tick, every=60.0)
    assert worker.run_once() == 1
    clock.advance(seconds=39)
    assert worker.run_once() == 0
    clock.advance(seconds=1)
    assert worker.run_once() == 1  # 60 s after the first run began; the clock jumps during this one
    assert worker.run_once() == 0
    clock.advance(seconds=1)
    assert worker.run_once() == 1  # a second's rest after the overrun, not a whole period
    assert [(run - start).total_seconds() for run in runs] == [0, 60, 60 + 30 * 86400 + 1]


class JumpingClock(FixedClock):
    """A fixed clock told to jump: it does so just after its next reading, which still gives the old time."""

    def __init__(self, start: datetime) -> None:
        super().__init__(start)
        self.jump_after_next_reading: float | None = None

    def now(self) -> datetime:
        moment = super().now()
        if self.jump_after_next_reading is not None:
            self.advance(seconds=self.jump_after_next_reading)
            self.jump_after_next_reading = None
        return moment


def test_a_clock_jump_as_a_periodic_run_ends_leaves_the_next_run_due(database: Database) -> None:
    """The run's end and the writing of the next run read the clock at different moments: a jump between them
    must not put the next run a whole period past the new time (the clean-up the jump made due would wait)."""
    clock = JumpingClock(datetime(2026, 11, 26, 12, 0, tzinfo=UTC))
    worker = OutboxWorker(database, clock)
    runs: list[datetime] = []

    def tick(payload: dict[str, Any]) -> None:
        runs.append(clock.now())
        clock.jump_after_next_reading = 2 * 86400.0

    start = _started_periodic(database, worker, clock, "tick", tick, every=3600.0)
    assert worker.run_once() == 1
    clock.advance(seconds=1)
    assert worker.run_once() == 1  # a period after the first run's start is long past at the new time
    assert [(run - start).total_seconds() for run in runs] == [0, 2 * 86400 + 1]


def test_a_periodic_run_that_outlasts_its_lease_still_schedules_the_next(database: Database,
                                                                         clock: FixedClock) -> None:
    """Its own task, pending until it ends and past its lease by then, is not the next run waiting."""
    worker = OutboxWorker(database, clock, lease_seconds=60.0)
    runs: list[datetime] = []

    def slow(payload: dict[str, Any]) -> None:
        runs.append(clock.now())
        clock.advance(seconds=120)

    start = _started_periodic(database, worker, clock, "slow", slow, every=600.0)
    assert worker.run_once() == 1
    assert [status for kind, status, _ in _statuses(database)] == ["done", "pending"]
    clock.advance(seconds=480)
    assert worker.run_once() == 1
    assert [(run - start).total_seconds() for run in runs] == [0, 600]


def test_two_chains_of_a_periodic_task_become_one(database: Database, clock: FixedClock) -> None:
    """As left by two processes that started together before ensure_pending took turns."""
    worker = OutboxWorker(database, clock)
    runs: list[int] = []
    worker.register_periodic("tick", lambda payload: runs.append(1), every=60.0)
    with database.transaction() as connection:
        enqueue(connection, clock, "tick", {})
        enqueue(connection, clock, "tick", {})
    assert worker.run_once() == 2 and len(runs) == 2
    assert [status for kind, status, _ in _statuses(database)] == ["done", "done", "pending"]
    with database.transaction() as connection:
        assert ensure_pending(connection, clock, "tick") is False  # a process starting now adds no third chain
    clock.advance(seconds=60)
    assert worker.run_once() == 1
    assert [status for kind, status, _ in _statuses(database)].count("pending") == 1


def test_permanent_failure_and_retry_later(database: Database, clock: FixedClock) -> None:
    worker = OutboxWorker(database, clock)
    worker.register("doomed", lambda payload: (_ for _ in ()).throw(PermanentFailure("no such thing")))
    calls: list[int] = []

    def waits(payload: dict[str, Any]) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RetryLater(5, "still in use")

    worker.register("patient", waits)
    with database.transaction() as connection:
        enqueue(connection, clock, "doomed", {})
        enqueue(connection, clock, "patient", {})
    worker.run_once()
    assert _statuses(database) == [("doomed", "failed", 1), ("patient", "pending", 0)]
    clock.advance(seconds=5)
    worker.run_once()
    assert _statuses(database) == [("doomed", "failed", 1), ("patient", "done", 1)]


def test_concurrent_workers_run_each_task_exactly_once(database: Database, clock: FixedClock) -> None:
    ran: list[int] = []
    lock = threading.Lock()

    def record(payload: dict[str, Any]) -> None:
        with lock:
            ran.append(payload["n"])

    workers = [OutboxWorker(database, clock, batch_size=5) for _ in range(3)]
    for worker in workers:
        worker.register("count", record)
    with database.transaction() as connection:
        for n in range(60):
            enqueue(connection, clock, "count", {"n": n})

    def drain(worker: OutboxWorker) -> None:
        while worker.run_once():
            pass

    threads = [threading.Thread(target=drain, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(ran) == list(range(60))


def test_a_task_running_past_its_lease_is_not_run_again_meanwhile(database: Database) -> None:
    """Its worker renews the leases of its batch while it runs, the task still queued behind it included (on
    SQLite a batch runs one task after another): another worker claims nothing until they are done."""
    clock = SystemClock()
    runs: list[tuple[str, float]] = []

    def slow(payload: dict[str, Any]) -> None:
        runs.append((payload["n"], time.monotonic()))
        if payload["n"] == "first":
            time.sleep(3.0)

    running, other = (OutboxWorker(database, clock, lease_seconds=1.0, poll_seconds=0.05) for _ in range(2))
    running.register("slow", slow)
    other.register("slow", slow)
    with database.transaction() as connection:
        enqueue(connection, clock, "slow", {"n": "first"})
        enqueue(connection, clock, "slow", {"n": "second"})
    running.start()
    try:
        wait_for(lambda: runs)
        while time.monotonic() < runs[0][1] + 2.8:  # almost three leases' time
            assert other.run_once() == 0
            time.sleep(0.05)
        wait_for(lambda: [status for _, status, _ in _statuses(database)] == ["done", "done"])
    finally:
        running.stop()
    assert sorted(name for name, _ in runs) == ["first", "second"]
    assert f"{running.worker_id}-leases" not in [thread.name for thread in threading.enumerate()]  # stopped too


def test_a_task_can_finish_in_its_own_transaction(database: Database, clock: FixedClock) -> None:
    worker = OutboxWorker(database, clock)
    committed: list[bool] = []

    def note(payload: dict[str, Any]) -> None:
        with database.transaction() as connection:
            finished = worker.finish_in(connection)
            if payload["fail"]:
                raise RuntimeError("the work failed: its completion rolls back with it")
        finished()
        committed.append(_statuses(database)[1] == ("note", "done", 1))  # done before the worker records it

    worker.register("note", note)
    assert worker.finish_in(None) is None  # outside a task there is nothing to finish
    with database.transaction() as connection:
        enqueue(connection, clock, "note", {"fail": True})
        enqueue(connection, clock, "note", {"fail": False})
    assert worker.run_once() == 2
    assert committed == [True]
    assert _statuses(database) == [("note", "pending", 1), ("note", "done", 1)]


def test_a_worker_wakes_the_moment_another_process_enqueues(database: Database, clock: FixedClock) -> None:
    if database.backend != "postgresql":
        pytest.skip("other processes announce their tasks through PostgreSQL's LISTEN/NOTIFY")
    ran = threading.Event()
    worker = OutboxWorker(database, clock, poll_seconds=60)  # polling alone would find the task in a minute
    worker.register("note", lambda payload: ran.set())
    worker.start()
    try:
        with database.transaction() as connection:  # as another process would: nothing wakes the worker directly
            enqueue(connection, clock, "note", {})
            announce(connection)
        assert ran.wait(5)
    finally:
        worker.stop()


def test_finished_tasks_leave_the_table_a_day_after(database: Database, clock: FixedClock) -> None:
    worker = OutboxWorker(database, clock)
    worker.register("note", lambda payload: None)
    worker.register("doomed", _fail_for_good)
    with database.transaction() as connection:
        enqueue(connection, clock, "note", {})
        enqueue(connection, clock, "doomed", {})
        enqueue(connection, clock, "later", {}, delay=7 * 86400)  # pending however old it gets
    assert worker.run_once() == 2
    clock.advance(hours=23)
    with database.transaction() as connection:
        enqueue(connection, clock, "note", {})
    assert worker.run_once() == 1
    drop_finished_tasks(database, clock)
    assert len(_statuses(database)) == 4
    clock.advance(hours=2)  # the first two finished 25 hours ago, the third 2 hours ago
    drop_finished_tasks(database, clock)
    assert _statuses(database) == [("later", "pending", 0), ("note", "done", 1)]


def _fail_for_good(_payload: dict[str, Any]) -> None:
    raise PermanentFailure("no use retrying")


def test_a_task_the_database_failed_is_run_again_without_counting_the_attempt(database: Database,
                                                                              clock: FixedClock) -> None:
    worker = OutboxWorker(database, clock, max_attempts=2)
    outages = iter([True, True, True])

    def meets_an_outage(payload: dict[str, Any]) -> None:
        if next(outages, False):  # as the database answers while it is down, or its disk full
            raise _outage_of(database)

    worker.register("patient", meets_an_outage)
    with database.transaction() as connection:
        enqueue(connection, clock, "patient", {})
    for _ in range(3):
        assert worker.run_once() == 1
        assert _statuses(database) == [("patient", "pending", 0)]  # not failed for good after two
        clock.advance(seconds=1.0)
    assert worker.run_once() == 1
    assert _statuses(database) == [("patient", "done", 1)]


def test_a_task_whose_outcome_the_database_could_not_take_gets_its_attempt_back(database: Database,
                                                                                 clock: FixedClock) -> None:
    """The database goes away while a task runs and is still away as the worker records the outcome: the next
    pass, once it is back, gives the task its attempt back and runs it — not a lease's length later, one attempt
    spent each time."""
    if database.backend != "postgresql":
        pytest.skip("the outage made here is PostgreSQL ending every session of the database")
    worker = OutboxWorker(database, clock, max_attempts=2)
    outages = iter([True])

    def meets_an_outage(payload: dict[str, Any]) -> None:
        if next(outages, False):  # every session ended, the worker's pooled one among them, as in a restart
            with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                              [database.engine.url.database])
            raise _outage_of(database)

    worker.register("patient", meets_an_outage)
    with database.transaction() as connection:
        enqueue(connection, clock, "patient", {})
    assert worker.run_once() == 1  # the outcome could not be written: no exception out of the pass
    with database.transaction(write=False) as connection:
        claimed_by, attempts = connection.execute(select(outbox.c.claimed_by, outbox.c.attempts)).one()
    assert (claimed_by, attempts) == (worker.worker_id, 1)  # still leased, the attempt still counted
    assert worker.run_once() == 1  # the attempt given back, then run again at once
    assert _statuses(database) == [("patient", "done", 1)]


def _outage_of(database: Database) -> Exception:
    if database.backend == "postgresql":
        return psycopg.errors.AdminShutdown()
    error = sqlite3.OperationalError("database or disk is full")
    error.sqlite_errorcode = sqlite3.SQLITE_FULL
    return error
