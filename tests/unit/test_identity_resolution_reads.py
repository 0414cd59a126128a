"""Reading the latest identity resolution job's groups without holding them all: GetAutoMergingPreview samples
at most PREVIEW_SAMPLE of them, GetSimilarProfiles reads them a thousand at a time until it finds a profile's."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from sqlalchemy import insert

from profilestack.services.profiles.identity_resolution import (
    PREVIEW_SAMPLE,
    get_auto_merging_preview,
    latest_match,
)
from profilestack.services.profiles.tables import (
    profile_identity_resolution_jobs,
    profile_matches,
)
from profilestack.store.database import Database
from tests.unit.domains import insert_domain

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def _preview(database: Database) -> dict:
    with database.transaction() as connection:
        ctx = SimpleNamespace(db=connection, account="000000000000", region="us-east-1")
        return get_auto_merging_preview(ctx, {"DomainName": "sampled", "Consolidation": {
            "MatchingAttributesList": [["LastName"]]}, "ConflictResolution": {"ConflictResolvingModel": "RECENCY"}})


def _domain(database: Database) -> int:
    with database.transaction() as connection:
        return insert_domain(connection, "sampled", matching={"Enabled": True}).id


def _job(database: Database, domain_id: int, groups: int) -> None:
    """A completed job whose group ``index`` holds profiles ``2 * index`` and ``2 * index + 1`` (in hex)."""
    with database.transaction() as connection:
        connection.execute(insert(profile_identity_resolution_jobs).values(
            domain_id=domain_id, id="j" * 32, status="COMPLETED", start_time=NOW, end_time=NOW, updated_at=NOW,
            matches_found=groups))
        connection.execute(insert(profile_matches), [
            {"domain_id": domain_id, "job_id": "j" * 32, "match_id": f"{index:064x}",
             "profile_ids": [f"{2 * index:032x}", f"{2 * index + 1:032x}"], "confidence": 0.9}
            for index in range(groups)])


def test_the_preview_samples_the_latest_jobs_groups(database: Database) -> None:
    domain_id = _domain(database)
    assert _preview(database)["NumberOfMatchesInSample"] == 0  # no job has completed
    _job(database, domain_id, PREVIEW_SAMPLE + 5)
    preview = _preview(database)
    assert (preview["NumberOfMatchesInSample"], preview["NumberOfProfilesInSample"]) == (
        PREVIEW_SAMPLE, 2 * PREVIEW_SAMPLE)


def test_a_profiles_group_is_found_however_far_into_the_groups(database: Database) -> None:
    domain_id = _domain(database)
    with database.transaction() as connection:
        assert latest_match(connection, domain_id, profile_ids=[f"{1:032x}"]) is None  # no job yet
    _job(database, domain_id, 2500)
    with database.transaction() as connection:
        for index in (0, 1999, 2499):  # in the first thousand read, the second, the last
            found = latest_match(connection, domain_id, profile_ids=["f" * 32, f"{2 * index + 1:032x}"])
            assert found is not None and found.match_id == f"{index:064x}"
        assert latest_match(connection, domain_id, profile_ids=[f"{5000:032x}"]) is None
        assert latest_match(connection, domain_id, match_id=f"{7:064x}").profile_ids == [f"{14:032x}", f"{15:032x}"]
