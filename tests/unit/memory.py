"""How much memory a piece of work leaves behind, for tests that callers' made-up names are not kept."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable


def bytes_kept(work: Callable[[], None]) -> int:
    """The memory still held after ``work`` ran (run it once before, so what is built once is built already)."""
    tracemalloc.start()
    try:
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        work()
        gc.collect()  # refusals' tracebacks are cycles: they wait for the collector
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
