"""Clean-up tasks: old rows deleted a time budget at a time, and finished tasks leaving the outbox.

Finished tasks leave the outbox a day after they finished, so that the table holds what is left to do: what a task
did is recorded where it matters (the audit trail, metrics, the log); its row is only the queue's.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import ColumnElement, Table, and_

from profilestack.outbox.table import outbox
from profilestack.outbox.worker import RetryLater
from profilestack.runtime import Clock
from profilestack.store.database import Database
from profilestack.store.pruning import prune

CLEANUP_TASK = "outbox.cleanup"
CLEANUP_EVERY = 3600.0
KEEP_FINISHED = timedelta(days=1)
AGAIN_AFTER = 1.0  # seconds: the other tasks run before a clean-up that ran out of time goes on


def prune_in_task(database: Database, table: Table, condition: ColumnElement[bool], in_key_order: bool = True) -> None:
    """Delete old rows within one task run's budget; when rows are left, the task runs again shortly rather than
    holding up the tasks queued behind it."""
    if not prune(database, table, condition, in_key_order=in_key_order):
        raise RetryLater(AGAIN_AFTER, f"more rows of {table.name} to delete")


def drop_finished_tasks(database: Database, clock: Clock) -> None:
    """Delete the tasks done or failed more than a day ago."""
    cutoff = clock.now() - KEEP_FINISHED
    prune_in_task(database, outbox, and_(outbox.c.status != "pending", outbox.c.finished_at < cutoff))
