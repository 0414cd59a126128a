"""Customer Profiles data through boto3: profiles, search, batch get, keys, merge, object types and objects."""

from __future__ import annotations

import base64
import gzip
import json
import signal
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server
from tests.e2e.cli import PROFILESTACK, files_of_at_most, profilestack
from tests.e2e.identities import ACCOUNT, allow, document, make_user, unique
from tests.e2e.waiting import wait_for
from tests.e2e.wire import send, signed_request


def error_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def get(profiles, domain: str, profile_id: str) -> dict:
    (found,) = profiles.batch_get_profile(DomainName=domain, ProfileIds=[profile_id])["Profiles"]
    return found


FULL_PROFILE = {
    "AccountNumber": "A-1", "AdditionalInformation": "vip", "PartyType": "INDIVIDUAL", "BusinessName": "Analytical",
    "FirstName": "Ada", "MiddleName": "King", "LastName": "Lovelace", "BirthDate": "1815-12-10", "Gender": "FEMALE",
    "PhoneNumber": "+15550100", "MobilePhoneNumber": "+15550101", "HomePhoneNumber": "+15550102",
    "BusinessPhoneNumber": "+15550103", "EmailAddress": "ada@example.com", "PersonalEmailAddress": "ada@home.test",
    "BusinessEmailAddress": "ada@work.test", "Address": {"Address1": "12 St James's Square", "City": "London"},
    "ShippingAddress": {"City": "Bath"}, "MailingAddress": {"PostalCode": "SW1"}, "BillingAddress": {"Country": "UK"},
    "Attributes": {"tier": "gold"}, "PartyTypeString": "Person", "GenderString": "female", "ProfileType": "PROFILE",
    "EngagementPreferences": {"Phone": [{"KeyName": "_phone", "KeyValue": "+15550100", "ContactType": "PhoneNumber"}]},
}


def test_profile_lifecycle_with_every_standard_field(profiles, domain) -> None:
    profile_id = profiles.create_profile(DomainName=domain, **FULL_PROFILE)["ProfileId"]
    assert len(profile_id) == 32 and all(c in "0123456789abcdef" for c in profile_id)
    assert get(profiles, domain, profile_id) == {"ProfileId": profile_id, **FULL_PROFILE}
    profiles.update_profile(DomainName=domain, ProfileId=profile_id, MiddleName="", LastName="Byron",
                            Address={"City": "", "Country": "UK"}, Attributes={"tier": "", "team": "red"})
    updated = get(profiles, domain, profile_id)
    assert "MiddleName" not in updated  # an empty string clears
    assert updated["FirstName"] == "Ada"  # an absent field is kept
    assert updated["LastName"] == "Byron"
    assert updated["Address"] == {"Address1": "12 St James's Square", "Country": "UK"}
    assert updated["Attributes"] == {"team": "red"}
    profiles.delete_profile(DomainName=domain, ProfileId=profile_id)
    batch = profiles.batch_get_profile(DomainName=domain, ProfileIds=[profile_id])
    assert batch["Profiles"] == []
    assert batch["Errors"][0]["ProfileId"] == profile_id
    assert error_of(profiles.delete_profile, DomainName=domain, ProfileId=profile_id)[0] == "ResourceNotFoundException"


def test_search_by_predefined_keys(profiles, domain) -> None:
    ada = profiles.create_profile(DomainName=domain, **FULL_PROFILE)["ProfileId"]
    other = profiles.create_profile(DomainName=domain, FirstName="Charles", LastName="Babbage",
                                    PhoneNumber="+15550999", AccountNumber="A-2")["ProfileId"]
    cases = {"_phone": "+15550102", "_email": "ada@work.test", "_fullName": "Ada King Lovelace", "_account": "A-1",
             "_profileId": ada}
    for key, value in cases.items():
        items = profiles.search_profiles(DomainName=domain, KeyName=key, Values=[value])["Items"]
        assert [item["ProfileId"] for item in items] == [ada], key
        assert items[0]["FoundByItems"] == [{"KeyName": key, "Values": [value]}]
    assert profiles.search_profiles(DomainName=domain, KeyName="_phone", Values=["+19999999"])["Items"] == []
    both = profiles.search_profiles(DomainName=domain, KeyName="_account", Values=["A-1"],
                                    AdditionalSearchKeys=[{"KeyName": "_phone", "Values": ["+15550999"]}])["Items"]
    assert {item["ProfileId"] for item in both} == {ada, other}  # OR is the default
    neither = profiles.search_profiles(DomainName=domain, KeyName="_account", Values=["A-1"], LogicalOperator="AND",
                                       AdditionalSearchKeys=[{"KeyName": "_phone", "Values": ["+15550999"]}])
    assert neither["Items"] == []
    together = profiles.search_profiles(DomainName=domain, KeyName="_account", Values=["A-1"], LogicalOperator="AND",
                                        AdditionalSearchKeys=[{"KeyName": "_phone", "Values": ["+15550100"]}])
    assert [item["ProfileId"] for item in together["Items"]] == [ada]
    assert together["Items"][0]["FoundByItems"] == [{"KeyName": "_account", "Values": ["A-1"]},
                                                    {"KeyName": "_phone", "Values": ["+15550100"]}]
    # a key searched for no values (the model allows an empty list) matches nobody (once a 500)
    assert profiles.search_profiles(DomainName=domain, KeyName="_email", Values=[])["Items"] == []
    some = profiles.search_profiles(DomainName=domain, KeyName="_email", Values=[],
                                    AdditionalSearchKeys=[{"KeyName": "_account", "Values": ["A-2"]}])["Items"]
    assert [item["ProfileId"] for item in some] == [other]
    assert profiles.search_profiles(DomainName=domain, KeyName="_email", Values=[], LogicalOperator="AND",
                                    AdditionalSearchKeys=[{"KeyName": "_account", "Values": ["A-2"]}])["Items"] == []


def test_search_pagination(profiles, domain) -> None:
    ids = sorted(profiles.create_profile(DomainName=domain, LastName="Same", FirstName=f"N{index}",
                                         AccountNumber="shared")["ProfileId"] for index in range(5))
    first = profiles.search_profiles(DomainName=domain, KeyName="_account", Values=["shared"], MaxResults=2)
    seen = [item["ProfileId"] for item in first["Items"]]
    token = first.get("NextToken")
    while token:
        page = profiles.search_profiles(DomainName=domain, KeyName="_account", Values=["shared"], MaxResults=2,
                                        NextToken=token)
        seen += [item["ProfileId"] for item in page["Items"]]
        token = page.get("NextToken")
    assert seen == ids
    first = profiles.search_profiles(DomainName=domain, KeyName="_account", Values=["shared"], MaxResults=2)
    profiles.delete_profile(DomainName=domain, ProfileId=ids[0])  # one already listed
    second = profiles.search_profiles(DomainName=domain, KeyName="_account", Values=["shared"], MaxResults=2,
                                      NextToken=first["NextToken"])
    assert [item["ProfileId"] for item in second["Items"]] == ids[2:4]  # an offset would have skipped ids[2]


def _all_pages(profiles, **search) -> list[dict]:
    items, token = [], None
    while True:
        page = profiles.search_profiles(**search, **({"NextToken": token} if token else {}))
        items += page["Items"]
        token = page.get("NextToken")
        if not token:
            return items


def test_a_search_finding_many_profiles_or_asking_many_values_pages_through_them_all(profiles, domain) -> None:
    """More profiles than the search reads with their keys (100), and more values than it looks up in one
    statement (20), take the way that reads the keys first and then each page's profiles: the same answers."""
    ids = sorted(profiles.create_profile(DomainName=domain, AccountNumber="crowd", FirstName=f"P{index}",
                                         EmailAddress=f"p{index}@example.com")["ProfileId"] for index in range(105))
    items = _all_pages(profiles, DomainName=domain, KeyName="_account", Values=["crowd"], MaxResults=40)
    assert [item["ProfileId"] for item in items] == ids
    assert all(item["FoundByItems"] == [{"KeyName": "_account", "Values": ["crowd"]}] for item in items)
    assert {item["FirstName"] for item in items} == {f"P{index}" for index in range(105)}
    emails = [f"p{index}@example.com" for index in range(0, 50, 2)] + ["nobody@example.com"]
    items = _all_pages(profiles, DomainName=domain, KeyName="_email", Values=emails, MaxResults=10,
                       AdditionalSearchKeys=[{"KeyName": "_account", "Values": ["crowd"]}], LogicalOperator="AND")
    assert len(items) == 25
    assert sorted(item["EmailAddress"] for item in items) == sorted(emails[:-1])
    assert all(item["FoundByItems"] == [{"KeyName": "_email", "Values": [item["EmailAddress"]]},
                                        {"KeyName": "_account", "Values": ["crowd"]}] for item in items)


def test_searches_and_batch_gets_answer_alike_sent_plain_or_compressed(server, profiles, domain) -> None:
    """A compressed body is routed once inflated (on PostgreSQL such a read goes to a request thread, a plain one
    is answered on the event loop); a route the server cannot find is the same error either way."""
    ada = profiles.create_profile(DomainName=domain, FirstName="Ada", PhoneNumber="+15550142")["ProfileId"]
    reads = {f"/domains/{domain}/profiles/search": {"KeyName": "_phone", "Values": ["(555) 0142"]},
             f"/domains/{domain}/batch-get-profiles": {"ProfileIds": [ada, "f" * 32]},
             f"/domains/{domain}/profiles/nowhere": {}}
    for path, read in reads.items():
        answers = []
        for body, headers in ((json.dumps(read).encode(), {}),
                              (gzip.compress(json.dumps(read).encode()), {"Content-Encoding": "gzip"})):
            status, _, answer = send(signed_request(f"{server.endpoint}{path}", "profile", "us-east-1", body=body,
                                                    headers={"Content-Type": "application/json", **headers}))
            answers.append((status, json.loads(answer)))
        assert answers[0] == answers[1], path
        assert answers[0][0] == (404 if path.endswith("nowhere") else 200), answers[0]
    status, _, answer = send(signed_request(f"{server.endpoint}/domains/{domain}/profiles/search", "profile",
                                            "us-east-1", body=json.dumps(reads[f"/domains/{domain}/profiles/search"]),
                                            headers={"Content-Type": "application/json"}))
    assert [item["ProfileId"] for item in json.loads(answer)["Items"]] == [ada]


