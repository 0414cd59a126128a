"""The moved clock the end-to-end tests drive through a file (PROFILESTACK_CLOCK_OFFSET_FILE)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from profilestack.runtime import OffsetFileClock


def _offset(clock: OffsetFileClock) -> timedelta:
    return clock.now() - datetime.now(UTC)


def test_a_rewritten_offset_is_seen_and_an_emptied_file_keeps_the_last_one(tmp_path: Path) -> None:
    path = tmp_path / "offset"
    path.write_text(str(2 * 86400))
    clock = OffsetFileClock(str(path))
    assert abs(_offset(clock) - timedelta(days=2)) < timedelta(seconds=5)
    path.write_text("")  # as between a writer's truncation and its write
    assert abs(_offset(clock) - timedelta(days=2)) < timedelta(seconds=5)
    path.write_text(str(91 * 86400))
    assert abs(_offset(clock) - timedelta(days=91)) < timedelta(seconds=5)


def test_a_first_reading_that_finds_the_file_mid_rewrite_waits_for_its_offset(tmp_path: Path) -> None:
    """Before any offset has been read there is none to keep: a file found empty is read again until written."""
    path = tmp_path / "offset"
    path.write_text("")  # truncated by a writer whose write comes 10 ms later
    writer = threading.Timer(0.01, lambda: path.write_text(str(30 * 86400)))
    writer.start()
    try:
        assert abs(_offset(OffsetFileClock(str(path))) - timedelta(days=30)) < timedelta(seconds=5)
    finally:
        writer.join()


def test_threads_reading_while_the_file_is_rewritten_never_see_the_clock_unmoved(tmp_path: Path) -> None:
    """Every reading is one of the offsets written, never the real time a half-written file would give."""
    path = tmp_path / "offset"
    path.write_text(str(100 * 86400))
    clock = OffsetFileClock(str(path))
    seen: list[timedelta] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            seen.append(_offset(clock))

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    for index in range(300):
        path.write_text(str((100 + index % 2) * 86400))
    done.set()
    for reader in readers:
        reader.join()
    assert seen and min(seen) > timedelta(days=99)
