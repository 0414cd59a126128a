"""What profilestack keeps on disk — the SQLite database with secret keys and customers' data, its backups — is
readable by the user running it alone, whatever the umask it was started with."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tests.conftest import Server
from tests.e2e.cli import profilestack


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_and_its_backups_are_private_to_their_owner(tmp_path: Path) -> None:
    data_dir = tmp_path / "new" / "data"
    previous = os.umask(0o022)  # a permissive umask, as most shells have: the server must not rely on it
    try:
        server = Server(data_dir=data_dir)
        server.start()
        try:
            server.client("customer-profiles").create_domain(DomainName="private", DefaultExpirationDays=7)
            database = data_dir / "profilestack.db"
            assert mode(data_dir) == 0o700
            assert mode(database) == 0o600
            assert mode(data_dir / "profilestack.db-wal") == 0o600
            backup = tmp_path / "copy.db"
            answer = profilestack("backup", str(backup), "--data-dir", str(data_dir))
            assert answer.returncode == 0, answer.stderr
            assert mode(backup) == 0o600
        finally:
            server.stop()
        # a database left readable by all (as versions before this one made it) is made private at the next start
        database.chmod(0o644)
        server.start()
        try:
            assert server.client("customer-profiles").list_domains()["Items"][0]["DomainName"] == "private"
            assert mode(database) == 0o600
        finally:
            server.stop()
    finally:
        os.umask(previous)


def test_a_data_directory_profilestack_makes_is_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "made" / "by" / "profilestack"
    previous = os.umask(0o022)
    try:
        answer = profilestack("migrate", "--data-dir", str(data_dir))
    finally:
        os.umask(previous)
    assert answer.returncode == 0, answer.stderr
    assert mode(data_dir) == 0o700 and mode(data_dir / "profilestack.db") == 0o600