def test_limits_answer_bad_request(profiles, domain) -> None:
    code, message = error_of(profiles.batch_get_profile, DomainName=domain, ProfileIds=[f"{i:032x}" for i in range(21)])
    assert code == "BadRequestException"
    assert "'profileIds' failed to satisfy constraint: Member must have length less than or equal to 20" in message
    five = [{"KeyName": "_phone", "Values": ["1"]}] * 5
    assert error_of(profiles.search_profiles, DomainName=domain, KeyName="_phone", Values=["1"],
                    AdditionalSearchKeys=five)[0] == "BadRequestException"
    profiles.put_profile_object_type(DomainName=domain, ObjectTypeName="Big", Description="big", Fields={
        "id": {"Source": "_source.id", "ContentType": "STRING"}}, Keys={
        "bigId": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}]})
    huge = json.dumps({"id": "1", "padding": "x" * 256_000})
    code, message = error_of(profiles.put_profile_object, DomainName=domain, ObjectTypeName="Big", Object=huge)
    assert code == "BadRequestException"
    assert "'object' failed to satisfy constraint: Member must have length less than or equal to 256000" in message
    assert error_of(profiles.create_profile, DomainName="bad name!")[0] == "BadRequestException"
    assert error_of(profiles.create_profile, DomainName=domain, FirstName="Ada", LastName="Love\x00lace") == (
        "BadRequestException", "1 validation error detected: Value at 'lastName' failed to satisfy constraint: "
        "Member must not contain the null character (U+0000)")  # a sensitive member: its value is not shown
    for not_json in ("not json", "[" * 100_000, '{"id": "\\udc00"}'):  # too deep; half a surrogate pair
        assert error_of(profiles.put_profile_object, DomainName=domain, ObjectTypeName="Big", Object=not_json) == (
            "BadRequestException", "Object is not a valid JSON document.")
    for with_nul in ('{"id": "1\\u0000"}', '{"id": "2", "note": ["\\u0000"]}'):  # its values become fields, keys
        assert error_of(profiles.put_profile_object, DomainName=domain, ObjectTypeName="Big", Object=with_nul) == (
            "BadRequestException", "Object must not contain the null character (U+0000).")
    assert profiles.put_profile_object(DomainName=domain, ObjectTypeName="Big", Object='{"id": "3", "path": '
                                       '"C:\\\\u0000"}')["ProfileObjectUniqueKey"] == "3"  # an escaped backslash
    for long_id in ("k" * 256, "é" * 300):  # the same answer on both backends, not a 500 from PostgreSQL's limit
        assert error_of(profiles.put_profile_object, DomainName=domain, ObjectTypeName="Big",
                        Object=json.dumps({"id": long_id})) == (
            "BadRequestException", f"The value of key bigId is {len(long_id)} characters long; key values are at "
            "most 255.")
    assert profiles.put_profile_object(DomainName=domain, ObjectTypeName="Big", Object=json.dumps(
        {"id": "k" * 255}))["ProfileObjectUniqueKey"] == "k" * 255


def test_profile_keys(profiles, domain) -> None:
    profile_id = profiles.create_profile(DomainName=domain, FirstName="K")["ProfileId"]
    assert profiles.add_profile_key(DomainName=domain, ProfileId=profile_id, KeyName="_salesforceContactId",
                                    Values=["sf-1", "sf-2"])["Values"] == ["sf-1", "sf-2"]
    found = profiles.search_profiles(DomainName=domain, KeyName="_salesforceContactId", Values=["sf-2"])["Items"]
    assert [item["ProfileId"] for item in found] == [profile_id]
    profiles.delete_profile_key(DomainName=domain, ProfileId=profile_id, KeyName="_salesforceContactId",
                                Values=["sf-2"])
    assert profiles.search_profiles(DomainName=domain, KeyName="_salesforceContactId", Values=["sf-2"])["Items"] == []
    assert profiles.search_profiles(DomainName=domain, KeyName="_salesforceContactId", Values=["sf-1"])["Items"]


def define_orders(profiles, domain: str, **extra) -> None:
    profiles.put_profile_object_type(
        DomainName=domain, ObjectTypeName="Order", Description="orders", AllowProfileCreation=True,
        Fields={"orderId": {"Source": "_source.order.id", "ContentType": "STRING"},
                "email": {"Source": "_source.customer.email", "Target": "_profile.EmailAddress",
                          "ContentType": "EMAIL_ADDRESS"},
                "first": {"Source": "_source.customer.first", "Target": "_profile.FirstName", "ContentType": "NAME"},
                "city": {"Source": "_source.customer.city", "Target": "_profile.Address.City"},
                "loyalty": {"Source": "_source.customer.loyalty", "Target": "_profile.Attributes.loyalty"},
                "campaign": {"Source": "_source.campaign"},
                "session": {"Source": "_source.session"}},
        Keys={"_orderId": [{"StandardIdentifiers": ["UNIQUE", "ORDER"], "FieldNames": ["orderId"]}],
              "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}],
              "firstCampaign": [{"StandardIdentifiers": ["NEW_ONLY"], "FieldNames": ["campaign"]}],
              "webSession": [{"StandardIdentifiers": ["LOOKUP_ONLY"], "FieldNames": ["session"]}]},
        **extra)


def order(order_id: str, email: str | None = None, **customer) -> str:
    body = {"order": {"id": order_id}, "customer": {**({"email": email} if email else {}), **customer}}
    return json.dumps(body)


def test_objects_create_find_and_fill_profiles(profiles, domain) -> None:
    define_orders(profiles, domain)
    key = profiles.put_profile_object(DomainName=domain, ObjectTypeName="Order",
                                      Object=order("o-1", "grace@example.com", first="Grace", city="Arlington",
                                                   loyalty="gold"))["ProfileObjectUniqueKey"]
    assert key == "o-1"
    (created,) = profiles.search_profiles(DomainName=domain, KeyName="_email", Values=["grace@example.com"])["Items"]
    assert (created["FirstName"], created["Address"], created["Attributes"]) == (
        "Grace", {"City": "Arlington"}, {"loyalty": "gold"})
    profiles.put_profile_object(DomainName=domain, ObjectTypeName="Order", Object=order("o-2", "grace@example.com"))
    objects = profiles.list_profile_objects(DomainName=domain, ObjectTypeName="Order",
                                            ProfileId=created["ProfileId"])["Items"]
    assert [item["ProfileObjectUniqueKey"] for item in objects] == ["o-1", "o-2"]
    stats = profiles.get_domain(DomainName=domain)["Stats"]
    assert (stats["ProfileCount"], stats["ObjectCount"]) == (1, 2)
    assert stats["TotalSize"] == sum(len(item["Object"]) for item in objects)


def test_an_object_with_the_same_unique_key_updates_in_place(profiles, domain) -> None:
    define_orders(profiles, domain)
    profiles.put_profile_object(DomainName=domain, ObjectTypeName="Order", Object=order("o-1", "a@example.com"))
    updated = order("o-1", "a@example.com", first="Again")
    assert profiles.put_profile_object(DomainName=domain, ObjectTypeName="Order", Object=updated)[
        "ProfileObjectUniqueKey"] == "o-1"
    (profile,) = profiles.search_profiles(DomainName=domain, KeyName="_email", Values=["a@example.com"])["Items"]
    (stored,) = profiles.list_profile_objects(DomainName=domain, ObjectTypeName="Order",
                                              ProfileId=profile["ProfileId"])["Items"]
    assert stored["Object"] == updated
    stats = profiles.get_domain(DomainName=domain)["Stats"]
    assert (stats["ProfileCount"], stats["ObjectCount"], stats["TotalSize"]) == (1, 1, len(updated))
    assert profile["FirstName"] == "Again"


def test_new_only_and_lookup_only_keys(profiles, domain) -> None:
    define_orders(profiles, domain)
    profiles.put_profile_object(DomainName=domain, ObjectTypeName="Order",
                                Object=json.dumps({"order": {"id": "o-1"}, "customer": {"email": "n@example.com"},
                                                   "campaign": "spring", "session": "s-1"}))
    (profile,) = profiles.search_profiles(DomainName=domain, KeyName="firstCampaign", Values=["spring"])["Items"]
    # NEW_ONLY: kept because the object created the profile; a later object does not add its value
    profiles.put_profile_object(DomainName=domain, ObjectTypeName="Order",
                                Object=json.dumps({"order": {"id": "o-2"}, "customer": {"email": "n@example.com"},
                                                   "campaign": "summer"}))
    assert profiles.search_profiles(DomainName=domain, KeyName="firstCampaign", Values=["summer"])["Items"] == []
    # LOOKUP_ONLY: finds the profile but is never stored as a key
    assert profiles.search_profiles(DomainName=domain, KeyName="webSession", Values=["s-1"])["Items"] == []
    profiles.add_profile_key(DomainName=domain, ProfileId=profile["ProfileId"], KeyName="webSession", Values=["s-9"])
    profiles.put_profile_object(DomainName=domain, ObjectTypeName="Order",
                                Object=json.dumps({"order": {"id": "o-3"}, "session": "s-9"}))
    objects = profiles.list_profile_objects(DomainName=domain, ObjectTypeName="Order",
                                            ProfileId=profile["ProfileId"])["Items"]
    assert [item["ProfileObjectUniqueKey"] for item in objects] == ["o-1", "o-2", "o-3"]


