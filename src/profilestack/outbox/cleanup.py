"""Finished tasks leave the outbox a day after they finished, so that the table holds what is left to do.

What a task did is recorded where it matters (the audit trail, metrics, the log); its row is only the queue's.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_

from profilestack.outbox.table import outbox
from profilestack.runtime import Clock
from profilestack.store.database import Database
from profilestack.store.pruning import prune

CLEANUP_TASK = "outbox.cleanup"
CLEANUP_EVERY = 3600.0
KEEP_FINISHED = timedelta(days=1)


def drop_finished_tasks(database: Database, clock: Clock) -> int:
    """Delete the tasks done or failed more than a day ago; how many went."""
    cutoff = clock.now() - KEEP_FINISHED
    return prune(database, outbox, and_(outbox.c.status != "pending", outbox.c.finished_at < cutoff))
