"""The standard objects besides the profile: assets, cases, orders and web analytics events (Customer Profiles'
"standard asset", "standard case", …), each a record of fixed fields that object types fill through their targets
(``_asset.AssetName``), kept on the profile under its identifier (``AssetId``), found by its standard indexes
(``_assetId``, ``_assetName``, …) and listed by ``ListProfileObjects`` under its name (``_asset``); and the item
catalog (``_catalogItem``), whose records belong to the domain, not to a profile: what recommenders recommend."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_SHARED = ("AdditionalInformation", "DataSource")
_ORDER_ADDRESS = frozenset({"Name", "Address1", "Address2", "Address3", "Address4", "City", "County", "State",
                            "Province", "Country", "PostalCode"})


@dataclass(frozen=True)
class StandardObject:
    name: str  # the ObjectTypeName its records are listed under
    tie: str | None  # the standard identifier of keys that tie an object to one of its records (and so to its
    # profile); None: its records belong to the domain, kept whether or not the object reaches a profile
    identifier: str  # the field that tells one record from another: a record without it is not kept
    fields: frozenset[str]  # its text fields; "Attributes" (a string map) every standard object has besides
    indexes: dict[str, str]  # standard key name → the field it indexes
    structures: dict[str, frozenset[str]] = field(default_factory=dict)  # a structure field → its text fields

    def takes(self, path: list[str]) -> bool:
        """Whether a target's path after the object's name (``["AssetName"]``, ``["Attributes", "colour"]``,
        ``["BillingAddress", "City"]``) names one of its text values."""
        if len(path) == 1:
            return path[0] in self.fields
        if len(path) == 2 and path[1]:
            return path[0] == "Attributes" or path[1] in self.structures.get(path[0], ())
        return False

    def definition(self) -> dict[str, Any]:
        """A mapping that reads its stored records: a key per index (the identifier's also UNIQUE), so that
        ``ListProfileObjects`` filters them by their indexes as it filters an object type's objects by its keys."""
        fields = {index: {"Source": f"_source.{name}"} for index, name in self.indexes.items()}
        keys = {index: [{"StandardIdentifiers": ["UNIQUE"] if name == self.identifier else ["PROFILE"],
                         "FieldNames": [index]}] for index, name in self.indexes.items()}
        return {"Fields": fields, "Keys": keys}


ASSET = StandardObject(
    "_asset", "ASSET", "AssetId",
    frozenset({"AssetId", "AssetName", "SerialNumber", "ModelNumber", "ModelName", "ProductSKU", "PurchaseDate",
               "UsageEndDate", "Status", "Price", "Quantity", "Description", *_SHARED}),
    {"_assetId": "AssetId", "_assetName": "AssetName", "_serialNumber": "SerialNumber"})
CASE = StandardObject(
    "_case", "CASE", "CaseId",
    frozenset({"CaseId", "Title", "Summary", "Status", "Reason", "CreatedBy", "CreatedDate", "UpdatedDate",
               "ClosedDate", *_SHARED}),
    {"_caseId": "CaseId"})
ORDER = StandardObject(
    "_order", "ORDER", "OrderId",
    frozenset({"OrderId", "CustomerEmail", "CustomerPhone", "CreatedDate", "UpdatedDate", "ProcessedDate",
               "ClosedDate", "CancelledDate", "CancelReason", "Name", "AdditionalInformation", "Gateway", "Status",
               "StatusCode", "StatusUrl", "CreditCardNumber", "CreditCardCompany", "FulfillmentStatus",
               "TotalPrice", "TotalTax", "TotalDiscounts", "TotalItemsPrice", "TotalShippingPrice",
               "TotalTipReceived", "Currency", "TotalWeight"}),
    {"_orderId": "OrderId"},
    {"BillingAddress": _ORDER_ADDRESS, "ShippingAddress": _ORDER_ADDRESS})

# The fields of the admin guide's web analytics table as far as it could be read here (its event, session and
# page attributes) and Item.Id, which recommenders train on
WEB_ANALYTICS = StandardObject(
    "_webAnalytics", "WEB_ANALYTICS", "EventId",
    frozenset({"EventId", "EventType", "EventTimestamp", "EventDuration", "EventValue"}),
    {},
    {"Session": frozenset({"Id", "StartTimestamp"}), "Page": frozenset({"Title", "Location", "Referrer", "Category"}),
     "Item": frozenset({"Id"})})
# The fields of the API's CatalogItem shape, which recommendations answer with
CATALOG_ITEM = StandardObject(
    "_catalogItem", None, "Id",
    frozenset({"Id", "Name", "Code", "Type", "Category", "Description", "AdditionalInformation", "ImageLink", "Link",
               "Price", "CreatedAt", "UpdatedAt"}),
    {})

STANDARD_OBJECTS = {standard.name: standard for standard in (ASSET, CASE, ORDER, WEB_ANALYTICS, CATALOG_ITEM)}
# Names no object type may take: the profile's own (its history records use it) and the standard objects'
RESERVED_TYPE_NAMES = frozenset({"_profile", *STANDARD_OBJECTS})


def standard_target(target: str) -> tuple[StandardObject, list[str]] | None:
    """``_asset.Attributes.colour`` → the asset and ``["Attributes", "colour"]``; None for any other target."""
    name, _, rest = target.partition(".")
    standard = STANDARD_OBJECTS.get(name)
    return (standard, rest.split(".")) if standard is not None and rest else None


def merged(stored: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A record as a later object leaves it: the fields it maps replace those values, the others stay (a standard
    object is updated field by field, not replaced as an object type's object is)."""
    result = dict(stored)
    for name, value in changes.items():
        result[name] = {**(result.get(name) or {}), **value} if isinstance(value, dict) else value
    return result