def test_contact_record_finds_the_profile_by_phone(profiles, domain) -> None:
    profiles.put_profile_object_type(DomainName=domain, ObjectTypeName="CTR", Description="contact records",
                                     TemplateId="CTR-NoInferred")
    known = profiles.create_profile(DomainName=domain, FirstName="John", PhoneNumber="+11234567890")["ProfileId"]
    record = {"ContactId": "c-1", "Channel": "VOICE", "CustomerEndpoint": {"Address": "+11234567890"}}
    profiles.put_profile_object(DomainName=domain, ObjectTypeName="CTR", Object=json.dumps(record))
    assert [item["ProfileObjectUniqueKey"] for item in profiles.list_profile_objects(
        DomainName=domain, ObjectTypeName="CTR", ProfileId=known)["Items"]] == ["c-1"]
    stranger = {"ContactId": "c-2", "Channel": "VOICE", "CustomerEndpoint": {"Address": "+19998887777"}}
    profiles.put_profile_object(DomainName=domain, ObjectTypeName="CTR", Object=json.dumps(stranger))
    (inferred,) = profiles.search_profiles(DomainName=domain, KeyName="_ctrContactId", Values=["c-2"])["Items"]
    assert inferred["ProfileId"] != known and inferred["PhoneNumber"] == "+19998887777"
    # a second call from the new number lands on the inferred profile
    again = {"ContactId": "c-3", "Channel": "VOICE", "CustomerEndpoint": {"Address": "+19998887777"}}
    profiles.put_profile_object(DomainName=domain, ObjectTypeName="CTR", Object=json.dumps(again))
    assert len(profiles.list_profile_objects(DomainName=domain, ObjectTypeName="CTR",
                                             ProfileId=inferred["ProfileId"])["Items"]) == 2
    filtered = profiles.list_profile_objects(DomainName=domain, ObjectTypeName="CTR", ProfileId=inferred["ProfileId"],
                                             ObjectFilter={"KeyName": "_ctrContactId", "Values": ["c-3"]})["Items"]
    assert [item["ProfileObjectUniqueKey"] for item in filtered] == ["c-3"]


def test_the_ctr_template_matches_by_contact_id_alone(profiles, domain) -> None:
    """CTR: found by _ctrContactId (a key the flow may add to the profile it chose), never by phone, so a known
    caller's record makes an inferred profile of its own."""
    profiles.put_profile_object_type(DomainName=domain, ObjectTypeName="CTR", Description="contact records",
                                     TemplateId="CTR")
    known = profiles.create_profile(DomainName=domain, FirstName="John", PhoneNumber="+11234567890")["ProfileId"]
    record = {"ContactId": "c-1", "Channel": "VOICE", "CustomerEndpoint": {"Address": "+11234567890"}}
    profiles.put_profile_object(DomainName=domain, ObjectTypeName="CTR", Object=json.dumps(record))
    (inferred,) = profiles.search_profiles(DomainName=domain, KeyName="_ctrContactId", Values=["c-1"])["Items"]
    assert inferred["ProfileId"] != known
    profiles.add_profile_key(DomainName=domain, ProfileId=known, KeyName="_ctrContactId", Values=["c-2"])
    chosen = {"ContactId": "c-2", "Channel": "VOICE", "CustomerEndpoint": {"Address": "+11234567890"}}
    profiles.put_profile_object(DomainName=domain, ObjectTypeName="CTR", Object=json.dumps(chosen))
    assert [item["ProfileObjectUniqueKey"] for item in profiles.list_profile_objects(
        DomainName=domain, ObjectTypeName="CTR", ProfileId=known)["Items"]] == ["c-2"]


def test_an_ambiguous_match_is_refused(profiles, domain) -> None:
    profiles.put_profile_object_type(DomainName=domain, ObjectTypeName="CTR", Description="contact records",
                                     TemplateId="CTR-NoInferred")
    for name in ("One", "Two"):
        profiles.create_profile(DomainName=domain, FirstName=name, PhoneNumber="+15551234")
    record = {"ContactId": "c-9", "CustomerEndpoint": {"Address": "+15551234"}}
    code, message = error_of(profiles.put_profile_object, DomainName=domain, ObjectTypeName="CTR",
                             Object=json.dumps(record))
    assert code == "BadRequestException" and "2 profiles" in message


def test_without_profile_creation_unmatched_objects_stay_unattached(profiles, domain) -> None:
    profiles.put_profile_object_type(
        DomainName=domain, ObjectTypeName="Ticket", Description="tickets", AllowProfileCreation=False,
        Fields={"id": {"Source": "_source.id"}, "email": {"Source": "_source.email", "ContentType": "EMAIL_ADDRESS"}},
        Keys={"ticketId": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}],
              "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}]})
    profiles.put_profile_object(DomainName=domain, ObjectTypeName="Ticket",
                                Object=json.dumps({"id": "t-1", "email": "nobody@example.com"}))
    assert profiles.get_domain(DomainName=domain)["Stats"]["ProfileCount"] == 0
    known = profiles.create_profile(DomainName=domain, EmailAddress="known@example.com")["ProfileId"]
    profiles.put_profile_object(DomainName=domain, ObjectTypeName="Ticket",
                                Object=json.dumps({"id": "t-2", "email": "known@example.com"}))
    assert [item["ProfileObjectUniqueKey"] for item in profiles.list_profile_objects(
        DomainName=domain, ObjectTypeName="Ticket", ProfileId=known)["Items"]] == ["t-2"]


def test_object_type_definitions_are_validated(profiles, domain) -> None:
    two_unique = {"a": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["x"]}],
                  "b": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["x"]}]}
    fields = {"x": {"Source": "_source.x"}}
    assert error_of(profiles.put_profile_object_type, DomainName=domain, ObjectTypeName="T", Description="d",
                    Fields=fields, Keys=two_unique) == ("BadRequestException",
                                                        "An object type can have only one UNIQUE key.")
    code, message = error_of(profiles.put_profile_object_type, DomainName=domain, ObjectTypeName="T",
                             Description="d", Fields=fields,
                             Keys={"k": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["y"]}]})
    assert code == "BadRequestException" and "y" in message
    assert error_of(profiles.put_profile_object_type, DomainName=domain, ObjectTypeName="T", Description="d",
                    TemplateId="CTR-NoInferred", Fields=fields)[0] == "BadRequestException"
    assert error_of(profiles.put_profile_object_type, DomainName=domain, ObjectTypeName="T", Description="d",
                    TemplateId="No-Such-Template")[0] == "BadRequestException"
    assert error_of(profiles.put_profile_object, DomainName=domain, ObjectTypeName="Missing",
                    Object="{}")[0] == "ResourceNotFoundException"
    for target in ("_profile.Nickname", "_profile.Address", "_profile.FirstName.Given", "_profile.ProfileId",
                   "_profile.Attributes.a.b"):
        code, message = error_of(profiles.put_profile_object_type, DomainName=domain, ObjectTypeName="T",
                                 Description="d", Fields={"x": {"Source": "_source.x", "Target": target}})
        assert code == "BadRequestException" and target in message, target
    for target in ("_profile.Address.City", "_profile.Attributes.tier", "_profile.GenderString"):
        profiles.put_profile_object_type(DomainName=domain, ObjectTypeName="T", Description="d",
                                         Fields={"x": {"Source": "_source.x", "Target": target}})


def test_values_mapped_into_enum_fields_take_the_enums_spelling_or_their_free_text_form(profiles, domain) -> None:
    profiles.put_profile_object_type(
        DomainName=domain, ObjectTypeName="Person", Description="people", AllowProfileCreation=True,
        Fields={"id": {"Source": "_source.id", "Target": "_profile.AccountNumber"},
                "gender": {"Source": "_source.gender", "Target": "_profile.Gender"},
                "kind": {"Source": "_source.kind", "Target": "_profile.PartyType"},
                "profile": {"Source": "_source.profile", "Target": "_profile.ProfileType"}},
        Keys={"_account": [{"StandardIdentifiers": ["PROFILE", "UNIQUE"], "FieldNames": ["id"]}]})

    def person(record: dict) -> dict:
        profiles.put_profile_object(DomainName=domain, ObjectTypeName="Person", Object=json.dumps(record))
        (found,) = profiles.search_profiles(DomainName=domain, KeyName="_account", Values=[record["id"]])["Items"]
        return {name: found.get(name) for name in ("Gender", "GenderString", "PartyType", "PartyTypeString",
                                                      "ProfileType")}

    assert person({"id": "p-1", "gender": "female", "kind": "business", "profile": "account_profile"}) == {
        "Gender": "FEMALE", "GenderString": None, "PartyType": "BUSINESS", "PartyTypeString": None,
        "ProfileType": "ACCOUNT_PROFILE"}
    # no value of the enum: kept as free text where the profile has a field for it, otherwise left out
    assert person({"id": "p-2", "gender": "non-binary", "kind": "Person", "profile": "lead"}) == {
        "Gender": None, "GenderString": "non-binary", "PartyType": None, "PartyTypeString": "Person",
        "ProfileType": None}


def test_object_type_lifecycle_and_templates(profiles, domain) -> None:
    created = profiles.put_profile_object_type(DomainName=domain, ObjectTypeName="Customer", Description="shop",
                                               TemplateId="Shopify-Customer", Tags={"src": "shopify"})
    assert created["Keys"]["_shopifyCustomerId"][0]["StandardIdentifiers"] == ["PROFILE", "UNIQUE"]
    assert created["Fields"]["email"] == {"Source": "_source.email", "Target": "_profile.EmailAddress",
                                          "ContentType": "EMAIL_ADDRESS"}
    got = profiles.get_profile_object_type(DomainName=domain, ObjectTypeName="Customer")
    assert (got["TemplateId"], got["Tags"]) == ("Shopify-Customer", {"src": "shopify"})
    assert [item["ObjectTypeName"] for item in profiles.list_profile_object_types(DomainName=domain)["Items"]] == [
        "Customer"]
    templates = {item["TemplateId"] for item in profiles.list_profile_object_type_templates()["Items"]}
    assert templates == {"CTR", "CTR-NoInferred", "CTR-AutoAssociateOnly", "Salesforce-Account", "Salesforce-Contact",
                         "Zendesk-users", "Servicenow-sys_user", "Marketo-leads", "Segment-Identify",
                         "Shopify-Customer"}
    salesforce = profiles.get_profile_object_type_template(TemplateId="Salesforce-Account")
    assert (salesforce["SourceName"], salesforce["SourceObject"]) == ("Salesforce", "Account")
    # the Administrator Guide's mapping tables: Phone to PhoneNumber, Id to Attributes.sfdcAccountId
    assert salesforce["Fields"]["Phone"]["Target"] == "_profile.PhoneNumber"
    assert salesforce["Fields"]["Id"]["Target"] == "_profile.Attributes.sfdcAccountId"
    assert salesforce["Keys"] == {"_salesforceAccountId": [{"StandardIdentifiers": ["PROFILE", "UNIQUE"],
                                                            "FieldNames": ["Id"]}]}
    assert error_of(profiles.get_profile_object_type_template, TemplateId="nope")[0] == "ResourceNotFoundException"


