"""Finished outbox tasks leave the table a day after they finished, on a running server."""

from __future__ import annotations

from tests.e2e.waiting import wait_for


def _finished_up_to(server, last_id: int) -> list[int]:
    """The ids of finished tasks (done or failed) up to ``last_id``."""
    return server.read("SELECT id FROM outbox WHERE status <> 'pending' AND id <= :last ORDER BY id", last=last_id)


def _clean_ups(server) -> int:
    """How many clean-up tasks the outbox holds: each run leaves its own row and schedules the next."""
    return len(server.read("SELECT id FROM outbox WHERE kind = 'outbox.cleanup'"))


def test_tasks_finished_more_than_a_day_ago_are_deleted(clocked_server) -> None:
    server, offset = clocked_server
    finished = wait_for(lambda: _finished_up_to(server, 2**62))  # the periodic tasks run as the server starts
    runs = _clean_ups(server)
    try:
        offset.write_text(str(23 * 3600))  # the hourly clean-up is due, and the tasks are not a day old yet
        wait_for(lambda: _clean_ups(server) > runs)
        assert _finished_up_to(server, finished[-1]) == finished
        offset.write_text(str(2 * 86400))
        wait_for(lambda: not _finished_up_to(server, finished[-1]))
    finally:
        offset.write_text("0")
