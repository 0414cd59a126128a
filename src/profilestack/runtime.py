"""Injectable time and identifier providers, so tests can pin both."""

from __future__ import annotations

import itertools
import random
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


REWRITE_WAIT_SECONDS = 0.05


class OffsetFileClock:
    """The system clock moved by the number of seconds written in a file (re-read when the file changes).

    A testing aid for expiry (temporary credentials, retention), configured by the operator
    through ``PROFILESTACK_CLOCK_OFFSET_FILE``; nothing on the wire can move it.
    """

    def __init__(self, path: str) -> None:
        self._path = Path(path)
        self._stamp: tuple[int, int] | None = None
        self._offset = timedelta()
        self._lock = threading.Lock()  # the stamp and the offset change together, whichever thread reads first

    def now(self) -> datetime:
        with self._lock:
            try:
                status = self._path.stat()
                stamp = (status.st_mtime_ns, status.st_size)
                if stamp != self._stamp:
                    text = self._written_text()
                    # Still empty: the offset read before stays (none yet: no offset), and the file is read again
                    # next time (the write may leave the same coarse mtime behind).
                    self._stamp = stamp if text else None
                    if text:
                        self._offset = timedelta(seconds=float(text))
            except (OSError, ValueError):
                self._offset = timedelta()
            return datetime.now(UTC) + self._offset

    def _written_text(self) -> str:
        """The file's text. One found empty is being rewritten, caught between its truncation and the write that
        follows at once: it is read again, for up to REWRITE_WAIT_SECONDS, rather than taken for "no offset"."""
        deadline = time.monotonic() + REWRITE_WAIT_SECONDS
        while True:
            text = self._path.read_text().strip()
            if text or time.monotonic() >= deadline:
                return text
            time.sleep(0.0005)


class FixedClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)


class Ids:
    """AWS-looking identifiers: request ids, unique ids with IAM's prefixes, secrets.

    Resource ids need uniqueness, not secrecy, so they come from a fast PRNG (os.urandom costs more
    than the rest of a request); secrets use ``secrets``. The two ids every call takes (its request id
    and its audit event id) are cheaper still: a random prefix drawn once per process, then a counter.
    """

    def __init__(self) -> None:
        self._random = random.Random(secrets.randbits(128))
        self._call_prefix = self.uuid()[:24]  # 8-4-4-4 hex digits and the last group's dash
        self._calls = itertools.count(self._random.getrandbits(40))  # next() on a count is atomic under the GIL

    def hex32(self) -> str:
        """A random version-4 UUID's 32 hex digits (formatted directly: uuid.UUID() costs several µs)."""
        value = (self._random.getrandbits(128) & ~(0xF000 << 64) & ~(0xC000 << 48)) | (0x4000 << 64) | (0x8000 << 48)
        return f"{value:032x}"

    def uuid(self) -> str:
        text = self.hex32()
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"

    def call_id(self) -> str:
        """A request or audit event id: UUID-shaped, unique across this process's calls and (with 2^-74 odds of
        a clash between two processes' prefixes) across processes."""
        return f"{self._call_prefix}{next(self._calls):012x}"

    request_id = call_id

    def unique_id(self, prefix: str, length: int = 21) -> str:
        """IAM-style ids: ``AIDA…`` users, ``AROA…`` roles, ``AKIA…``/``ASIA…`` keys."""
        body = "".join(secrets.choice(_ID_ALPHABET) for _ in range(length - len(prefix)))
        return prefix + body

    def secret(self, length: int = 40) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        return "".join(secrets.choice(alphabet) for _ in range(length))
