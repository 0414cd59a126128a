"""Rule-based merging: profiles grouped at a rule level up to MaxAllowedRuleLevelForMerging become one, on their own,
merged by the domain's service-linked role."""

from __future__ import annotations

import json

from tests.conftest import Server
from tests.e2e.identities import unique
from tests.e2e.waiting import wait_for

RULES = [{"Rule": ["EmailAddress"]}, {"Rule": ["FirstName", "LastName"]}]


def _existing(profiles, domain: str, *ids: str) -> list[str]:
    return [found["ProfileId"] for found in profiles.batch_get_profile(DomainName=domain, ProfileIds=list(ids))
            ["Profiles"]]


def _actions(profiles, domain: str, profile_id: str) -> dict[str, str]:
    records = profiles.list_profile_history_records(DomainName=domain, ProfileId=profile_id)["ProfileHistoryRecords"]
    return {record["ActionType"]: record.get("PerformedBy", "") for record in records}


def test_profiles_matched_at_a_merging_level_become_the_oldest_with_the_newest_values(server: Server) -> None:
    profiles = server.client("customer-profiles")
    domain = unique("merging")
    profiles.create_domain(DomainName=domain, DefaultExpirationDays=30, RuleBasedMatching={
        "Enabled": True, "MatchingRules": RULES, "MaxAllowedRuleLevelForMerging": 1,
        "ConflictResolution": {"ConflictResolvingModel": "RECENCY"}})
    older = profiles.create_profile(DomainName=domain, FirstName="Ann", EmailAddress="ann@example.com",
                                    PhoneNumber="+15550001", Attributes={"tier": "gold", "since": "2020"})["ProfileId"]
    newer = profiles.create_profile(DomainName=domain, LastName="Lee", EmailAddress=" ANN@example.com",
                                    PhoneNumber="+15550002", Attributes={"tier": "silver"})["ProfileId"]
    # the same name only: a group at level 2, over the merging level
    bob = [profiles.create_profile(DomainName=domain, FirstName=first, LastName=last, EmailAddress=email)["ProfileId"]
           for first, last, email in (("Bob", "Ray", "bob@example.com"), ("bob", "RAY", "robert@example.com"))]

    wait_for(lambda: _existing(profiles, domain, older, newer) == [older], timeout=30)
    (merged,) = profiles.batch_get_profile(DomainName=domain, ProfileIds=[older])["Profiles"]
    assert {name: merged.get(name) for name in ("FirstName", "LastName", "EmailAddress", "PhoneNumber", "Attributes")
            } == {"FirstName": "Ann", "LastName": "Lee", "EmailAddress": " ANN@example.com",
                  "PhoneNumber": "+15550002", "Attributes": {"tier": "silver", "since": "2020"}}
    assert [item["ProfileId"] for item in profiles.search_profiles(
        DomainName=domain, KeyName="_phone", Values=["+15550002"])["Items"]] == [older]
    assert profiles.search_profiles(DomainName=domain, KeyName="_phone", Values=["+15550001"])["Items"] == []
    assert profiles.get_domain(DomainName=domain)["Stats"]["ProfileCount"] == 3

    role = "assumed-role/AWSServiceRoleForProfile_"
    assert role in _actions(profiles, domain, older)["MERGED"]
    assert role in _actions(profiles, domain, newer)["DELETED_BY_MERGE"]

    assert sorted(_existing(profiles, domain, *bob)) == sorted(bob)
    (match_id,) = profiles.list_rule_based_matches(DomainName=domain)["MatchIds"]
    similar = profiles.get_similar_profiles(DomainName=domain, MatchType="RULE_BASED_MATCHING", SearchKey="MatchId",
                                            SearchValue=match_id)
    assert (similar["ProfileIds"], similar["RuleLevel"]) == (sorted(bob), 2)

    # a profile that matches later joins the merged one
    later = profiles.create_profile(DomainName=domain, EmailAddress="ann@EXAMPLE.com", BirthDate="1990-01-02")
    wait_for(lambda: _existing(profiles, domain, later["ProfileId"]) == [], timeout=30)
    (merged,) = profiles.batch_get_profile(DomainName=domain, ProfileIds=[older])["Profiles"]
    assert (merged["BirthDate"], merged["EmailAddress"], merged["FirstName"]) == ("1990-01-02", "ann@EXAMPLE.com",
                                                                                  "Ann")


def _object_type(profiles, domain: str, name: str) -> None:
    profiles.put_profile_object_type(
        DomainName=domain, ObjectTypeName=name, Description=name, AllowProfileCreation=True,
        Fields={"id": {"Source": "_source.id"},
                "email": {"Source": "_source.email", "Target": "_profile.EmailAddress"},
                "first": {"Source": "_source.first", "Target": "_profile.FirstName"},
                "last": {"Source": "_source.last", "Target": "_profile.LastName"}},
        Keys={f"{name}Id": [{"StandardIdentifiers": ["PROFILE", "UNIQUE"], "FieldNames": ["id"]}]})


def test_source_resolution_prefers_the_named_object_types_values_and_existing_duplicates_merge(
        server: Server) -> None:
    profiles = server.client("customer-profiles")
    domain = unique("sourcemerge")
    profiles.create_domain(DomainName=domain, DefaultExpirationDays=30)
    for name in ("crm", "web"):
        _object_type(profiles, domain, name)
    profiles.put_profile_object(DomainName=domain, ObjectTypeName="crm", Object=json.dumps(
        {"id": "c-1", "email": "zoe@example.com", "first": "Zoe"}))
    profiles.put_profile_object(DomainName=domain, ObjectTypeName="web", Object=json.dumps(
        {"id": "w-1", "email": "zoe@example.com", "first": "Zoey", "last": "Park"}))
    found = profiles.search_profiles(DomainName=domain, KeyName="_email", Values=["zoe@example.com"])["Items"]
    assert len(found) == 2  # each object type found no profile by its own key, and made one

    profiles.update_domain(DomainName=domain, RuleBasedMatching={
        "Enabled": True, "MatchingRules": RULES, "MaxAllowedRuleLevelForMerging": 2,
        "ConflictResolution": {"ConflictResolvingModel": "SOURCE", "SourceName": "crm"}})
    (merged,) = wait_for(lambda: len(items := profiles.search_profiles(
        DomainName=domain, KeyName="_email", Values=["zoe@example.com"])["Items"]) == 1 and items, timeout=30)
    (crm_profile,) = profiles.search_profiles(DomainName=domain, KeyName="crmId", Values=["c-1"])["Items"]
    assert merged["ProfileId"] == crm_profile["ProfileId"]
    # the web profile is newer, but the name crm gave wins; what only web gave is kept
    assert (merged["FirstName"], merged["LastName"]) == ("Zoe", "Park")
    assert [item["ProfileId"] for item in profiles.search_profiles(
        DomainName=domain, KeyName="webId", Values=["w-1"])["Items"]] == [merged["ProfileId"]]
    for object_type, key in (("crm", "c-1"), ("web", "w-1")):
        assert [item["ProfileObjectUniqueKey"] for item in profiles.list_profile_objects(
            DomainName=domain, ObjectTypeName=object_type, ProfileId=merged["ProfileId"])["Items"]] == [key]
