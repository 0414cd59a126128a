"""profilestack's commands refuse settings they cannot run with in one line, before they start anything."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from profilestack.store.migrations import HEAD_REVISION
from tests.e2e.cli import PROFILESTACK, profilestack
from tests.e2e.waiting import wait_for


@pytest.mark.parametrize(("args", "env", "said"), [
    (["serve", "--port", "99999"], {}, "port: 99999 is out of range (from 1 to 65535)"),
    (["serve", "--workers", "0"], {}, "workers: 0 is out of range (1 or more)"),
    (["migrate"], {"PROFILESTACK_AUDIT_RETENTION_DAYS": "ninety"},
     "PROFILESTACK_AUDIT_RETENTION_DAYS: 'ninety' is not a whole number"),
    (["serve"], {"PROFILESTACK_LOG_LEVEL": "verbose"},
     "log_level: 'verbose' is none of critical, error, warning, info, debug"),
    (["worker"], {"PROFILESTACK_OUTBOX_WORKER": "maybe"},
     "PROFILESTACK_OUTBOX_WORKER: 'maybe' is neither true nor false (1, true, yes, on; 0, false, no, off)"),
])
def test_a_setting_out_of_range_or_of_the_wrong_kind_stops_a_command_with_one_line(
        tmp_path, args: list[str], env: dict[str, str], said: str) -> None:
    answer = profilestack(*args, "--data-dir", str(tmp_path / "data"), cwd=tmp_path, env=env)
    assert (answer.returncode, answer.stderr.strip()) == (1, f"profilestack: error: {said}")  # before, tracebacks
    assert not (tmp_path / "data").exists()  # refused before any database was made


def test_the_log_level_is_a_flag_of_the_long_running_commands(tmp_path) -> None:
    """``--log-level`` over ``PROFILESTACK_LOG_LEVEL``: at info a worker says what it does as it starts (its
    migrations); at the default, warning, it says nothing of it."""
    said = {}
    for flags in (["--log-level", "INFO"], []):
        data = tmp_path / ("info" if flags else "default")
        worker = subprocess.Popen([*PROFILESTACK, "worker", *flags, "--data-dir", str(data)], stderr=subprocess.PIPE,
                                  text=True, cwd=tmp_path, env={**os.environ, "PROFILESTACK_LOG_LEVEL": "warning"})
        try:
            wait_for(lambda data=data: _migrated(data / "profilestack.db"), timeout=60)
        finally:
            worker.terminate()
            said[bool(flags)] = worker.communicate(timeout=30)[1]
    assert " INFO alembic.runtime.migration: " in said[True]
    assert " INFO " not in said[False]
    refused = profilestack("serve", "--log-level", "verbose", cwd=tmp_path)
    assert refused.returncode == 2 and "argument --log-level: invalid choice: 'verbose'" in refused.stderr


def _migrated(database: Path) -> bool:
    """Whether a process has given the database its schema (it logs its migrations as it does)."""
    if not database.exists():
        return False
    try:
        with sqlite3.connect(database) as connection:
            return connection.execute("SELECT version_num FROM alembic_version").fetchone() == (HEAD_REVISION,)
    except sqlite3.OperationalError:  # not made yet
        return False
