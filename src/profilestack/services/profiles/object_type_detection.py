"""DetectProfileObjectType: a mapping proposed from sample objects, ready for PutProfileObjectType.

Every leaf value of the objects (nested objects walked, lists left out) becomes a field whose source is its path.
Its content type comes from its values (email addresses, phone numbers, numbers) and its name; names that say
what they hold (firstName, last_name, email, phone, city, zip, …) target the standard profile's fields. The first
email and phone number fields become the ``_email`` and ``_phone`` profile keys, an ``id``-like top-level field
the object's unique key, and a last-updated field in ISO 8601 the source's timestamp format.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from profilestack.gateway.context import CallContext
from profilestack.services.profiles.domains import require_domain
from profilestack.services.profiles.mapping import parse_object, validate_definition
from profilestack.services.profiles.service import profiles

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+[\d\s().-]{6,}")
_ISO_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})")
_FIELD_NAME = re.compile(r"[^a-zA-Z0-9_.-]")
# normalized name (lower case, no separators) → (content type, target)
_HINTS: dict[str, tuple[str, str | None]] = {
    **dict.fromkeys(("firstname", "givenname", "fname"), ("NAME", "_profile.FirstName")),
    **dict.fromkeys(("lastname", "surname", "familyname", "lname"), ("NAME", "_profile.LastName")),
    "middlename": ("NAME", "_profile.MiddleName"),
    **dict.fromkeys(("email", "emailaddress", "mail"), ("EMAIL_ADDRESS", "_profile.EmailAddress")),
    **dict.fromkeys(("phone", "phonenumber", "telephone", "tel"), ("PHONE_NUMBER", "_profile.PhoneNumber")),
    **dict.fromkeys(("mobile", "mobilephone", "mobilenumber", "cell", "cellphone"),
                    ("PHONE_NUMBER", "_profile.MobilePhoneNumber")),
    **dict.fromkeys(("birthdate", "dateofbirth", "dob", "birthday"), ("STRING", "_profile.BirthDate")),
    "gender": ("STRING", "_profile.GenderString"),
    **dict.fromkeys(("accountnumber", "accountno"), ("STRING", "_profile.AccountNumber")),
    **dict.fromkeys(("company", "companyname", "businessname"), ("STRING", "_profile.BusinessName")),
    **dict.fromkeys(("address1", "addressline1", "street"), ("STRING", "_profile.Address.Address1")),
    **dict.fromkeys(("address2", "addressline2"), ("STRING", "_profile.Address.Address2")),
    "city": ("STRING", "_profile.Address.City"),
    "county": ("STRING", "_profile.Address.County"),
    "state": ("STRING", "_profile.Address.State"),
    "province": ("STRING", "_profile.Address.Province"),
    **dict.fromkeys(("zip", "zipcode", "postalcode", "postcode"), ("STRING", "_profile.Address.PostalCode")),
    "country": ("STRING", "_profile.Address.Country"),
}
_LAST_UPDATED = {"updatedat", "lastupdated", "lastupdatedat", "lastmodified", "lastmodifieddate", "modifiedat",
                 "updated", "updatedate", "lastupdatedtimestamp"}


def _normalized(name: str) -> str:
    return re.sub(r"[_\-.\s]", "", name).lower()


def _leaves(value: dict[str, Any], path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    found = []
    for key, item in value.items():
        if isinstance(item, dict):
            found += _leaves(item, (*path, key))
        elif not isinstance(item, list) and item is not None and item != "":
            found.append(((*path, key), item))
    return found


def _content_type(name: str, values: list[Any]) -> str:
    hint = _HINTS.get(_normalized(name))
    texts = [value for value in values if isinstance(value, str)]
    if texts and all(_EMAIL.fullmatch(text) for text in texts):
        return "EMAIL_ADDRESS"
    if texts and all(_PHONE.fullmatch(text) for text in texts):
        return "PHONE_NUMBER"
    if hint is not None:
        return hint[0]
    if values and all(isinstance(value, int | float) and not isinstance(value, bool) for value in values):
        return "NUMBER"
    return "STRING"


def _timestamp_format(values: list[Any]) -> str | None:
    texts = [value for value in values if isinstance(value, str)]
    if not texts or not all(_ISO_TIMESTAMP.fullmatch(text) for text in texts):
        return None
    return "yyyy-MM-dd'T'HH:mm:ss.SSSZ" if "." in texts[0] else "yyyy-MM-dd'T'HH:mm:ssZ"


def detect(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """The proposed Fields, Keys and SourceLastUpdatedTimestampFormat of objects like these."""
    values: dict[tuple[str, ...], list[Any]] = {}
    for document in documents:
        for path, value in _leaves(document):
            values.setdefault(path, []).append(value)
    leaf_names = Counter(path[-1] for path in values)
    fields: dict[str, dict[str, str]] = {}
    names: dict[tuple[str, ...], str] = {}
    for path, seen in values.items():
        name = _FIELD_NAME.sub("_", path[-1] if leaf_names[path[-1]] == 1 else ".".join(path))[:64]
        content = _content_type(path[-1], seen)
        field = {"Source": "_source." + ".".join(path), "ContentType": content}
        hint = _HINTS.get(_normalized(path[-1]))
        target = hint[1] if hint and hint[0] == content else None  # "email" holding phone numbers targets neither
        if target is not None and target not in {spec.get("Target") for spec in fields.values()}:
            field["Target"] = target
        fields[name], names[path] = field, name
    keys: dict[str, list[dict[str, Any]]] = {}
    for content, key in (("EMAIL_ADDRESS", "_email"), ("PHONE_NUMBER", "_phone")):
        first = next((name for name, field in fields.items() if field["ContentType"] == content), None)
        if first is not None:
            keys[key] = [{"StandardIdentifiers": ["PROFILE"], "FieldNames": [first]}]
    ids = [names[path] for path in values if len(path) == 1 and _normalized(path[0]).endswith("id")
           and all(isinstance(value, str | int) and not isinstance(value, bool) for value in values[path])]
    if ids:
        unique = "id" if "id" in ids else ids[0]
        keys[re.sub(r"[^a-zA-Z0-9_-]", "_", unique)] = [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": [unique]}]
    detected: dict[str, Any] = {"Fields": fields, "Keys": keys}
    for path, seen in values.items():
        if _normalized(path[-1]) in _LAST_UPDATED and (found := _timestamp_format(seen)):
            detected["SourceLastUpdatedTimestampFormat"] = found
            break
    return detected


@profiles.operation("DetectProfileObjectType")
def detect_profile_object_type(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    require_domain(ctx, params["DomainName"])
    detected = detect([parse_object(text) for text in params["Objects"]])
    validate_definition({"Description": "detected", **detected})  # what it proposes, PutProfileObjectType takes
    return {"DetectedProfileObjectTypes": [detected]}