def test_sources_templates_bring_one_customer_together_by_their_documented_indexes(profiles, domain) -> None:
    """A Salesforce contact, a Marketo lead naming it and a Zendesk user with its e-mail: the indexes the templates
    document (_salesforceContactId, _marketoLeadId, …) find one profile, filled from each source's fields."""
    def put(template: str, record: dict) -> None:
        profiles.put_profile_object(DomainName=domain, ObjectTypeName=template, Object=json.dumps(record))

    put("Salesforce-Contact", {"Id": "003A", "AccountId": "001A", "FirstName": "Ada", "LastName": "Lovelace",
                               "Email": "ada@example.com", "MailingCity": "London", "MobilePhone": "+447700900123"})
    put("Marketo-leads", {"id": "4711", "sfdcContactId": "003A", "postalcode": "NW1", "gender": "female"})
    put("Zendesk-users", {"id": "z-9", "external_id": "ext-1", "email": "ada.l@example.com"})
    (profile,) = profiles.search_profiles(DomainName=domain, KeyName="_salesforceContactId", Values=["003A"])["Items"]
    assert profiles.search_profiles(DomainName=domain, KeyName="_marketoLeadId", Values=["4711"])["Items"][0][
        "ProfileId"] == profile["ProfileId"]
    assert (profile["FirstName"], profile["MailingAddress"]["City"], profile["Address"]["PostalCode"],
            profile["MobilePhoneNumber"]) == ("Ada", "London", "NW1", "+447700900123")
    assert profile["Attributes"] == {"sfdcContactId": "003A", "sfdcAccountId": "001A", "MarketoLeadId": "4711"}
    (zendesk,) = profiles.search_profiles(DomainName=domain, KeyName="_zendeskExternalId", Values=["ext-1"])["Items"]
    assert zendesk["ProfileId"] != profile["ProfileId"]  # nothing it carries is an index of the others
    assert zendesk["Attributes"] == {"ZendeskUserId": "z-9", "ZendeskExternalId": "ext-1"}
    put("Servicenow-sys_user", {"sys_id": "s-1", "first_name": "Grace", "zip": "10001", "email": "g@example.com"})
    (grace,) = profiles.search_profiles(DomainName=domain, KeyName="_serviceNowSystemId", Values=["s-1"])["Items"]
    assert (grace["FirstName"], grace["Address"]["PostalCode"], grace["EmailAddress"]) == (
        "Grace", "10001", "g@example.com")
    put("Segment-Identify", {"userId": "u-5", "traits": {"firstName": "Alan", "address": {"city": "Wilmslow"},
                                                         "company": {"name": "NPL"}}})
    (alan,) = profiles.search_profiles(DomainName=domain, KeyName="_segmentUserId", Values=["u-5"])["Items"]
    assert (alan["FirstName"], alan["Address"]["City"], alan["BusinessName"]) == ("Alan", "Wilmslow", "NPL")


def test_deleting_an_object_type_removes_objects_and_scrubs_fields(profiles, domain) -> None:
    define_orders(profiles, domain)
    profiles.put_profile_object(DomainName=domain, ObjectTypeName="Order",
                                Object=order("o-1", "s@example.com", first="Scrubbed", city="Paris"))
    (profile,) = profiles.search_profiles(DomainName=domain, KeyName="_email", Values=["s@example.com"])["Items"]
    profiles.update_profile(DomainName=domain, ProfileId=profile["ProfileId"], LastName="Kept")
    # an object deleted earlier leaves its keys: the type's deletion takes them too
    profiles.put_profile_object(DomainName=domain, ObjectTypeName="Order", Object=order("o-2", "s@example.com"))
    profiles.delete_profile_object(DomainName=domain, ProfileId=profile["ProfileId"], ObjectTypeName="Order",
                                   ProfileObjectUniqueKey="o-2")
    assert len(profiles.search_profiles(DomainName=domain, KeyName="_orderId", Values=["o-2"])["Items"]) == 1
    profiles.delete_profile_object_type(DomainName=domain, ObjectTypeName="Order")
    after = get(profiles, domain, profile["ProfileId"])
    assert after == {"ProfileId": profile["ProfileId"], "LastName": "Kept"}
    assert profiles.search_profiles(DomainName=domain, KeyName="_email", Values=["s@example.com"])["Items"] == []
    assert profiles.search_profiles(DomainName=domain, KeyName="_orderId", Values=["o-2"])["Items"] == []
    assert profiles.get_domain(DomainName=domain)["Stats"]["ObjectCount"] == 0
    assert error_of(profiles.get_profile_object_type, DomainName=domain, ObjectTypeName="Order")[0] == \
        "ResourceNotFoundException"


