"""``kill -USR1 <pid>``: every thread of a server or worker process writes its stack to the log (stderr), to see
what a process that seems stuck is doing without stopping it."""

from __future__ import annotations

import faulthandler
import signal
import sys


def dump_stacks_on_sigusr1() -> None:
    if hasattr(signal, "SIGUSR1"):  # not on Windows
        faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True)
