"""How the server's and the worker's processes log: one line format, and no stored values in it.

The engine hides the values SQLAlchemy bound to a statement that failed (store/engine.py); PostgreSQL adds its own
account of a row it refused for a NOT NULL or CHECK constraint — "Failing row contains (…)", every column's value,
a secret access key's or an MFA seed's among them — which this formatter withholds from every message and
traceback it writes.
"""

from __future__ import annotations

import logging
import re

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
