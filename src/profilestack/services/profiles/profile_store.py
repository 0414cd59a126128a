"""Profiles and their search keys: the storage every profile operation and object ingestion share.

A profile's standard fields live in one JSON column; every value a search can use is a row of
``profile_keys`` (indexed by domain, key name and value), so search, BatchGetProfile and
object matching cost the same at ten thousand profiles as at a million.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, insert, select, update

from profilestack.services.profiles.tables import profile_domains, profile_keys, profile_objects, profiles_table

ADDRESSES = ("Address", "ShippingAddress", "MailingAddress", "BillingAddress")
PHONES = ("PhoneNumber", "MobilePhoneNumber", "HomePhoneNumber", "BusinessPhoneNumber")
EMAILS = ("EmailAddress", "PersonalEmailAddress", "BusinessEmailAddress")
PREDEFINED_KEYS = ("_account", "_profileId", "_assetId", "_caseId", "_orderId", "_fullName", "_phone", "_email",
                   "_ctrContactId", "_marketoLeadId", "_salesforceAccountId", "_salesforceContactId",
                   "_salesforceAssetId", "_zendeskUserId", "_zendeskExternalId", "_zendeskTicketId",
                   "_serviceNowSystemId", "_serviceNowIncidentId", "_segmentUserId", "_shopifyCustomerId",
                   "_shopifyOrderId")
STANDARD_ORIGIN = "profile"


def standard_keys(fields: dict[str, Any]) -> list[tuple[str, str]]:
    """The predefined keys a profile's own fields provide: _account, _phone, _email, _fullName."""
    keys = []
    if fields.get("AccountNumber"):
        keys.append(("_account", fields["AccountNumber"]))
    keys += [("_phone", fields[name]) for name in PHONES if fields.get(name)]
    keys += [("_email", fields[name]) for name in EMAILS if fields.get(name)]
    full_name = " ".join(fields[name] for name in ("FirstName", "MiddleName", "LastName") if fields.get(name))
    if full_name:
        keys.append(("_fullName", full_name))
    return list(dict.fromkeys(keys))


def merge_fields(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """UpdateProfile's rule: an empty string clears a value, an absent one keeps it (also inside addresses and
    attributes)."""
    merged = dict(current)
    for name, value in changes.items():
        if isinstance(value, dict) and name != "EngagementPreferences":
            inner = merge_fields(merged.get(name) or {}, value)
            if inner:
                merged[name] = inner
            else:
                merged.pop(name, None)
        elif value == "":
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def adjust_stats(db: Connection, domain_id: int, profiles: int = 0, objects: int = 0, size: int = 0) -> None:
    if profiles or objects or size:
        db.execute(update(profile_domains).where(profile_domains.c.id == domain_id).values(
            profile_count=profile_domains.c.profile_count + profiles,
            object_count=profile_domains.c.object_count + objects,
            total_size=profile_domains.c.total_size + size))


def add_keys(db: Connection, domain_id: int, profile_id: str, pairs: Iterable[tuple[str, str]], origin: str) -> None:
    rows = [{"domain_id": domain_id, "key_name": name, "key_value": value, "profile_id": profile_id,
             "origin": origin} for name, value in dict.fromkeys(pairs)]
    if not rows:
        return
    existing = {(row.key_name, row.key_value) for row in db.execute(
        select(profile_keys.c.key_name, profile_keys.c.key_value).where(profile_keys.c.profile_id == profile_id))}
    fresh = [row for row in rows if (row["key_name"], row["key_value"]) not in existing]
    if fresh:
        db.execute(insert(profile_keys), fresh)


def remove_keys(db: Connection, profile_id: str, origin: str | None = None,
                pairs: Iterable[tuple[str, str]] | None = None) -> None:
    if pairs is not None:
        for name, value in pairs:
            db.execute(delete(profile_keys).where(profile_keys.c.profile_id == profile_id,
                                                  profile_keys.c.key_name == name, profile_keys.c.key_value == value))
        return
    query = delete(profile_keys).where(profile_keys.c.profile_id == profile_id)
    if origin is not None:
        query = query.where(profile_keys.c.origin == origin)
    db.execute(query)


def create_profile(db: Connection, domain_id: int, profile_id: str, fields: dict[str, Any], now: datetime,
                   field_sources: dict[str, str] | None = None) -> str:
    db.execute(insert(profiles_table).values(id=profile_id, domain_id=domain_id, fields=fields,
                                             field_sources=field_sources or {}, created_at=now, updated_at=now))
    add_keys(db, domain_id, profile_id, standard_keys(fields), STANDARD_ORIGIN)
    adjust_stats(db, domain_id, profiles=1)
    return profile_id


def save_fields(db: Connection, domain_id: int, profile: Row[Any], fields: dict[str, Any], now: datetime,
                field_sources: dict[str, str] | None = None) -> None:
    values: dict[str, Any] = {"fields": fields, "updated_at": now}
    if field_sources is not None:
        values["field_sources"] = field_sources
    db.execute(update(profiles_table).where(profiles_table.c.id == profile.id).values(**values))
    if standard_keys(fields) != standard_keys(profile.fields):
        remove_keys(db, profile.id, STANDARD_ORIGIN)
        add_keys(db, domain_id, profile.id, standard_keys(fields), STANDARD_ORIGIN)


_BY_IDS = select(profiles_table).where(profiles_table.c.domain_id == bindparam("domain"),
                                       profiles_table.c.id.in_(bindparam("ids", expanding=True)))


def load_profiles(db: Connection, domain_id: int, ids: Iterable[str]) -> dict[str, Row[Any]]:
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    return {row.id: row for row in db.execute(_BY_IDS, {"domain": domain_id, "ids": wanted})}


_BY_KEY = select(profile_keys.c.profile_id, profile_keys.c.key_value).where(
    profile_keys.c.domain_id == bindparam("domain"), profile_keys.c.key_name == bindparam("name"),
    profile_keys.c.key_value.in_(bindparam("values", expanding=True)))


def find_by_key(db: Connection, domain_id: int, key_name: str, values: list[str]) -> dict[str, list[str]]:
    """Profile id → the values of ``key_name`` it matched."""
    if key_name == "_profileId":
        return {profile_id: [profile_id] for profile_id in load_profiles(db, domain_id, values)}
    found: dict[str, list[str]] = {}
    for row in db.execute(_BY_KEY, {"domain": domain_id, "name": key_name, "values": list(dict.fromkeys(values))}):
        found.setdefault(row.profile_id, []).append(row.key_value)
    return found


def delete_profile(db: Connection, domain_id: int, profile_id: str) -> None:
    objects = db.execute(select(profile_objects.c.body).where(profile_objects.c.domain_id == domain_id,
                                                              profile_objects.c.profile_id == profile_id)).all()
    db.execute(delete(profile_objects).where(profile_objects.c.domain_id == domain_id,
                                             profile_objects.c.profile_id == profile_id))
    remove_keys(db, profile_id)
    db.execute(delete(profiles_table).where(profiles_table.c.id == profile_id))
    adjust_stats(db, domain_id, profiles=-1, objects=-len(objects), size=-sum(len(row.body) for row in objects))


def profile_shape(row: Row[Any], found_by: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    shape = {"ProfileId": row.id, **row.fields}
    if found_by:
        shape["FoundByItems"] = found_by
    return shape
