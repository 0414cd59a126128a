"""Standard objects: object types whose fields target the standard asset, case and order (``_asset.AssetName``,
…) keep a record of each on the customer's profile, found by its standard indexes and listed under its name."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from tests.e2e.standard_types import put_standard_type


def error_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def _device_type(profiles, domain: str) -> None:
    """Devices a customer (found or created by email) owns, each filling the standard asset."""
    put_standard_type(profiles, domain, "Device", "devices", "_asset", {
        "id": "AssetId", "serial": "SerialNumber", "model": "AssetName", "colour": "Attributes.colour"},
        identifiers=("UNIQUE", "ASSET"))


def _put(profiles, domain: str, object_type: str, **fields: str) -> str:
    return profiles.put_profile_object(DomainName=domain, ObjectTypeName=object_type,
                                       Object=json.dumps(fields))["ProfileObjectUniqueKey"]


def _found(profiles, domain: str, key: str, value: str) -> list[str]:
    return [item["ProfileId"] for item in profiles.search_profiles(DomainName=domain, KeyName=key,
                                                                   Values=[value])["Items"]]


def _records(profiles, domain: str, profile_id: str, name: str, **extra) -> dict[str, dict]:
    items = profiles.list_profile_objects(DomainName=domain, ProfileId=profile_id, ObjectTypeName=name,
                                          **extra)["Items"]
    assert all(item["ObjectTypeName"] == name for item in items)
    records = {item["ProfileObjectUniqueKey"]: json.loads(item["Object"]) for item in items}
    if name.startswith("_"):  # a standard object's record names the profile holding it
        assert all(record.pop("ProfileId") == profile_id for record in records.values())
    return records


def test_an_asset_is_kept_on_the_profile_updated_field_by_field_and_found_by_its_indexes(profiles, domain) -> None:
    _device_type(profiles, domain)
    _put(profiles, domain, "Device", id="A-1", serial="SN-1", model="Kettle", colour="red", email="ann@example.com")
    (ann,) = _found(profiles, domain, "_email", "ann@example.com")
    assert _records(profiles, domain, ann, "_asset") == {"A-1": {
        "AssetId": "A-1", "SerialNumber": "SN-1", "AssetName": "Kettle", "Attributes": {"colour": "red"}}}
    # a later object replaces the values it maps and leaves the others: the asset is not replaced wholesale
    _put(profiles, domain, "Device", id="A-1", serial="SN-2", email="ann@example.com")
    assert _records(profiles, domain, ann, "_asset")["A-1"] == {
        "AssetId": "A-1", "SerialNumber": "SN-2", "AssetName": "Kettle", "Attributes": {"colour": "red"}}
    _put(profiles, domain, "Device", id="A-1", serial="SN-2", email="ann@example.com")  # the same again: no change
    assert _records(profiles, domain, ann, "_asset")["A-1"]["SerialNumber"] == "SN-2"
    assert _found(profiles, domain, "_assetId", "A-1") == [ann]
    assert _found(profiles, domain, "_assetName", "Kettle") == [ann]
    assert _found(profiles, domain, "_serialNumber", "SN-2") == [ann]
    assert _found(profiles, domain, "_serialNumber", "SN-1") == []  # the record's old value finds it no more
    _put(profiles, domain, "Device", id="A-2", serial="SN-3", model="Toaster", email="ann@example.com")
    assert set(_records(profiles, domain, ann, "_asset")) == {"A-1", "A-2"}
    filtered = _records(profiles, domain, ann, "_asset", ObjectFilter={"KeyName": "_serialNumber", "Values": ["SN-3"]})
    assert set(filtered) == {"A-2"}
    assert set(_records(profiles, domain, ann, "_asset", ObjectFilter={"KeyName": "_assetId",
                                                                         "Values": ["A-1"]})) == {"A-1"}
    assert error_of(profiles.list_profile_objects, DomainName=domain, ProfileId=ann, ObjectTypeName="_asset",
                    ObjectFilter={"KeyName": "_orderId", "Values": ["x"]}) == (
        "BadRequestException", "_orderId is not a key of object type _asset.")
    # the source objects are kept as their type's, beside the records; both count in the domain's objects
    assert set(_records(profiles, domain, ann, "Device")) == {"A-1", "A-2"}
    assert profiles.get_domain(DomainName=domain)["Stats"]["ObjectCount"] == 4


def test_orders_and_cases_move_with_their_customer_and_go_with_the_profile(profiles, domain) -> None:
    profiles.put_profile_object_type(
        DomainName=domain, ObjectTypeName="Purchase", Description="orders", AllowProfileCreation=True,
        Fields={"receipt": {"Source": "_source.receipt"},
                "order": {"Source": "_source.order", "Target": "_order.OrderId"},
                "total": {"Source": "_source.total", "Target": "_order.TotalPrice"},
                "city": {"Source": "_source.city", "Target": "_order.ShippingAddress.City"},
                "ticket": {"Source": "_source.ticket", "Target": "_case.CaseId"},
                "reason": {"Source": "_source.reason", "Target": "_case.Reason"},
                "phone": {"Source": "_source.phone", "Target": "_profile.PhoneNumber", "ContentType": "PHONE_NUMBER"}},
        Keys={"receipt": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["receipt"]}],
              "_phone": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["phone"]}]})
    _put(profiles, domain, "Purchase", receipt="R-1", order="O-1", total="12.50", city="Lyon", ticket="C-9",
         reason="late", phone="+15550101")
    (first,) = _found(profiles, domain, "_phone", "+15550101")
    assert _records(profiles, domain, first, "_order") == {
        "O-1": {"OrderId": "O-1", "TotalPrice": "12.50", "ShippingAddress": {"City": "Lyon"}}}
    assert _records(profiles, domain, first, "_case") == {"C-9": {"CaseId": "C-9", "Reason": "late"}}
    assert _found(profiles, domain, "_orderId", "O-1") == [first] == _found(profiles, domain, "_caseId", "C-9")
    # an object naming no order id leaves no order record
    _put(profiles, domain, "Purchase", receipt="R-2", order="", total="3", phone="+15550101")
    assert set(_records(profiles, domain, first, "_order")) == {"O-1"}
    # the same order, now in another customer's object: one order, held by that customer
    _put(profiles, domain, "Purchase", receipt="R-3", order="O-1", city="Paris", phone="+15550102")
    (second,) = _found(profiles, domain, "_phone", "+15550102")
    assert _records(profiles, domain, first, "_order") == {}
    assert _records(profiles, domain, second, "_order") == {
        "O-1": {"OrderId": "O-1", "TotalPrice": "12.50", "ShippingAddress": {"City": "Paris"}}}
    assert _found(profiles, domain, "_orderId", "O-1") == [second]
    # merged: the merged profile's records are the main profile's
    profiles.merge_profiles(DomainName=domain, MainProfileId=second, ProfileIdsToBeMerged=[first])
    assert set(_records(profiles, domain, second, "_case")) == {"C-9"}
    assert _found(profiles, domain, "_caseId", "C-9") == [second]
    before = profiles.get_domain(DomainName=domain)["Stats"]["ObjectCount"]
    profiles.delete_profile(DomainName=domain, ProfileId=second)
    assert _found(profiles, domain, "_orderId", "O-1") == [] == _found(profiles, domain, "_caseId", "C-9")
    assert profiles.get_domain(DomainName=domain)["Stats"]["ObjectCount"] == before - 5  # 3 objects, 2 records


def test_a_record_deleted_is_found_no_more(profiles, domain) -> None:
    _device_type(profiles, domain)
    _put(profiles, domain, "Device", id="A-7", serial="SN-7", email="bo@example.com")
    (bo,) = _found(profiles, domain, "_email", "bo@example.com")
    profiles.delete_profile_object(DomainName=domain, ProfileId=bo, ObjectTypeName="_asset",
                                   ProfileObjectUniqueKey="A-7")
    assert _records(profiles, domain, bo, "_asset") == {}
    assert _found(profiles, domain, "_assetId", "A-7") == [] == _found(profiles, domain, "_serialNumber", "SN-7")
    assert set(_records(profiles, domain, bo, "Device")) == {"A-7"}  # the object it came from stays


@pytest.mark.parametrize(("target", "message"), [
    ("_asset.Colour", "Field f has target _asset.Colour, which is not a field of the standard object _asset: "
                      "targets name one of its fields or an attribute (_asset.Attributes.name)."),
    ("_asset.Attributes.a.b", "Field f has target _asset.Attributes.a.b, which is not a field of the standard "
                              "object _asset: targets name one of its fields or an attribute "
                              "(_asset.Attributes.name)."),
    ("_order.BillingAddress.Street", "Field f has target _order.BillingAddress.Street, which is not a field of the "
                                     "standard object _order: targets name one of its fields or an attribute "
                                     "(_order.Attributes.name), or a part of its BillingAddress "
                                     "(_order.BillingAddress.City), or a part of its ShippingAddress "
                                     "(_order.ShippingAddress.City)."),
    ("_lead.Name", "Field f has target _lead.Name; targets must start with _profile. or name a standard object "
                   "(_asset., _case., _order., _webAnalytics., _catalogItem.)"),
])
def test_targets_name_fields_of_the_standard_objects(profiles, domain, target: str, message: str) -> None:
    assert error_of(profiles.put_profile_object_type, DomainName=domain, ObjectTypeName="Odd", Description="odd",
                    Fields={"f": {"Source": "_source.f", "Target": target}}, Keys={}) == ("BadRequestException",
                                                                                         message)


@pytest.mark.parametrize("name", ["_asset", "_case", "_order", "_webAnalytics", "_catalogItem", "_profile"])
def test_object_types_cannot_take_a_standard_objects_name(profiles, domain, name: str) -> None:
    assert error_of(profiles.put_profile_object_type, DomainName=domain, ObjectTypeName=name, Description="x",
                    Fields={"f": {"Source": "_source.f"}}, Keys={}) == (
        "BadRequestException", f"{name} is the name of a standard object; object types take other names.")


def test_an_identifier_too_long_refuses_the_object_before_it_writes(profiles, domain) -> None:
    _device_type(profiles, domain)
    assert error_of(profiles.put_profile_object, DomainName=domain, ObjectTypeName="Device",
                    Object=json.dumps({"id": "A" * 256, "email": "cy@example.com"})) == (
        "BadRequestException", "The value of _asset.AssetId is 256 characters long; identifiers are at most 255.")
    assert profiles.get_domain(DomainName=domain)["Stats"]["ObjectCount"] == 0
    assert _found(profiles, domain, "_email", "cy@example.com") == []


def test_objects_filling_one_record_at_once_leave_one_record(profiles, domain) -> None:
    """Puts on other connections that fill the same order wait for each other (PostgreSQL: both would insert it)."""
    _device_type(profiles, domain)
    profiles.put_profile_object_type(
        DomainName=domain, ObjectTypeName="Sale", Description="sales", AllowProfileCreation=True,
        Fields={"receipt": {"Source": "_source.receipt"},
                "order": {"Source": "_source.order", "Target": "_order.OrderId"},
                "email": {"Source": "_source.email", "Target": "_profile.EmailAddress"}},
        Keys={"receipt": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["receipt"]}],
              "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}]})
    with ThreadPoolExecutor(8) as pool:
        keys = list(pool.map(lambda index: _put(profiles, domain, "Sale", receipt=f"R-{index}", order="O-42",
                                                email=f"buyer{index}@example.com"), range(8)))
    assert sorted(keys) == [f"R-{index}" for index in range(8)]
    (holder,) = _found(profiles, domain, "_orderId", "O-42")
    assert set(_records(profiles, domain, holder, "_order")) == {"O-42"}
    assert profiles.get_domain(DomainName=domain)["Stats"]["ObjectCount"] == 9


def test_asset_and_order_keys_tie_an_object_to_the_customer_holding_the_record(profiles, domain) -> None:
    """A key marked ASSET (CASE, ORDER) ties the object to that asset, and so to the profile holding it."""
    _device_type(profiles, domain)
    _put(profiles, domain, "Device", id="A-5", serial="SN-5", email="di@example.com")
    (di,) = _found(profiles, domain, "_email", "di@example.com")
    profiles.put_profile_object_type(
        DomainName=domain, ObjectTypeName="Repair", Description="repairs",
        Fields={"ticket": {"Source": "_source.ticket"}, "asset": {"Source": "_source.asset"}},
        Keys={"ticket": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["ticket"]}],
              "repairedAsset": [{"StandardIdentifiers": ["ASSET"], "FieldNames": ["asset"]}]})
    _put(profiles, domain, "Repair", ticket="R-1", asset="A-5")
    assert set(_records(profiles, domain, di, "Repair")) == {"R-1"}
    assert _found(profiles, domain, "repairedAsset", "A-5") == [di]  # the key is kept, as a PROFILE key is
    _put(profiles, domain, "Repair", ticket="R-2", asset="A-404")  # no such asset: stored, tied to no profile
    assert set(_records(profiles, domain, di, "Repair")) == {"R-1"}
    assert profiles.get_domain(DomainName=domain)["Stats"]["ProfileCount"] == 1
