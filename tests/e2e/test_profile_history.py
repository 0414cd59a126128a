"""Customer Profiles history records: every change to a profile, who made it, kept after the profile, expiring."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.e2e.identities import ACCOUNT, allow, document, make_user, unique
from tests.e2e.test_profiles_data import define_orders, error_of, order
from tests.e2e.waiting import wait_for
from tests.e2e.wire import send, signed_request

ROOT = f"arn:aws:iam::{ACCOUNT}:root"


def history(profiles, domain: str, profile_id: str, **filters) -> list[dict]:
    """Every record of the profile, newest first, walked two to a page (boto3 has no paginator for it)."""
    records, token = [], None
    while True:
        answer = profiles.list_profile_history_records(DomainName=domain, ProfileId=profile_id, MaxResults=2,
                                                       **({"NextToken": token} if token else {}), **filters)
        records += answer["ProfileHistoryRecords"]
        token = answer.get("NextToken")
        if not token:
            return records


def actions(records: list[dict]) -> list[tuple[str, str]]:
    return [(record["ActionType"], record["ObjectTypeName"]) for record in records]


def content(profiles, domain: str, profile_id: str, record: dict) -> dict:
    fetched = profiles.get_profile_history_record(DomainName=domain, ProfileId=profile_id, Id=record["Id"])
    assert {key: fetched[key] for key in record} == record  # the listed summary, and the content besides
    return json.loads(fetched["Content"])


def test_a_profiles_changes_are_recorded_newest_first_and_outlive_it(profiles, domain) -> None:
    profile_id = profiles.create_profile(DomainName=domain, FirstName="Ada", PhoneNumber="+15550100")["ProfileId"]
    profiles.update_profile(DomainName=domain, ProfileId=profile_id, LastName="Lovelace")
    profiles.add_profile_key(DomainName=domain, ProfileId=profile_id, KeyName="loyaltyId", Values=["L-1", "L-2"])
    profiles.delete_profile_key(DomainName=domain, ProfileId=profile_id, KeyName="loyaltyId", Values=["L-2"])
    profiles.delete_profile(DomainName=domain, ProfileId=profile_id)

    records = history(profiles, domain, profile_id)
    assert actions(records) == [("DELETED_BY_CUSTOMER", "_profile"), ("DELETED_PROFILE_KEY", "_profile"),
                                ("ADDED_PROFILE_KEY", "_profile"), ("UPDATED", "_profile"), ("CREATED", "_profile")]
    assert all(record["PerformedBy"] == ROOT and len(record["Id"]) == 32 for record in records)
    assert all("ProfileObjectUniqueKey" not in record for record in records)
    assert len({record["Id"] for record in records}) == 5
    assert records[0]["CreatedAt"] >= records[-1]["CreatedAt"]
    assert all(record["LastUpdatedAt"] == record["CreatedAt"] for record in records)

    assert content(profiles, domain, profile_id, records[-1]) == {
        "ProfileId": profile_id, "FirstName": "Ada", "PhoneNumber": "+15550100"}
    assert content(profiles, domain, profile_id, records[3])["LastName"] == "Lovelace"
    assert content(profiles, domain, profile_id, records[2]) == {"KeyName": "loyaltyId", "Values": ["L-1", "L-2"]}
    assert content(profiles, domain, profile_id, records[1]) == {"KeyName": "loyaltyId", "Values": ["L-2"]}
    assert content(profiles, domain, profile_id, records[0]) == {
        "ProfileId": profile_id, "FirstName": "Ada", "LastName": "Lovelace", "PhoneNumber": "+15550100"}

    only = profiles.list_profile_history_records(DomainName=domain, ProfileId=profile_id, ActionType="UPDATED")
    assert actions(only["ProfileHistoryRecords"]) == [("UPDATED", "_profile")]
    assert profiles.list_profile_history_records(DomainName=domain, ProfileId=profile_id,
                                                 PerformedBy="arn:aws:iam::000000000000:user/nobody",
                                                 )["ProfileHistoryRecords"] == []


def test_a_listing_pages_on_from_its_last_record(profiles, domain) -> None:
    """Newest first: a change made between two pages waits for the next listing instead of pushing the listing's
    later pages back (which answered its last record twice)."""
    profile_id = profiles.create_profile(DomainName=domain, FirstName="Ada")["ProfileId"]
    for name in ("B", "C", "D"):
        profiles.update_profile(DomainName=domain, ProfileId=profile_id, LastName=name)
    first = profiles.list_profile_history_records(DomainName=domain, ProfileId=profile_id, MaxResults=2)
    profiles.update_profile(DomainName=domain, ProfileId=profile_id, LastName="E")
    rest = profiles.list_profile_history_records(DomainName=domain, ProfileId=profile_id, MaxResults=2,
                                                 NextToken=first["NextToken"])
    listed = first["ProfileHistoryRecords"] + rest["ProfileHistoryRecords"]
    assert actions(listed) == [("UPDATED", "_profile")] * 3 + [("CREATED", "_profile")] and "NextToken" not in rest
    assert len(history(profiles, domain, profile_id)) == 5


def test_objects_are_recorded_as_ingested_and_deleted_by_whoever_put_them(server, profiles, domain) -> None:
    define_orders(profiles, domain)
    user = make_user(server, document(allow("profile:PutProfileObject", "*")))
    putter = user.client("customer-profiles")
    putter.put_profile_object(DomainName=domain, ObjectTypeName="Order", Object=order("o-1", "g@example.com",
                                                                                      first="Grace"))
    putter.put_profile_object(DomainName=domain, ObjectTypeName="Order", Object=order("o-1", "g@example.com",
                                                                                      first="Grace", city="Paris"))
    (found,) = profiles.search_profiles(DomainName=domain, KeyName="_email", Values=["g@example.com"])["Items"]
    profile_id = found["ProfileId"]
    profiles.delete_profile_object(DomainName=domain, ProfileId=profile_id, ObjectTypeName="Order",
                                   ProfileObjectUniqueKey="o-1")

    records = history(profiles, domain, profile_id)
    assert actions(records) == [("DELETED_BY_CUSTOMER", "Order"), ("INGESTED", "Order"), ("INGESTED", "Order"),
                                ("CREATED", "_profile")]
    assert [record["PerformedBy"] for record in records] == [ROOT, user.arn, user.arn, user.arn]
    assert [record.get("ProfileObjectUniqueKey") for record in records] == ["o-1", "o-1", "o-1", None]
    assert content(profiles, domain, profile_id, records[1])["customer"]["city"] == "Paris"
    assert content(profiles, domain, profile_id, records[2])["customer"] == {"email": "g@example.com",
                                                                              "first": "Grace"}
    assert content(profiles, domain, profile_id, records[3]) == {
        "ProfileId": profile_id, "EmailAddress": "g@example.com", "FirstName": "Grace"}

    by_type = profiles.list_profile_history_records(DomainName=domain, ProfileId=profile_id, ObjectTypeName="Order")
    assert len(by_type["ProfileHistoryRecords"]) == 3
    mine = profiles.list_profile_history_records(DomainName=domain, ProfileId=profile_id, PerformedBy=user.arn)
    assert len(mine["ProfileHistoryRecords"]) == 3


def test_a_merge_is_recorded_on_every_profile_it_touches(profiles, domain) -> None:
    main = profiles.create_profile(DomainName=domain, FirstName="Main")["ProfileId"]
    other = profiles.create_profile(DomainName=domain, FirstName="Other", EmailAddress="o@example.com")["ProfileId"]
    profiles.merge_profiles(DomainName=domain, MainProfileId=main, ProfileIdsToBeMerged=[other],
                            FieldSourceProfileIds={"EmailAddress": other})
    (merged,) = history(profiles, domain, main, ActionType="MERGED")
    assert content(profiles, domain, main, merged) == {"ProfileId": main, "FirstName": "Main",
                                                       "EmailAddress": "o@example.com"}
    assert actions(history(profiles, domain, other)) == [("DELETED_BY_MERGE", "_profile"), ("CREATED", "_profile")]


def test_unknown_profiles_records_and_bad_ids(profiles, domain) -> None:
    profile_id = profiles.create_profile(DomainName=domain, FirstName="Ada")["ProfileId"]
    never = "0" * 32
    assert error_of(profiles.list_profile_history_records, DomainName=domain, ProfileId=never) == (
        "ResourceNotFoundException", f"Profile {never} does not exist in domain {domain}.")
    assert error_of(profiles.get_profile_history_record, DomainName=domain, ProfileId=profile_id, Id=never) == (
        "ResourceNotFoundException",
        f"Profile history record {never} does not exist for profile {profile_id} in domain {domain}.")
    (created,) = history(profiles, domain, profile_id)
    other = profiles.create_profile(DomainName=domain, FirstName="Bob")["ProfileId"]
    assert error_of(profiles.get_profile_history_record, DomainName=domain, ProfileId=other,
                    Id=created["Id"])[0] == "ResourceNotFoundException"  # a record is found under its own profile
    assert profiles.list_profile_history_records(DomainName=domain, ProfileId=profile_id,
                                                 ActionType="MERGED")["ProfileHistoryRecords"] == []
    code, message = error_of(profiles.list_profile_history_records, DomainName=domain, ProfileId="not-an-id")
    assert code == "BadRequestException" and "profileId" in message
    code, message = error_of(profiles.list_profile_history_records, DomainName=domain, ProfileId=profile_id,
                             MaxResults=101)
    assert code == "BadRequestException" and "maxResults" in message
    code, _ = error_of(profiles.list_profile_history_records, DomainName=domain, ProfileId=profile_id,
                       NextToken="not a token")
    assert code == "BadRequestException"
    assert error_of(profiles.list_profile_history_records, DomainName=unique("nodomain"),
                    ProfileId=profile_id)[0] == "ResourceNotFoundException"


def test_history_goes_with_its_domain_and_is_authorized_per_domain(server, profiles) -> None:
    name = unique("history")
    profiles.create_domain(DomainName=name, DefaultExpirationDays=30)
    profile_id = profiles.create_profile(DomainName=name, FirstName="Ada")["ProfileId"]
    (record,) = history(profiles, name, profile_id)
    user = make_user(server, document(allow("profile:ListProfileHistoryRecords",
                                            f"arn:aws:profile:us-east-1:{ACCOUNT}:domains/{name}")))
    reader = user.client("customer-profiles")
    assert [item["Id"] for item in reader.list_profile_history_records(
        DomainName=name, ProfileId=profile_id)["ProfileHistoryRecords"]] == [record["Id"]]
    code, message = error_of(reader.get_profile_history_record, DomainName=name, ProfileId=profile_id,
                             Id=record["Id"])
    assert code == "AccessDeniedException" and "profile:GetProfileHistoryRecord" in message

    profiles.delete_domain(DomainName=name)
    profiles.create_domain(DomainName=name, DefaultExpirationDays=30)
    assert error_of(profiles.list_profile_history_records, DomainName=name,
                    ProfileId=profile_id)[0] == "ResourceNotFoundException"


def test_expiry_is_recorded_and_records_expire_with_the_domains_days(clocked_server) -> None:
    server, offset = clocked_server
    profiles = server.client("customer-profiles")
    name = unique("history")
    profiles.create_domain(DomainName=name, DefaultExpirationDays=30)
    define_orders(profiles, name, ExpirationDays=1)
    profiles.put_profile_object(DomainName=name, ObjectTypeName="Order", Object=order("o-1", "e@example.com"))
    (found,) = profiles.search_profiles(DomainName=name, KeyName="_email", Values=["e@example.com"])["Items"]

    def listed(shift: int) -> list[tuple[str, str, str | None]]:
        """ListProfileHistoryRecords signed at the server's moved clock (botocore would sign with the real one)."""
        body = json.dumps({"ProfileId": found["ProfileId"]})
        request = signed_request(f"{server.endpoint}/domains/{name}/profiles/history-records", "profile",
                                 "us-east-1", body=body, headers={"Content-Type": "application/json"},
                                 at=datetime.now(UTC) + timedelta(seconds=shift))
        status, _, answer = send(request)
        assert status == 200, answer
        return [(record["ActionType"], record["ObjectTypeName"], record.get("PerformedBy"))
                for record in json.loads(answer)["ProfileHistoryRecords"]]

    assert listed(0) == [("INGESTED", "Order", ROOT), ("CREATED", "_profile", ROOT)]
    try:
        offset.write_text(str(2 * 86400))  # the object's one day is over
        wait_for(lambda: listed(2 * 86400)[0][0] == "EXPIRED", interval=0.1)
        assert listed(2 * 86400) == [("EXPIRED", "Order", "profile.amazonaws.com"), ("INGESTED", "Order", ROOT),
                                     ("CREATED", "_profile", ROOT)]
        offset.write_text(str(31 * 86400))  # the domain's thirty days are over for the first two records
        wait_for(lambda: len(listed(31 * 86400)) == 1, interval=0.1)
        assert listed(31 * 86400) == [("EXPIRED", "Order", "profile.amazonaws.com")]
    finally:
        offset.write_text("0")
