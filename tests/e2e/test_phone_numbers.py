"""Phone numbers found whatever their format: Customer Profiles processes PHONE_NUMBER values so that "+15551234567"
matches "(555)-123-4567" — the profile's own phone fields and object type keys of PHONE_NUMBER fields."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor


def _found(profiles, domain: str, key: str, *values: str) -> dict[str, list[str]]:
    """Profile id → the search values it was found by."""
    items = profiles.search_profiles(DomainName=domain, KeyName=key, Values=list(values))["Items"]
    return {item["ProfileId"]: [value for found in item["FoundByItems"] for value in found["Values"]]
            for item in items}


def test_a_profiles_phone_is_found_in_any_format(profiles, domain) -> None:
    local = profiles.create_profile(DomainName=domain, FirstName="Ann", PhoneNumber="(555)-123-4567",
                                    AccountNumber="(555)-765-4321")["ProfileId"]
    e164 = profiles.create_profile(DomainName=domain, FirstName="Bo", MobilePhoneNumber="+15557654321")["ProfileId"]
    assert _found(profiles, domain, "_phone", "+15551234567") == {local: ["+15551234567"]}
    assert _found(profiles, domain, "_phone", "555.123.4567") == {local: ["555.123.4567"]}
    assert _found(profiles, domain, "_phone", "(555) 765-4321") == {e164: ["(555) 765-4321"]}
    assert _found(profiles, domain, "_phone", "(555)-123-4567", "+15557654321") == {
        local: ["(555)-123-4567"], e164: ["+15557654321"]}
    # only phone numbers: an account number that looks like one is matched as it was sent
    assert _found(profiles, domain, "_account", "+15557654321") == {}
    assert _found(profiles, domain, "_account", "(555)-765-4321") == {local: ["(555)-765-4321"]}
    # a changed number finds the profile no more, in any format
    profiles.update_profile(DomainName=domain, ProfileId=local, PhoneNumber="+442079460958")
    assert _found(profiles, domain, "_phone", "+15551234567") == {}
    assert _found(profiles, domain, "_phone", "+44 20 7946 0958") == {local: ["+44 20 7946 0958"]}


def test_an_object_types_phone_keys_find_and_match_in_any_format(profiles, domain) -> None:
    profiles.put_profile_object_type(
        DomainName=domain, ObjectTypeName="Call", Description="calls", AllowProfileCreation=True,
        Fields={"id": {"Source": "_source.id"},
                "phone": {"Source": "_source.phone", "Target": "_profile.Attributes.lastCaller",
                          "ContentType": "PHONE_NUMBER"},
                "ref": {"Source": "_source.ref"}},
        Keys={"id": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}],
              "caller": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["phone"]}],
              "ref": [{"StandardIdentifiers": ["SECONDARY"], "FieldNames": ["ref"]}]})

    def put(**call: str) -> None:
        profiles.put_profile_object(DomainName=domain, ObjectTypeName="Call", Object=json.dumps(call))

    put(id="c1", phone="555 123 4567", ref="(555)-000-1111")
    (first,) = _found(profiles, domain, "caller", "+15551234567")
    put(id="c2", phone="+1 (555) 123-4567")  # the same caller, written another way: the same profile
    assert list(_found(profiles, domain, "caller", "5551234567")) == [first]
    assert len(profiles.list_profile_objects(DomainName=domain, ProfileId=first, ObjectTypeName="Call")["Items"]) == 2
    # a STRING field's key matches as it was sent
    assert _found(profiles, domain, "ref", "+15550001111") == {}
    assert list(_found(profiles, domain, "ref", "(555)-000-1111")) == [first]


def test_a_phone_key_added_by_hand_is_found_in_any_format_and_removed_in_all(profiles, domain) -> None:
    profile_id = profiles.create_profile(DomainName=domain, FirstName="Cy")["ProfileId"]
    profiles.add_profile_key(DomainName=domain, ProfileId=profile_id, KeyName="_phone", Values=["(555) 222-3333"])
    assert _found(profiles, domain, "_phone", "+15552223333") == {profile_id: ["+15552223333"]}
    profiles.delete_profile_key(DomainName=domain, ProfileId=profile_id, KeyName="_phone", Values=["(555) 222-3333"])
    assert _found(profiles, domain, "_phone", "+15552223333") == {} == _found(profiles, domain, "_phone",
                                                                               "(555) 222-3333")


def test_objects_of_one_new_caller_in_several_formats_at_once_make_one_profile(profiles, domain) -> None:
    """Puts on other connections that name one number in different formats wait for each other (PostgreSQL: each
    would otherwise find no profile and create one)."""
    profiles.put_profile_object_type(
        DomainName=domain, ObjectTypeName="Call", Description="calls", AllowProfileCreation=True,
        Fields={"id": {"Source": "_source.id"},
                "phone": {"Source": "_source.phone", "ContentType": "PHONE_NUMBER"}},
        Keys={"id": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}],
              "caller": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["phone"]}]})
    formats = ["+15553334444", "(555) 333-4444", "555.333.4444", "555-333-4444", "1 555 333 4444",
               "+1 (555) 333 4444", "5553334444", "(555)333-4444"]
    with ThreadPoolExecutor(len(formats)) as pool:
        list(pool.map(lambda item: profiles.put_profile_object(
            DomainName=domain, ObjectTypeName="Call", Object=json.dumps({"id": f"c{item[0]}", "phone": item[1]})),
            enumerate(formats)))
    assert len(_found(profiles, domain, "caller", "+15553334444")) == 1
    assert profiles.get_domain(DomainName=domain)["Stats"]["ProfileCount"] == 1