def load_orders(server, tmp_path, domain: str, count: int) -> None:
    """``count`` orders of customers c0… loaded by ``profilestack load`` into the running server's database."""
    source = tmp_path / f"orders-{domain}.jsonl"
    source.write_text("".join(order(f"o-{index}", f"c{index}@example.com", first=f"F{index}") + "\n"
                              for index in range(count)))
    result = profilestack("load", domain, str(source), "--object-type", "Order", "--db", server.database_url,
                          timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def found_by_email(profiles, domain: str, email: str) -> list[dict]:
    return profiles.search_profiles(DomainName=domain, KeyName="_email", Values=[email])["Items"]


LARGE_TYPE = 2_500  # objects: more than DeleteProfileObjectType removes within its own call (2,000)


def test_a_large_object_type_is_purged_after_its_deletion_answers(server, profiles, domain, tmp_path) -> None:
    define_orders(profiles, domain)
    load_orders(server, tmp_path, domain, LARGE_TYPE)
    (last,) = found_by_email(profiles, domain, f"c{LARGE_TYPE - 1}@example.com")
    profiles.delete_profile_object_type(DomainName=domain, ObjectTypeName="Order")
    assert error_of(profiles.get_profile_object_type, DomainName=domain, ObjectTypeName="Order")[0] == \
        "ResourceNotFoundException"
    wait_for(lambda: profiles.get_domain(DomainName=domain)["Stats"]["ObjectCount"] == 0, timeout=60)
    wait_for(lambda: not server.read("SELECT name FROM profile_purges"))
    assert get(profiles, domain, last["ProfileId"]) == {"ProfileId": last["ProfileId"]}  # its fields scrubbed
    assert found_by_email(profiles, domain, "c0@example.com") == []
    assert found_by_email(profiles, domain, f"c{LARGE_TYPE - 1}@example.com") == []
    assert profiles.get_domain(DomainName=domain)["Stats"]["ProfileCount"] == LARGE_TYPE  # profiles stay


def test_an_object_type_made_again_while_purging_starts_empty(server, profiles, domain, tmp_path) -> None:
    define_orders(profiles, domain)
    load_orders(server, tmp_path, domain, LARGE_TYPE)
    profiles.delete_profile_object_type(DomainName=domain, ObjectTypeName="Order")
    define_orders(profiles, domain)  # finishes the purge first
    assert profiles.get_domain(DomainName=domain)["Stats"]["ObjectCount"] == 0
    assert server.read("SELECT name FROM profile_purges") == []
    assert found_by_email(profiles, domain, f"c{LARGE_TYPE - 1}@example.com") == []
    profiles.put_profile_object(DomainName=domain, ObjectTypeName="Order", Object=order("o-1", "new@example.com"))
    (profile,) = found_by_email(profiles, domain, "new@example.com")
    assert [item["ProfileObjectUniqueKey"] for item in profiles.list_profile_objects(
        DomainName=domain, ObjectTypeName="Order", ProfileId=profile["ProfileId"])["Items"]] == ["o-1"]
    assert profiles.get_domain(DomainName=domain)["Stats"]["ObjectCount"] == 1


def test_delete_profile_object(profiles, domain) -> None:
    define_orders(profiles, domain)
    profiles.put_profile_object(DomainName=domain, ObjectTypeName="Order", Object=order("o-1", "d@example.com"))
    (profile,) = profiles.search_profiles(DomainName=domain, KeyName="_email", Values=["d@example.com"])["Items"]
    profiles.delete_profile_object(DomainName=domain, ProfileId=profile["ProfileId"], ObjectTypeName="Order",
                                   ProfileObjectUniqueKey="o-1")
    assert profiles.list_profile_objects(DomainName=domain, ObjectTypeName="Order",
                                         ProfileId=profile["ProfileId"])["Items"] == []
    assert error_of(profiles.delete_profile_object, DomainName=domain, ProfileId=profile["ProfileId"],
                    ObjectTypeName="Order", ProfileObjectUniqueKey="o-1")[0] == "ResourceNotFoundException"


def _orders_of(profiles, domain: str, email: str, *order_ids: str) -> str:
    for order_id in order_ids:
        profiles.put_profile_object(DomainName=domain, ObjectTypeName="Order", Object=order(order_id, email))
    (profile,) = profiles.search_profiles(DomainName=domain, KeyName="_email", Values=[email])["Items"]
    return profile["ProfileId"]


def _listed(profiles, domain: str, profile_id: str, **paging) -> tuple[list[str], str | None]:
    page = profiles.list_profile_objects(DomainName=domain, ObjectTypeName="Order", ProfileId=profile_id, **paging)
    return [item["ProfileObjectUniqueKey"] for item in page["Items"]], page.get("NextToken")


def test_object_pages_stay_put_as_objects_come_and_go(profiles, domain) -> None:
    define_orders(profiles, domain)
    profile_id = _orders_of(profiles, domain, "pages@example.com", *(f"o-{index}" for index in range(1, 8)))
    first, token = _listed(profiles, domain, profile_id, MaxResults=3)
    assert first == ["o-1", "o-2", "o-3"] and token
    for seen_or_not in ("o-2", "o-4"):  # one object already listed and one not yet
        profiles.delete_profile_object(DomainName=domain, ProfileId=profile_id, ObjectTypeName="Order",
                                       ProfileObjectUniqueKey=seen_or_not)
    _orders_of(profiles, domain, "pages@example.com", "o-8")
    second, token = _listed(profiles, domain, profile_id, MaxResults=3, NextToken=token)
    assert second == ["o-5", "o-6", "o-7"] and token  # an offset would have skipped o-5
    assert _listed(profiles, domain, profile_id, MaxResults=3, NextToken=token) == (["o-8"], None)
    assert _listed(profiles, domain, profile_id, MaxResults=6) == (["o-1", "o-3", "o-5", "o-6", "o-7", "o-8"], None)


def test_filtered_object_pages(profiles, domain) -> None:
    define_orders(profiles, domain)
    profile_id = _orders_of(profiles, domain, "filter@example.com", *(f"o-{index}" for index in range(1, 9)))
    wanted = {"KeyName": "_orderId", "Values": ["o-2", "o-5", "o-6", "o-8", "o-404"]}
    first, token = _listed(profiles, domain, profile_id, MaxResults=2, ObjectFilter=wanted)
    assert first == ["o-2", "o-5"]
    assert _listed(profiles, domain, profile_id, MaxResults=2, ObjectFilter=wanted, NextToken=token)[0] == [
        "o-6", "o-8"]
    assert _listed(profiles, domain, profile_id, MaxResults=4, ObjectFilter=wanted) == (
        ["o-2", "o-5", "o-6", "o-8"], None)
    for index in (2, 5, 6):  # those orders again, now with the session they came from: a key mapped per object
        profiles.put_profile_object(DomainName=domain, ObjectTypeName="Order", Object=json.dumps(
            {"order": {"id": f"o-{index}"}, "customer": {"email": "filter@example.com"}, "session": "s-1"}))
    by_session = {"KeyName": "webSession", "Values": ["s-1"]}
    first, token = _listed(profiles, domain, profile_id, MaxResults=2, ObjectFilter=by_session)
    assert first == ["o-2", "o-5"]
    assert _listed(profiles, domain, profile_id, MaxResults=2, ObjectFilter=by_session, NextToken=token) == (
        ["o-6"], None)


def test_object_pages_read_earlier_tokens_and_refuse_bad_ones(profiles, domain) -> None:
    define_orders(profiles, domain)
    profile_id = _orders_of(profiles, domain, "tokens@example.com", "o-1", "o-2", "o-3")
    earlier = base64.urlsafe_b64encode(b"1").decode()  # an offset, as tokens were before they named a place
    assert _listed(profiles, domain, profile_id, MaxResults=1, NextToken=earlier)[0] == ["o-2"]
    for bad in ("!!", base64.urlsafe_b64encode(b'["after", "yesterday", "o-1"]').decode(),
                base64.urlsafe_b64encode(b'["after", "o-1"]').decode()):
        assert error_of(profiles.list_profile_objects, DomainName=domain, ObjectTypeName="Order",
                        ProfileId=profile_id, NextToken=bad) == ("BadRequestException", "The next token is invalid.")


def test_max_profile_object_count_keeps_the_newest_objects(profiles, domain) -> None:
    define_orders(profiles, domain, MaxProfileObjectCount=2)
    profile_id = _orders_of(profiles, domain, "few@example.com", "o-1", "o-2", "o-3", "o-4")
    assert _listed(profiles, domain, profile_id) == (["o-3", "o-4"], None)
    stats = profiles.get_domain(DomainName=domain)["Stats"]
    assert stats["ObjectCount"] == 2


def test_merge_profiles(profiles, domain) -> None:
    define_orders(profiles, domain)
    main = profiles.create_profile(DomainName=domain, FirstName="Main", EmailAddress="main@example.com")["ProfileId"]
    other = profiles.create_profile(DomainName=domain, FirstName="Other", LastName="Duplicate",
                                    EmailAddress="other@example.com")["ProfileId"]
    profiles.put_profile_object(DomainName=domain, ObjectTypeName="Order", Object=order("o-9", "other@example.com"))
    profiles.merge_profiles(DomainName=domain, MainProfileId=main, ProfileIdsToBeMerged=[other],
                            FieldSourceProfileIds={"LastName": other})
    merged = get(profiles, domain, main)
    assert (merged["FirstName"], merged["LastName"]) == ("Main", "Duplicate")
    assert profiles.batch_get_profile(DomainName=domain, ProfileIds=[other])["Profiles"] == []
    assert [item["ProfileObjectUniqueKey"] for item in profiles.list_profile_objects(
        DomainName=domain, ObjectTypeName="Order", ProfileId=main)["Items"]] == ["o-9"]
    assert [item["ProfileId"] for item in profiles.search_profiles(
        DomainName=domain, KeyName="_orderId", Values=["o-9"])["Items"]] == [main]
    assert profiles.get_domain(DomainName=domain)["Stats"]["ProfileCount"] == 1


def test_merging_unites_fields_and_keeps_every_key_of_the_merged_profiles(profiles, domain) -> None:
    main = profiles.create_profile(DomainName=domain, FirstName="Main", EmailAddress="main@example.com",
                                   Attributes={"tier": "gold"})["ProfileId"]
    other = profiles.create_profile(DomainName=domain, LastName="Dup", EmailAddress="dup@example.com",
                                    PhoneNumber="+15550199", Attributes={"tier": "silver", "pet": "cat"})["ProfileId"]
    third = profiles.create_profile(DomainName=domain, LastName="Third", BirthDate="1990-01-01")["ProfileId"]
    profiles.merge_profiles(DomainName=domain, MainProfileId=main, ProfileIdsToBeMerged=[other, third])
    merged = get(profiles, domain, main)
    # no conflict: united (a field two merged profiles have comes from the first listed); conflict: main's
    assert {name: merged.get(name) for name in ("FirstName", "LastName", "EmailAddress", "PhoneNumber",
                                                "BirthDate", "Attributes")} == {
        "FirstName": "Main", "LastName": "Dup", "EmailAddress": "main@example.com", "PhoneNumber": "+15550199",
        "BirthDate": "1990-01-01", "Attributes": {"tier": "gold", "pet": "cat"}}

    def found(key: str, value: str) -> list[str]:
        return [item["ProfileId"] for item in profiles.search_profiles(DomainName=domain, KeyName=key,
                                                                      Values=[value])["Items"]]

    # the merged profiles' keys are the main profile's now, its own email's too, though main's email won
    assert found("_email", "dup@example.com") == found("_phone", "+15550199") == [main]
    assert found("_fullName", "Third") == found("_email", "main@example.com") == [main]
    profiles.update_profile(DomainName=domain, ProfileId=main, PhoneNumber="+15550100",
                            EmailAddress="new@example.com")
    assert found("_phone", "+15550100") == found("_email", "new@example.com") == [main]
    assert found("_email", "main@example.com") == []  # its own old address: gone with the field
    assert found("_email", "dup@example.com") == found("_phone", "+15550199") == [main]  # the duplicate's: kept


def test_a_key_an_object_gives_stays_while_the_profiles_own_field_changes(profiles, domain) -> None:
    define_orders(profiles, domain)
    profiles.put_profile_object(DomainName=domain, ObjectTypeName="Order", Object=order("o-1", "ada@example.com"))
    (profile,) = profiles.search_profiles(DomainName=domain, KeyName="_email", Values=["ada@example.com"])["Items"]
    profiles.update_profile(DomainName=domain, ProfileId=profile["ProfileId"], EmailAddress="ada@new.example.com")
    for email in ("ada@example.com", "ada@new.example.com"):  # the order still names the old address
        found = profiles.search_profiles(DomainName=domain, KeyName="_email", Values=[email])["Items"]
        assert [(item["ProfileId"], item["FoundByItems"]) for item in found] == [
            (profile["ProfileId"], [{"KeyName": "_email", "Values": [email]}])]
    # an order for the old address still finds the customer, not a new profile
    profiles.put_profile_object(DomainName=domain, ObjectTypeName="Order", Object=order("o-2", "ada@example.com"))
    assert profiles.get_domain(DomainName=domain)["Stats"]["ProfileCount"] == 1


def test_merge_profiles_takes_attributes_one_by_one(profiles, domain) -> None:
    main = profiles.create_profile(DomainName=domain, FirstName="Main", Attributes={"tier": "gold", "city": "Lyon",
                                                                                  "kept": "yes"})["ProfileId"]
    other = profiles.create_profile(DomainName=domain, Attributes={"tier": "silver", "pet": "cat"})["ProfileId"]
    unknown = "0" * 32
    assert error_of(profiles.merge_profiles, DomainName=domain, MainProfileId=main, ProfileIdsToBeMerged=[other],
                    FieldSourceProfileIds={"Attributes": {"tier": unknown}})[0] == "ResourceNotFoundException"
    profiles.merge_profiles(DomainName=domain, MainProfileId=main, ProfileIdsToBeMerged=[other],
                            FieldSourceProfileIds={"Attributes": {"tier": other, "pet": other, "city": other}})
    # from the other profile: its tier and pet; its lack of a city clears main's; main's other attributes stay
    assert get(profiles, domain, main)["Attributes"] == {"tier": "silver", "pet": "cat", "kept": "yes"}


def test_deleting_a_domain_deletes_its_data(profiles) -> None:
    name = unique("gone")
    profiles.create_domain(DomainName=name, DefaultExpirationDays=30)
    profiles.create_profile(DomainName=name, PhoneNumber="+15550000")
    profiles.delete_domain(DomainName=name)
    profiles.create_domain(DomainName=name, DefaultExpirationDays=30)
    assert profiles.search_profiles(DomainName=name, KeyName="_phone", Values=["+15550000"])["Items"] == []
    assert profiles.get_domain(DomainName=name)["Stats"]["ProfileCount"] == 0
    profiles.delete_domain(DomainName=name)


def test_reads_see_a_domain_created_deleted_and_recreated_at_once(profiles) -> None:
    """Searches and batch gets remember which domain a name is for a second; the domain's own writes end that."""
    name = unique("again")
    assert error_of(profiles.search_profiles, DomainName=name, KeyName="_phone", Values=["+15550001"]) == (
        "ResourceNotFoundException", f"Domain {name} does not exist.")
    for _ in range(2):
        profiles.create_domain(DomainName=name, DefaultExpirationDays=30)
        profile_id = profiles.create_profile(DomainName=name, PhoneNumber="+15550001")["ProfileId"]
        found = profiles.search_profiles(DomainName=name, KeyName="_phone", Values=["+15550001"])["Items"]
        assert [item["ProfileId"] for item in found] == [profile_id]
        assert [item["ProfileId"] for item in
                profiles.batch_get_profile(DomainName=name, ProfileIds=[profile_id])["Profiles"]] == [profile_id]
        profiles.delete_domain(DomainName=name)
        assert error_of(profiles.batch_get_profile, DomainName=name, ProfileIds=[profile_id])[0] == (
            "ResourceNotFoundException")


def test_search_is_authorized_per_domain(server, profiles) -> None:
    allowed, other = unique("a"), unique("b")
    for name in (allowed, other):
        profiles.create_domain(DomainName=name, DefaultExpirationDays=7)
    user = make_user(server, document(allow("profile:SearchProfiles",
                                            f"arn:aws:profile:us-east-1:{ACCOUNT}:domains/{allowed}")))
    client = user.client("customer-profiles")
    assert client.search_profiles(DomainName=allowed, KeyName="_phone", Values=["1"])["Items"] == []
    code, message = error_of(client.search_profiles, DomainName=other, KeyName="_phone", Values=["1"])
    assert code == "AccessDeniedException"
    assert f"profile:SearchProfiles on resource: arn:aws:profile:us-east-1:{ACCOUNT}:domains/{other}" in message


def test_objects_expire(clocked_server) -> None:
    server, offset = clocked_server
    profiles = server.client("customer-profiles")
    name = unique("expiring")
    profiles.create_domain(DomainName=name, DefaultExpirationDays=30)
    define_orders(profiles, name)
    profiles.put_profile_object_type(DomainName=name, ObjectTypeName="Short", Description="short-lived",
                                     ExpirationDays=1, Fields={"id": {"Source": "_source.id"}},
                                     Keys={"shortId": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}]})
    profiles.put_profile_object(DomainName=name, ObjectTypeName="Order", Object=order("o-1", "e@example.com"))
    profiles.put_profile_object(DomainName=name, ObjectTypeName="Short", Object=json.dumps({"id": "s-1"}))
    assert profiles.get_domain(DomainName=name)["Stats"]["ObjectCount"] == 2

    def stats(shift: int) -> dict:
        """GetDomain signed at the server's moved clock (botocore would sign with the real one)."""
        request = signed_request(f"{server.endpoint}/domains/{name}", "profile", "us-east-1", method="GET",
                                 at=datetime.now(UTC) + timedelta(seconds=shift))
        status, _, body = send(request)
        assert status == 200, body
        return json.loads(body)["Stats"]

    def wait_for_objects(count: int, shift: int) -> None:
        # the expiry task runs every few seconds; a loaded machine (CI beside other work) can hold it back
        wait_for(lambda: stats(shift)["ObjectCount"] == count, timeout=30, interval=0.1)
        assert stats(shift)["ObjectCount"] == count

    try:
        offset.write_text(str(2 * 86400))  # past the object type's one day, within the domain's thirty
        wait_for_objects(1, 2 * 86400)
        offset.write_text(str(31 * 86400))
        wait_for_objects(0, 31 * 86400)
        assert stats(31 * 86400)["ProfileCount"] == 1  # profiles stay
    finally:
        offset.write_text("0")


