"""A server process of ``serve --workers N`` publishes its counts for the others every second: through a disk that
cannot take the file for a while, it keeps trying, and publishes again once it can."""

from __future__ import annotations

import json
import os
import threading

from profilestack.server_metrics import PUBLISH_EVERY, ServerMetrics
from tests.e2e.waiting import wait_for


def test_counts_not_published_for_a_while_are_published_once_the_file_can_be_written(tmp_path, caplog) -> None:
    shared = tmp_path / "shared"  # not there yet: every write fails, as on a full disk
    died: list[threading.ExceptHookArgs] = []
    previous, threading.excepthook = threading.excepthook, died.append
    metrics = ServerMetrics(None, lambda: 7, shared)  # type: ignore[arg-type]  # no scrape: no database read
    metrics.start()
    try:
        wait_for(lambda: "could not publish this process's counts" in caplog.text, timeout=5 * PUBLISH_EVERY)
        shared.mkdir()
        published = shared / f"{os.getpid()}.json"
        wait_for(published.exists, timeout=5 * PUBLISH_EVERY)
        assert json.loads(published.read_text())["waiting"] == 7
    finally:
        metrics.close()
        threading.excepthook = previous
    assert died == []  # the publisher's thread lived through it
