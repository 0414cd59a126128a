"""profilestack backup: a consistent copy of the SQLite database taken while the server runs, from which a server
starts again with everything — domains, profiles, their service-linked roles."""

from __future__ import annotations

import subprocess
from functools import partial
from pathlib import Path

from tests.conftest import dedicated_server
from tests.e2e.cli import PROFILESTACK, files_of_at_most, profilestack
from tests.e2e.identities import unique


def _backup(*args: str) -> subprocess.CompletedProcess[str]:
    return profilestack("backup", *args)


def test_a_backup_taken_while_serving_restores_everything(tmp_path: Path) -> None:
    copy, domain, live = tmp_path / "copy.db", unique("kept"), tmp_path / "live"
    live.mkdir()
    with dedicated_server(live) as server:
        profiles = server.client("customer-profiles")
        profiles.create_domain(DomainName=domain, DefaultExpirationDays=30)
        profile_id = profiles.create_profile(DomainName=domain, FirstName="Ada")["ProfileId"]
        answer = _backup(str(copy), "--data-dir", str(live))
        assert answer.returncode == 0 and f"to {copy}" in answer.stdout, answer.stderr
        refused = _backup(str(copy), "--data-dir", str(live))
        assert refused.returncode == 2 and "does not overwrite" in refused.stderr
        nowhere = tmp_path / "missing" / "copy.db"
        unwritable = _backup(str(nowhere), "--data-dir", str(live))
        assert (unwritable.returncode, unwritable.stderr.strip()) == (
            2, f"{nowhere} cannot be written: unable to open database file.")
        full = tmp_path / "full.db"  # a disk that fills up: the process may write files of 16 KB at most
        cut_short = subprocess.run([*PROFILESTACK, "backup", str(full), "--data-dir", str(live)], capture_output=True,
                                   text=True, timeout=120, preexec_fn=partial(files_of_at_most, 16 * 1024))
        assert cut_short.returncode == 1 and "Traceback" not in cut_short.stderr, cut_short.stderr
        assert cut_short.stderr.startswith(f"{full} could not be written whole, and is removed: ")
        assert not full.exists()  # no part of a copy left to be taken for one
        profiles.create_profile(DomainName=domain, FirstName="Later")  # after the backup: not in it

    restored = tmp_path / "restored"
    restored.mkdir()
    copy.rename(restored / "profilestack.db")
    with dedicated_server(restored) as server:
        profiles = server.client("customer-profiles")
        assert profiles.get_domain(DomainName=domain)["Stats"]["ProfileCount"] == 1
        [found] = profiles.search_profiles(DomainName=domain, KeyName="_profileId", Values=[profile_id])["Items"]
        assert found["FirstName"] == "Ada"
        roles = server.client("iam").list_roles(PathPrefix="/aws-service-role/profile.amazonaws.com/")["Roles"]
        assert any(domain in (role.get("Description") or "") for role in roles)


def test_a_backup_needs_a_sqlite_database(tmp_path: Path) -> None:
    answer = _backup(str(tmp_path / "x.db"), "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert answer.returncode == 2 and "pg_dump" in answer.stderr
    answer = _backup(str(tmp_path / "x.db"), "--data-dir", str(tmp_path / "empty"))
    assert answer.returncode == 2 and "There is no database at" in answer.stderr
    assert not (tmp_path / "x.db").exists()


def test_doctor_reports_a_damaged_database_file(tmp_path: Path) -> None:
    """After a machine's crash or a disk's fault: what SQLite's check finds, and what to do about it, before the
    domains and roles are looked at (which a damaged file could not answer)."""
    with dedicated_server(tmp_path) as server:
        profiles, domain = server.client("customer-profiles"), unique("damaged")
        profiles.create_domain(DomainName=domain, DefaultExpirationDays=30)
        for index in range(300):
            profiles.create_profile(DomainName=domain, FirstName=f"n{index}", AccountNumber=f"a{index}")
    assert profilestack("doctor", "--data-dir", str(tmp_path)).returncode == 0
    database = tmp_path / "profilestack.db"
    pages = database.stat().st_size // 4096
    with database.open("r+b") as file:  # ten pages near the end, where the profiles are, overwritten in part
        for page in range(pages - 40, pages - 30):
            file.seek(page * 4096 + 200)
            file.write(b"\x07" * 1000)
    doctor = profilestack("doctor", "--data-dir", str(tmp_path))
    assert doctor.returncode == 1 and "Traceback" not in doctor.stderr
    assert doctor.stdout.startswith("database damaged: ")
    assert doctor.stdout.strip().endswith("restore a copy 'profilestack backup' took, or recover what SQLite can "
                                          "read with its shell's .recover")
    assert "drift" not in doctor.stdout