def orders_domain_at_rest(data_dir: Path, domain: str, objects: Sequence[str] = ()) -> Server:
    """A stopped server whose data directory holds ``domain``, with the Order type and those objects in it: what
    the commands that read the database directly (load, export) work on."""
    server = Server(data_dir=data_dir)
    server.start()
    try:
        profiles = server.client("customer-profiles")
        profiles.create_domain(DomainName=domain, DefaultExpirationDays=30)
        define_orders(profiles, domain)
        for text in objects:
            profiles.put_profile_object(DomainName=domain, ObjectTypeName="Order", Object=text)
    finally:
        server.stop()
    return server


def test_bulk_loader_uses_the_same_mapping(tmp_path) -> None:
    server = orders_domain_at_rest(tmp_path, "bulk")
    lines = [order(f"o-{index}", f"c{index % 3}@example.com", first=f"F{index}") for index in range(10)]
    source = tmp_path / "orders.jsonl"
    source.write_bytes("\n".join([*lines, "not json"]).encode() + b"\n\xff\xfe latin-1 \xe9t\xe9\n")
    result = profilestack("load", "bulk", str(source), "--object-type", "Order", "--data-dir", str(tmp_path),
                          "--batch-size", "4")
    assert result.returncode == 1  # two lines failed
    assert "loaded 10 objects (2 failed)" in result.stdout
    assert "line 11: Object is not a valid JSON document." in result.stdout
    assert "line 12: not UTF-8 text." in result.stdout  # before, a UnicodeDecodeError's traceback
    assert "100.0%" in result.stderr  # the progress bar
    refused = profilestack("load", "bulk", str(source), "--object-type", "Invoice", "--data-dir", str(tmp_path))
    assert (refused.returncode, refused.stderr.strip()) == (1, "profilestack load: no object type Invoice in domain "
                                                               f"bulk (in the database {server.database_url})")
    for command, path in ((["load", "bulk", str(tmp_path / "missing.jsonl"), "--object-type", "Order"],
                           tmp_path / "missing.jsonl"),
                          (["export", "bulk", "--object-type", "Order", "--output", str(tmp_path / "no" / "x.jsonl")],
                           tmp_path / "no" / "x.jsonl")):
        refused = profilestack(*command, "--data-dir", str(tmp_path))
        assert (refused.returncode, refused.stderr.strip()) == (
            1, f"profilestack: error: {path}: No such file or directory")
    server.start()
    try:
        profiles = server.client("customer-profiles")
        stats = profiles.get_domain(DomainName="bulk")["Stats"]
        assert (stats["ProfileCount"], stats["ObjectCount"]) == (3, 10)
        (found,) = profiles.search_profiles(DomainName="bulk", KeyName="_email", Values=["c1@example.com"])["Items"]
        assert found["FirstName"] == "F7"  # the last object mapped onto the profile
        assert len(profiles.list_profile_objects(DomainName="bulk", ObjectTypeName="Order",
                                                 ProfileId=found["ProfileId"])["Items"]) == 3
        records = profiles.list_profile_history_records(DomainName="bulk",
                                                        ProfileId=found["ProfileId"])["ProfileHistoryRecords"]
        # recorded as ingested, by no caller: the loader writes to the database, not through the API
        assert [(record["ActionType"], record.get("PerformedBy")) for record in records] == [
            ("INGESTED", None), ("INGESTED", None), ("INGESTED", None), ("CREATED", None)]
    finally:
        server.stop()


def _define_visits(profiles, domain: str) -> str:
    """Visits found by customer id or email (both PROFILE keys), each filling the profile's email and first name;
    a customer known before: an email of their own (a predefined key only) and a customer id (AddProfileKey)."""
    profiles.put_profile_object_type(
        DomainName=domain, ObjectTypeName="Visit", Description="visits", AllowProfileCreation=True,
        Fields={"visitId": {"Source": "_source.visit"}, "custId": {"Source": "_source.cust"},
                "email": {"Source": "_source.email", "Target": "_profile.EmailAddress"},
                "first": {"Source": "_source.first", "Target": "_profile.FirstName"}},
        Keys={"_visitId": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["visitId"]}],
              "_custId": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["custId"]}],
              "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}]})
    known = profiles.create_profile(DomainName=domain, EmailAddress="old@example.com", FirstName="Old")["ProfileId"]
    profiles.add_profile_key(DomainName=domain, ProfileId=known, KeyName="_custId", Values=["c1"])
    profiles.put_profile_object(DomainName=domain, ObjectTypeName="Visit", Object=json.dumps(
        {"visit": "v0", "cust": "c5", "email": "e5@example.com", "first": "Five"}))
    return known


def _visit(visit: str, cust: str, email: str, first: str = "") -> str:
    return json.dumps({"visit": visit, "cust": cust, "email": email, **({"first": first} if first else {})})


