"""profilestack's commands refuse settings they cannot run with in one line, before they start anything."""

from __future__ import annotations

import pytest

from tests.e2e.cli import profilestack


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
