"""Waiting for what a server does in the background (outbox tasks, the audit writer)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(condition: Callable[[], T], timeout: float = 30.0, interval: float = 0.05) -> T:
    """The condition's first truthy value; AssertionError if it has none within ``timeout`` seconds. The default
    leaves room for a machine busy with the suite's parallel processes: a clock moved 16 days ahead once took a
    server more than 10 s to run the periodic tasks that fell due."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