def test_a_bulk_load_ends_where_the_same_objects_put_one_at_a_time_end(server, profiles, tmp_path) -> None:
    """A batch reads what its objects look up all at once: what an earlier object of the batch writes must still
    count for the later ones, as it does for PutProfileObject one call after another."""
    visits = [
        _visit("v8", "c9", "p9@example.com"),  # a new customer...
        _visit("v9", "c9", "q9@example.com"),  # ...found again within the batch by their id alone
        _visit("v1", "c1", "new@example.com", "A"),  # the known customer, by id: their email moves on...
        _visit("v2", "c2", "old@example.com", "B"),  # ...so their old email finds no one now: a new customer
        _visit("v3", "c3", "n3@example.com"),  # a new customer...
        _visit("v4", "c3", "n3@example.com"),  # ...found again within the batch
        _visit("v3", "c3", "n3@example.com", "C"),  # the same visit again: updated in place
        _visit("v0", "c5", "e5@example.com", "D"),  # a visit put before the load: updated
        _visit("v6", "c3", "e5@example.com"),  # two customers by its two keys: refused
        "not json",
        _visit("v7", "c1", "other@example.com", "E"),
    ]
    put_domain, loaded_domain = unique("put"), unique("loaded")
    for name in (put_domain, loaded_domain):
        profiles.create_domain(DomainName=name, DefaultExpirationDays=30)
    try:
        known = {name: _define_visits(profiles, name) for name in (put_domain, loaded_domain)}
        refused = []
        for text in visits:
            try:
                profiles.put_profile_object(DomainName=put_domain, ObjectTypeName="Visit", Object=text)
            except ClientError as error:
                refused.append(error.response["Error"]["Code"])
        assert refused == ["BadRequestException", "BadRequestException"]
        source = tmp_path / "visits.jsonl"
        source.write_text("\n".join(visits) + "\n")
        result = profilestack("load", loaded_domain, str(source), "--object-type", "Visit", "--db",
                              server.database_url)
        assert "loaded 9 objects (2 failed)" in result.stdout, result.stdout + result.stderr

        def outcome(domain: str) -> dict:
            """Each visit → (its customer: the known one or not, their email, first name and visits)."""
            seen = {}
            for visit in ("v0", "v1", "v2", "v3", "v4", "v7", "v8", "v9"):
                (profile,) = profiles.search_profiles(DomainName=domain, KeyName="_visitId", Values=[visit])["Items"]
                objects = profiles.list_profile_objects(DomainName=domain, ObjectTypeName="Visit",
                                                        ProfileId=profile["ProfileId"])["Items"]
                visits_of_profile = sorted(json.loads(item["Object"])["visit"] for item in objects)
                seen[visit] = (profile["ProfileId"] == known[domain], profile.get("EmailAddress"),
                               profile.get("FirstName"), visits_of_profile)
            stats = profiles.get_domain(DomainName=domain)["Stats"]
            return {"visits": seen, "counts": (stats["ProfileCount"], stats["ObjectCount"])}

        expected = outcome(put_domain)
        assert expected["visits"] == {
            "v0": (False, "e5@example.com", "D", ["v0"]),
            "v1": (True, "other@example.com", "E", ["v1", "v7"]),
            "v2": (False, "old@example.com", "B", ["v2"]),
            "v3": (False, "n3@example.com", "C", ["v3", "v4"]),
            "v4": (False, "n3@example.com", "C", ["v3", "v4"]),
            "v7": (True, "other@example.com", "E", ["v1", "v7"]),
            "v8": (False, "q9@example.com", None, ["v8", "v9"]),
            "v9": (False, "q9@example.com", None, ["v8", "v9"]),
        }
        assert expected["counts"] == (5, 8)
        assert outcome(loaded_domain) == expected
    finally:
        for name in (put_domain, loaded_domain):
            profiles.delete_domain(DomainName=name)


def test_a_bulk_load_leaves_postgresql_planning_with_the_tables_as_loaded(server, profiles, domain, tmp_path) -> None:
    """Tables loaded from empty looked near empty to PostgreSQL's planner until autovacuum next came (never, where it
    is off): a lookup of a few profiles' objects went through every object of their type."""
    if server.backend != "postgresql":
        pytest.skip("SQLite keeps no planner statistics here")
    define_orders(profiles, domain)
    load_orders(server, tmp_path, domain, 50)
    analyzed = server.read("SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL ORDER BY relname")
    assert analyzed == ["profile_history_records", "profile_keys", "profile_objects", "profile_profiles"]


