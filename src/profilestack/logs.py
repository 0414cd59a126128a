"""How the server's and the worker's processes log: one line format, and no stored values in it.

The engine hides the values SQLAlchemy bound to a statement that failed (store/engine.py); PostgreSQL adds its own
account of a row it refused for a NOT NULL or CHECK constraint — "Failing row contains (…)", every column's value,
a secret access key's or an MFA seed's among them — which this formatter withholds from every message and
traceback it writes.
"""

from __future__ import annotations

import logging
import re
import threading
import time

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_FAILING_ROW = re.compile(r"(Failing row contains ).*$", re.MULTILINE)


class WithoutRowValues(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return _FAILING_ROW.sub(r"\1(values withheld)", super().format(record))


def configure(level: str) -> None:
    """Log at ``level`` and above to standard error (once per process: a process already set up keeps its own)."""
    handler = logging.StreamHandler()
    handler.setFormatter(WithoutRowValues(FORMAT))
    logging.basicConfig(level=level.upper(), handlers=[handler])


class Recurring:
    """A warning that comes again and again while a condition lasts (the database out of reach: every call says
    so): logged when first met, then at most once every ``every`` seconds, naming how many it stood for."""

    def __init__(self, logger: logging.Logger, every: float = 10.0) -> None:
        self._logger = logger
        self._every = every
        self._lock = threading.Lock()
        self._next_at = 0.0
        self._unsaid = 0

    def warning(self, message: str, *args: object) -> None:
        with self._lock:
            now = time.monotonic()
            if now < self._next_at:
                self._unsaid += 1
                return
            unsaid, self._unsaid, self._next_at = self._unsaid, 0, now + self._every
        if unsaid:
            message = f"{message} (and {unsaid} more like it since this was last logged)"
        self._logger.warning(message, *args)
