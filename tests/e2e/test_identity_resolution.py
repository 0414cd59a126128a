"""Identity resolution: a job runs when Matching is turned on, then weekly; GetMatches shows its match groups,
GetAutoMergingPreview what a consolidation would merge, and AutoMerging merges as the domain's role."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import Server
from tests.e2e.cli import AwsCli
from tests.e2e.errors import refused
from tests.e2e.identities import unique
from tests.e2e.waiting import wait_for


def _customers(profiles, domain: str) -> dict[str, str]:
    """Two documented kinds of duplicate (a misspelt name with an email in other case and punctuation; one phone
    number in two formats) and someone else."""
    people = {
        "john": {"FirstName": "John", "LastName": "Doe", "EmailAddress": "JOHN_DOE@ANYCOMPANY.COM"},
        "jhn": {"FirstName": "Jhn", "LastName": "Doe", "EmailAddress": "johndoe@anycompany.com",
                "BirthDate": "1980-02-03"},
        "ann": {"FirstName": "Ann", "LastName": "Lee", "PhoneNumber": "555-010-0000"},
        "ann_mobile": {"FirstName": "ann", "LastName": "LEE", "MobilePhoneNumber": "+1-555-010-0000"},
        "bob": {"FirstName": "Bob", "LastName": "Ray", "EmailAddress": "bob@example.com"},
    }
    return {name: profiles.create_profile(DomainName=domain, **fields)["ProfileId"] for name, fields in people.items()}


def _completed_job(profiles, domain: str) -> dict:
    def completed() -> dict | None:
        jobs = profiles.list_identity_resolution_jobs(DomainName=domain)["IdentityResolutionJobsList"]
        return next((job for job in jobs if job["Status"] in ("COMPLETED", "FAILED")), None)

    job = wait_for(completed, timeout=30)
    return profiles.get_identity_resolution_job(DomainName=domain, JobId=job["JobId"])


def test_turning_matching_on_runs_a_job_whose_matches_get_matches_shows(server: Server) -> None:
    profiles = server.client("customer-profiles")
    domain = unique("idres")
    profiles.create_domain(DomainName=domain, DefaultExpirationDays=30)
    assert refused(profiles.get_matches, DomainName=domain)[0] == "BadRequestException"
    ids = _customers(profiles, domain)
    profiles.update_domain(DomainName=domain, Matching={
        "Enabled": True, "JobSchedule": {"DayOfTheWeek": "MONDAY", "Time": "9:30"}})

    job = _completed_job(profiles, domain)
    assert job["Status"] == "COMPLETED"
    assert job["JobStats"] == {"NumberOfProfilesReviewed": 5, "NumberOfMatchesFound": 2, "NumberOfMergesDone": 0}
    assert job["JobExpirationTime"] - job["JobEndTime"] == timedelta(days=30)
    (pending,) = [item for item in profiles.list_identity_resolution_jobs(DomainName=domain)[
        "IdentityResolutionJobsList"] if item["Status"] == "PENDING"]
    start = pending["JobStartTime"].astimezone(UTC)
    assert (start.strftime("%A %H:%M"), start > datetime.now(UTC), start - datetime.now(UTC) <= timedelta(days=7)) == (
        "Monday 09:30", True, True)

    found = profiles.get_matches(DomainName=domain)
    assert found["PotentialMatches"] == 2 and "MatchGenerationDate" in found
    by_ids = {tuple(match["ProfileIds"]): match["ConfidenceScore"] for match in found["Matches"]}
    assert by_ids == {tuple(sorted([ids["john"], ids["jhn"]])): pytest.approx(0.5 + 0.5 * 14 / 15, abs=1e-4),
                      tuple(sorted([ids["ann"], ids["ann_mobile"]])): 1.0}
    first = profiles.get_matches(DomainName=domain, MaxResults=1)
    assert len(first["Matches"]) == 1 and "NextToken" in first
    second = profiles.get_matches(DomainName=domain, MaxResults=1, NextToken=first["NextToken"])
    assert (second["PotentialMatches"], "NextToken" in second) == (2, False)
    assert first["Matches"] + second["Matches"] == found["Matches"]  # in match id order, page after page
    similar = profiles.get_similar_profiles(DomainName=domain, MatchType="ML_BASED_MATCHING", SearchKey="_email",
                                            SearchValue="johndoe@anycompany.com")
    assert (similar["ProfileIds"], similar["ConfidenceScore"], "RuleLevel" in similar) == (
        sorted([ids["john"], ids["jhn"]]), by_ids[tuple(sorted([ids["john"], ids["jhn"]]))], False)
    by_match = profiles.get_similar_profiles(DomainName=domain, MatchType="ML_BASED_MATCHING", SearchKey="MatchId",
                                             SearchValue=similar["MatchId"])
    assert (by_match["ProfileIds"], by_match["MatchId"]) == (similar["ProfileIds"], similar["MatchId"])
    assert refused(profiles.get_similar_profiles, DomainName=domain, MatchType="ML_BASED_MATCHING",
                   SearchKey="MatchId", SearchValue="0" * 64)[0] == "ResourceNotFoundException"
    assert refused(profiles.get_similar_profiles, DomainName=domain, MatchType="ML_BASED_MATCHING",
                    SearchKey="_profileId", SearchValue=ids["bob"])[0] == "ResourceNotFoundException"

    recency = {"ConflictResolvingModel": "RECENCY"}
    preview = profiles.get_auto_merging_preview(DomainName=domain, Consolidation={
        "MatchingAttributesList": [["FirstName", "LastName"]]}, ConflictResolution=recency)
    assert (preview["NumberOfMatchesInSample"], preview["NumberOfProfilesInSample"],
            preview["NumberOfProfilesWillBeMerged"]) == (2, 4, 2)  # Ann and ann; John and Jhn differ
    sure = profiles.get_auto_merging_preview(DomainName=domain, Consolidation={
        "MatchingAttributesList": [["LastName"]]}, ConflictResolution=recency, MinAllowedConfidenceScoreForMerging=0.99)
    assert sure["NumberOfProfilesWillBeMerged"] == 2  # the Does' match is 97% sure
    assert len(profiles.batch_get_profile(DomainName=domain, ProfileIds=list(ids.values()))["Profiles"]) == 5

    profiles.update_domain(DomainName=domain, Matching={"Enabled": False})
    jobs = profiles.list_identity_resolution_jobs(DomainName=domain)["IdentityResolutionJobsList"]
    assert [item["Status"] for item in jobs] == ["COMPLETED"]  # the pending job went with the setting
    assert refused(profiles.get_matches, DomainName=domain)[0] == "BadRequestException"
    assert refused(profiles.get_identity_resolution_job, DomainName=domain, JobId="0" * 32)[0] == (
        "ResourceNotFoundException")


def test_auto_merging_merges_the_profiles_consolidation_links_as_the_domains_role(server: Server) -> None:
    profiles = server.client("customer-profiles")
    domain = unique("automerge")
    profiles.create_domain(DomainName=domain, DefaultExpirationDays=30)
    ids = _customers(profiles, domain)
    auto_merging = {"Enabled": True, "Consolidation": {"MatchingAttributesList": [["FirstName", "LastName"]]},
                    "ConflictResolution": {"ConflictResolvingModel": "RECENCY"}}
    profiles.update_domain(DomainName=domain, Matching={"Enabled": True, "AutoMerging": auto_merging})

    job = _completed_job(profiles, domain)
    assert (job["Status"], job["JobStats"]["NumberOfMergesDone"], job["AutoMerging"]) == ("COMPLETED", 1,
                                                                                          auto_merging)
    found = {profile["ProfileId"]: profile for profile in profiles.batch_get_profile(
        DomainName=domain, ProfileIds=list(ids.values()))["Profiles"]}
    assert set(found) == {ids["john"], ids["jhn"], ids["ann"], ids["bob"]}  # ann_mobile was merged into ann
    assert (found[ids["ann"]]["PhoneNumber"], found[ids["ann"]]["MobilePhoneNumber"]) == ("555-010-0000",
                                                                                          "+1-555-010-0000")
    assert found[ids["ann"]]["FirstName"] == "ann"  # the more recently updated profile's
    records = profiles.list_profile_history_records(DomainName=domain, ProfileId=ids["ann"])["ProfileHistoryRecords"]
    merged = next(record for record in records if record["ActionType"] == "MERGED")
    assert "assumed-role/AWSServiceRoleForProfile_" in merged["PerformedBy"]


def test_the_readmes_identity_resolution_commands_through_the_aws_cli(server: Server) -> None:
    aws = AwsCli(server.endpoint)
    domain = unique("clires")
    aws("customer-profiles", "create-domain", "--domain-name", domain, "--default-expiration-days", "30")
    ids = _customers(server.client("customer-profiles"), domain)
    aws("customer-profiles", "update-domain", "--domain-name", domain, "--matching", json.dumps({
        "Enabled": True, "AutoMerging": {"Enabled": True,
                                         "Consolidation": {"MatchingAttributesList": [["FirstName", "LastName"]]},
                                         "ConflictResolution": {"ConflictResolvingModel": "RECENCY"}}}))
    jobs = wait_for(lambda: (listed := aws("customer-profiles", "list-identity-resolution-jobs", "--domain-name",
                                           domain)["IdentityResolutionJobsList"])[-1]["Status"] == "COMPLETED"
                    and listed)
    assert [job["Status"] for job in jobs] == ["PENDING", "COMPLETED"]  # newest start first
    matches = aws("customer-profiles", "get-matches", "--domain-name", domain)["Matches"]
    assert sorted(match["ProfileIds"] for match in matches) == sorted(
        [sorted([ids["john"], ids["jhn"]]), sorted([ids["ann"], ids["ann_mobile"]])])