def test_export_writes_a_types_objects_as_load_takes_them_back(tmp_path) -> None:
    from tests.conftest import Server

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return profilestack(*args, "--data-dir", str(tmp_path))

    server = Server(data_dir=tmp_path)
    server.start()
    try:
        profiles = server.client("customer-profiles")
        for name in ("source", "copy"):
            profiles.create_domain(DomainName=name, DefaultExpirationDays=30)
            define_orders(profiles, name)
        sent = [order(f"o-{index}", f"c{index % 4}@example.com", first=f"F{index}") for index in range(9)]
        for text in sent:
            profiles.put_profile_object(DomainName="source", ObjectTypeName="Order", Object=text)
        profiles.put_profile_object(DomainName="source", ObjectTypeName="Order",
                                    Object='{\n  "order": {"id": "o-9"},\n  "customer": {"email": "c9@example.com"}}')
    finally:
        server.stop()

    exported = cli("export", "source", "--object-type", "Order", "-o", str(tmp_path / "orders.jsonl"))
    assert exported.returncode == 0 and "exported 10 Order objects" in exported.stderr
    lines = (tmp_path / "orders.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines[:9]] == [json.loads(text) for text in sent]  # as put, oldest first
    assert json.loads(lines[9])["order"]["id"] == "o-9"  # a pretty-printed object on one line
    to_stdout = cli("export", "source", "--object-type", "Order")
    assert to_stdout.stdout.splitlines() == lines
    missing = cli("export", "nowhere", "--object-type", "Order")
    assert missing.returncode == 1 and missing.stderr.strip() == (
        "profilestack export: no domain nowhere in account 000000000000, region us-east-1 (in the database "
        f"sqlite:///{tmp_path}/profilestack.db)")

    loaded = cli("load", "copy", str(tmp_path / "orders.jsonl"), "--object-type", "Order")
    assert loaded.returncode == 0 and "loaded 10 objects (0 failed)" in loaded.stdout
    server.start()
    try:
        profiles = server.client("customer-profiles")
        stats = [profiles.get_domain(DomainName=name)["Stats"] for name in ("source", "copy")]
        assert [(item["ProfileCount"], item["ObjectCount"]) for item in stats] == [(5, 10), (5, 10)]
    finally:
        server.stop()


def test_an_export_cut_short_leaves_no_file_nor_says_a_reader_stopped(tmp_path) -> None:
    orders_domain_at_rest(tmp_path, "big", [order(f"o-{index}", f"c{index}@example.com", first="x" * 900)
                                            for index in range(80)])  # some 80 kB in all
    full = tmp_path / "full.jsonl"  # a disk that fills up: the process may not grow a file past 64 kB
    cut_short = subprocess.run([*PROFILESTACK, "export", "big", "--object-type", "Order", "-o", str(full),
                                "--data-dir", str(tmp_path)], capture_output=True, text=True, timeout=120,
                               preexec_fn=partial(files_of_at_most, 64 * 1024))
    assert (cut_short.returncode, cut_short.stderr.strip()) == (1, "profilestack: error: File too large")
    assert not full.exists()  # no part of the export left to be taken for all of it

    # `| head -1`: a reader that stops before the export ends (80 kB, more than a pipe holds) ends it quietly
    export = subprocess.Popen([*PROFILESTACK, "export", "big", "--object-type", "Order", "--data-dir", str(tmp_path)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert export.stdout.readline().startswith(b"{")
    export.stdout.close()
    assert export.wait(timeout=60) == 128 + signal.SIGPIPE
    assert export.stderr.read() == b""  # before: "profilestack: error: Broken pipe"


def test_source_priority_decides_which_object_type_fills_a_field(profiles, domain) -> None:
    for name, priority in (("Crm", 1), ("Web", 2)):
        profiles.put_profile_object_type(
            DomainName=domain, ObjectTypeName=name, Description=name, AllowProfileCreation=True,
            SourcePriority=priority,
            Fields={"id": {"Source": "_source.id"},
                    "email": {"Source": "_source.email", "ContentType": "EMAIL_ADDRESS"},
                    "first": {"Source": "_source.first", "Target": "_profile.FirstName"}},
            Keys={f"{name.lower()}Id": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}],
                  "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}]})

    def put(object_type: str, object_id: str, first: str) -> str:
        profiles.put_profile_object(DomainName=domain, ObjectTypeName=object_type,
                                    Object=json.dumps({"id": object_id, "email": "p@example.com", "first": first}))
        (found,) = profiles.search_profiles(DomainName=domain, KeyName="_email", Values=["p@example.com"])["Items"]
        return found["FirstName"]

    assert put("Web", "w-1", "FromWeb") == "FromWeb"
    assert put("Crm", "c-1", "FromCrm") == "FromCrm"  # priority 1 beats 2
    assert put("Web", "w-2", "WebAgain") == "FromCrm"  # and 2 cannot overwrite 1
    assert put("Crm", "c-2", "CrmAgain") == "CrmAgain"


def test_metering_counts_a_profile_per_hundred_objects(profiles, domain) -> None:
    define_orders(profiles, domain)
    for index in range(101):
        profiles.put_profile_object(DomainName=domain, ObjectTypeName="Order",
                                    Object=order(f"o-{index}", "heavy@example.com"))
    stats = profiles.get_domain(DomainName=domain)["Stats"]
    assert (stats["ProfileCount"], stats["MeteringProfileCount"], stats["ObjectCount"]) == (1, 2, 101)


def test_a_batch_of_objects_succeeds_or_fails_item_by_item(profiles, domain) -> None:
    profiles.put_profile_object_type(DomainName=domain, ObjectTypeName="CTR", Description="contact records",
                                     TemplateId="CTR-NoInferred")
    for name in ("One", "Two"):
        profiles.create_profile(DomainName=domain, FirstName=name, PhoneNumber="+15551234")
    ada = profiles.create_profile(DomainName=domain, FirstName="Ada", PhoneNumber="+15550100")["ProfileId"]
    before = profiles.get_domain(DomainName=domain)["Stats"]

    def record(contact: str, phone: str) -> str:
        return json.dumps({"ContactId": contact, "CustomerEndpoint": {"Address": phone}})

    answer = profiles.batch_put_profile_object(DomainName=domain, ObjectTypeName="CTR", Items=[
        {"Id": "first", "Object": record("c-1", "+15550100")},
        {"Id": "ambiguous", "Object": record("c-2", "+15551234")},  # two profiles have this number
        {"Id": "broken", "Object": "{not json"},
        {"Id": "second", "Object": record("c-3", "+15550100")}])
    assert answer["Successful"] == [{"Id": "first", "ProfileObjectUniqueKey": "c-1"},
                                    {"Id": "second", "ProfileObjectUniqueKey": "c-3"}]
    failed = {item["Id"]: item for item in answer["Failed"]}
    assert set(failed) == {"ambiguous", "broken"}
    assert failed["ambiguous"]["Code"] == 400 and "2 profiles" in failed["ambiguous"]["Message"]
    assert failed["broken"]["Code"] == 400
    objects = profiles.list_profile_objects(DomainName=domain, ObjectTypeName="CTR", ProfileId=ada)["Items"]
    assert sorted(item["ProfileObjectUniqueKey"] for item in objects) == ["c-1", "c-3"]
    after = wait_for(lambda: (stats := profiles.get_domain(DomainName=domain)["Stats"])["ObjectCount"]
                     == before["ObjectCount"] + 2 and stats)
    assert after["ProfileCount"] == before["ProfileCount"]  # nothing half-written by the failed items
    too_many = error_of(profiles.batch_put_profile_object, DomainName=domain, ObjectTypeName="CTR",
                        Items=[{"Id": str(i), "Object": record(f"x-{i}", "+15550100")} for i in range(11)])
    assert too_many[0] == "BadRequestException"


def test_list_profile_attribute_values(profiles, domain) -> None:
    def values(name: str, of: str = domain) -> list[str]:
        answer = profiles.list_profile_attribute_values(DomainName=of, AttributeName=name)
        assert (answer["DomainName"], answer["AttributeName"]) == (of, name)
        return [item["Value"] for item in answer["Items"]]

    assert values("FirstName") == []
    for first, city, tier in (("Ana", "Porto", "gold"), ("Bob", "Lisbon", None), ("Ana", "Lisbon", "silver"),
                              ("Cy", None, "gold")):
        profiles.create_profile(DomainName=domain, FirstName=first, **({"Address": {"City": city}} if city else {}),
                                **({"Attributes": {"tier": tier}} if tier else {}))
    other = unique("other")
    profiles.create_domain(DomainName=other, DefaultExpirationDays=30)
    profiles.create_profile(DomainName=other, FirstName="Zed")
    assert values("FirstName") == ["Ana", "Bob", "Cy"]
    assert values("Address.City") == ["Lisbon", "Porto"]
    assert values("Attributes.tier") == ["gold", "silver"]
    assert values("LastName") == []
    assert values("FirstName", other) == ["Zed"]
    profiles.create_profile(DomainName=other, Attributes={"loyalty tier": "gold", "ünï-code_1": "x", 'a"b': "q"})
    assert (values("Attributes.loyalty tier", other), values("Attributes.ünï-code_1", other)) == (["gold"], ["x"])
    for name in ('Attributes.a"b', "Attributes.a,b", "Attributes.{a}", "Attributes. a", "Attributes.a\\b"):
        code, message = error_of(profiles.list_profile_attribute_values, DomainName=other, AttributeName=name)
        assert code == "BadRequestException" and message.startswith(f"{name} cannot be listed"), name
    for name in ("Shoe", "ProfileId", "Address", "Address.Planet", "FoundByItems"):
        code, message = error_of(profiles.list_profile_attribute_values, DomainName=domain, AttributeName=name)
        assert code == "BadRequestException" and message.startswith(f"{name} is not a profile attribute"), name
    profiles.delete_domain(DomainName=other)


def test_object_type_attributes_their_values_and_statistics(profiles, domain) -> None:
    profiles.put_profile_object_type(
        DomainName=domain, ObjectTypeName="Payment", Description="payments",
        Fields={"id": {"Source": "_source.id"}, "amount": {"Source": "_source.amount"},
                "method": {"Source": "_source.method"}},
        Keys={"paymentId": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}]})
    for index, (amount, method) in enumerate(((10, "card"), (20, "cash"), (30, "card"), (40, None), ("n/a", None))):
        profiles.put_profile_object(DomainName=domain, ObjectTypeName="Payment", Object=json.dumps(
            {"id": f"p{index}", "amount": amount, **({"method": method} if method else {})}))
    listed = profiles.list_object_type_attributes(DomainName=domain, ObjectTypeName="Payment")["Items"]
    assert [item["AttributeName"] for item in listed] == ["amount", "id", "method"]
    values = profiles.list_object_type_attribute_values(DomainName=domain, ObjectTypeName="Payment",
                                                        AttributeName="method")["Items"]
    assert [item["Value"] for item in values] == ["card", "cash"]  # the newest object's value first
    assert values[0]["LastUpdatedAt"] > values[1]["LastUpdatedAt"]
    first = profiles.list_object_type_attribute_values(DomainName=domain, ObjectTypeName="Payment",
                                                       AttributeName="id", MaxResults=2)
    assert [item["Value"] for item in first["Items"]] == ["p4", "p3"] and first["NextToken"]
    profiles.put_profile_object(DomainName=domain, ObjectTypeName="Payment", Object='{"id": "p5"}')
    rest = profiles.list_object_type_attribute_values(DomainName=domain, ObjectTypeName="Payment",
                                                      AttributeName="id", NextToken=first["NextToken"])
    assert [item["Value"] for item in rest["Items"]] == ["p2", "p1", "p0"]  # the listing its first page began
    assert [item["Value"] for item in profiles.list_object_type_attribute_values(
        DomainName=domain, ObjectTypeName="Payment", AttributeName="id", MaxResults=2)["Items"]] == ["p5", "p4"]

    stats = profiles.get_object_type_attribute_statistics(DomainName=domain, ObjectTypeName="Payment",
                                                          AttributeName="amount")["Statistics"]
    assert (stats["Maximum"], stats["Minimum"], stats["Average"]) == (40, 10, 25)
    assert round(stats["StandardDeviation"], 6) == round(125 ** 0.5, 6)
    assert stats["Percentiles"] == {"P5": 10, "P25": 10, "P50": 20, "P75": 30, "P95": 40}
    assert profiles.get_object_type_attribute_statistics(DomainName=domain, ObjectTypeName="Payment",
                                                         AttributeName="method")["Statistics"] == {}

    code, message = error_of(profiles.list_object_type_attribute_values, DomainName=domain,
                             ObjectTypeName="Payment", AttributeName="colour")
    assert (code, message.split(":")[0]) == ("BadRequestException", "colour is not an attribute of object type Payment")
    assert error_of(profiles.list_object_type_attributes, DomainName=domain, ObjectTypeName="Refund") == (
        "ResourceNotFoundException", f"Object type Refund does not exist in domain {domain}.")


def test_a_detected_object_type_maps_the_objects_it_was_detected_from(profiles, domain) -> None:
    samples = [{"id": "o-1", "total": 12.5, "updated_at": "2026-01-02T03:04:05Z", "lines": [{"sku": "a"}],
                "customer": {"firstName": "Ana", "last_name": "Lee", "email": "ana@example.com",
                             "phone": "+1 555 0100", "address": {"city": "Porto", "zip": "4000"}}},
               {"id": "o-2", "total": 3, "customer": {"email": "bo@example.com"}}]
    detected = profiles.detect_profile_object_type(DomainName=domain, Objects=[json.dumps(sample)
                                                                              for sample in samples])
    [proposal] = detected["DetectedProfileObjectTypes"]
    fields, keys = proposal["Fields"], proposal["Keys"]
    assert fields["email"] == {"Source": "_source.customer.email", "ContentType": "EMAIL_ADDRESS",
                               "Target": "_profile.EmailAddress"}
    assert (fields["firstName"]["Target"], fields["last_name"]["Target"], fields["city"]["Target"]) == (
        "_profile.FirstName", "_profile.LastName", "_profile.Address.City")
    assert fields["phone"]["ContentType"] == "PHONE_NUMBER" and fields["total"] == {
        "Source": "_source.total", "ContentType": "NUMBER"}
    assert "lines" not in fields and "sku" not in fields  # lists are not mapped
    assert keys == {"_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}],
                    "_phone": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["phone"]}],
                    "id": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}]}
    assert proposal["SourceLastUpdatedTimestampFormat"] == "yyyy-MM-dd'T'HH:mm:ssZ"

    # the proposal is an object type as it is, and maps the samples into profiles
    profiles.put_profile_object_type(DomainName=domain, ObjectTypeName="Detected", Description="detected",
                                     AllowProfileCreation=True, **proposal)
    assert profiles.put_profile_object(DomainName=domain, ObjectTypeName="Detected",
                                       Object=json.dumps(samples[0]))["ProfileObjectUniqueKey"] == "o-1"
    [found] = profiles.search_profiles(DomainName=domain, KeyName="_email", Values=["ana@example.com"])["Items"]
    assert (found["FirstName"], found["LastName"], found["Address"]["City"]) == ("Ana", "Lee", "Porto")

    assert error_of(profiles.detect_profile_object_type, DomainName=domain, Objects=["[1, 2]"]) == (
        "BadRequestException", "Object must be a JSON object.")


def test_a_deleted_domains_data_is_gone_at_once_for_clients_and_purged_soon_after(server) -> None:
    """DeleteDomain answers at once; its customers are invisible from then on — a domain made again under the same
    name starts empty — and their rows leave the database in the background, in short transactions."""
    profiles, name = server.client("customer-profiles"), unique("purged")
    profiles.create_domain(DomainName=name, DefaultExpirationDays=5)
    profiles.put_profile_object_type(
        DomainName=name, ObjectTypeName="Order", Description="orders", AllowProfileCreation=True,
        Fields={"email": {"Source": "_source.email", "Target": "_profile.EmailAddress"},
                "id": {"Source": "_source.id"}},
        Keys={"email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}],
              "orderId": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}]})
    for index in range(30):
        profiles.put_profile_object(DomainName=name, ObjectTypeName="Order",
                                    Object=json.dumps({"email": f"c{index}@example.com", "id": f"o{index}"}))
    [old_id] = server.read("SELECT id FROM profile_domains WHERE name = :name", name=name)

    profiles.delete_domain(DomainName=name)
    profiles.create_domain(DomainName=name, DefaultExpirationDays=5)
    [new_id] = server.read("SELECT id FROM profile_domains WHERE name = :name", name=name)
    assert new_id != old_id  # a domain id is never given again
    assert profiles.search_profiles(DomainName=name, KeyName="_email", Values=["c1@example.com"])["Items"] == []
    assert profiles.get_domain(DomainName=name)["Stats"]["ProfileCount"] == 0
    assert profiles.list_profile_object_types(DomainName=name)["Items"] == []

    def left() -> list[int]:
        return [server.read(f"SELECT count(*) FROM {table} WHERE domain_id = :id", id=old_id)[0]
                for table in ("profile_profiles", "profile_keys", "profile_objects", "profile_history_records")]

    assert wait_for(lambda: left() == [0, 0, 0, 0])
