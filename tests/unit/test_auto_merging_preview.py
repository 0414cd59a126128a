"""GetAutoMergingPreview samples the latest job's groups: at most PREVIEW_SAMPLE of them, however many it found."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from sqlalchemy import insert

from profilestack.services.profiles.identity_resolution import PREVIEW_SAMPLE, get_auto_merging_preview
from profilestack.services.profiles.tables import (
    profile_domains,
    profile_identity_resolution_jobs,
    profile_matches,
)
from profilestack.store.database import Database

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def _preview(database: Database) -> dict:
    with database.transaction() as connection:
        ctx = SimpleNamespace(db=connection, account="000000000000", region="us-east-1")
        return get_auto_merging_preview(ctx, {"DomainName": "sampled", "Consolidation": {
            "MatchingAttributesList": [["LastName"]]}, "ConflictResolution": {"ConflictResolvingModel": "RECENCY"}})


def test_the_preview_samples_the_latest_jobs_groups(database: Database) -> None:
    with database.transaction() as connection:
        domain_id = connection.execute(insert(profile_domains).values(
            account_id="000000000000", region="us-east-1", name="sampled", arn="arn:sampled",
            default_expiration_days=30, created_at=NOW, updated_at=NOW, matching={"Enabled": True})
        ).inserted_primary_key[0]
    assert _preview(database)["NumberOfMatchesInSample"] == 0  # no job has completed
    groups = PREVIEW_SAMPLE + 5
    with database.transaction() as connection:
        connection.execute(insert(profile_identity_resolution_jobs).values(
            domain_id=domain_id, id="j" * 32, status="COMPLETED", start_time=NOW, end_time=NOW, updated_at=NOW,
            matches_found=groups))
        connection.execute(insert(profile_matches), [
            {"domain_id": domain_id, "job_id": "j" * 32, "match_id": f"{index:064x}",
             "profile_ids": [f"{2 * index:032x}", f"{2 * index + 1:032x}"], "confidence": 0.9}
            for index in range(groups)])
    preview = _preview(database)
    assert (preview["NumberOfMatchesInSample"], preview["NumberOfProfilesInSample"]) == (
        PREVIEW_SAMPLE, 2 * PREVIEW_SAMPLE)
