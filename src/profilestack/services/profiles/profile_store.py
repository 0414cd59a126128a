"""Profiles and their search keys: the storage every profile operation and object ingestion share.

A profile's standard fields live in one JSON column; every value a search can use is a row of
``profile_keys`` (indexed by domain, key name and value), so search, BatchGetProfile and
object matching cost the same at ten thousand profiles as at a million.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Text,
    bindparam,
    cast,
    delete,
    func,
    insert,
    select,
    text,
    update,
)

from profilestack import jsontext
from profilestack.gateway.encoded import EncodedJson
from profilestack.services.profiles import domain_stats
from profilestack.services.profiles.mapping import MAX_KEY_LENGTH
from profilestack.services.profiles.phone_numbers import other_form, with_dialable
from profilestack.services.profiles.tables import profile_keys, profile_objects, profiles_table
from profilestack.store.prepared import Prepared
from profilestack.store.statements import insert_ignoring_duplicates

ADDRESSES = ("Address", "ShippingAddress", "MailingAddress", "BillingAddress")
PHONES = ("PhoneNumber", "MobilePhoneNumber", "HomePhoneNumber", "BusinessPhoneNumber")
EMAILS = ("EmailAddress", "PersonalEmailAddress", "BusinessEmailAddress")
STANDARD_ORIGIN = "profile"


def object_origin(object_type: str) -> str:
    """The origin of the keys an object type's objects give their profiles."""
    return f"object:{object_type}"


def standard_keys(fields: dict[str, Any]) -> list[tuple[str, str]]:
    """The predefined keys a profile's own fields provide: _account, _phone, _email, _fullName."""
    keys = []
    if fields.get("AccountNumber"):
        keys.append(("_account", fields["AccountNumber"]))
    keys += with_dialable(("_phone", fields[name]) for name in PHONES if fields.get(name))
    keys += [("_email", fields[name]) for name in EMAILS if fields.get(name)]
    full_name = " ".join(fields[name] for name in ("FirstName", "MiddleName", "LastName") if fields.get(name))
    if full_name:
        keys.append(("_fullName", full_name))
    # a search value has 255 characters at most: a longer name (three names of 255) could never be found by it
    return [key for key in dict.fromkeys(keys) if len(key[1]) <= MAX_KEY_LENGTH]


def key_pairs(name: str, values: Iterable[str]) -> list[tuple[str, str]]:
    """A key's (name, value) pairs as kept: a ``_phone`` key's also in E.164 form, as its fields' are."""
    pairs = [(name, value) for value in values]
    return with_dialable(pairs) if name == "_phone" else pairs


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


# Hot statements are built once: building SQLAlchemy expressions costs more than running them.
_INSERT_PROFILE = Prepared(insert(profiles_table))
_SAVE_FIELDS = Prepared(update(profiles_table).where(profiles_table.c.id == bindparam("b_id")).values(
    fields=bindparam("b_fields"), field_sources=bindparam("b_sources"), updated_at=bindparam("b_now")))
_REMOVE_ORIGIN = Prepared(delete(profile_keys).where(profile_keys.c.profile_id == bindparam("b_profile"),
                                                     profile_keys.c.origin == bindparam("b_origin")))


def add_keys(db: Connection, domain_id: int, profile_id: str, pairs: Iterable[tuple[str, str]], origin: str,
             *more: tuple[Iterable[tuple[str, str]], str]) -> None:
    """Keys the profile already has from the same origin are kept as they are; ``more`` adds other (pairs, origin)
    groups in the same statement."""
    insert_ignoring_duplicates(db, profile_keys, [
        {"domain_id": domain_id, "key_name": name, "key_value": value, "profile_id": profile_id, "origin": source}
        for group, source in ((pairs, origin), *more) for name, value in dict.fromkeys(group)])


def remove_keys(db: Connection, profile_id: str, origin: str | None = None,
                pairs: Iterable[tuple[str, str]] | None = None) -> None:
    if pairs is not None:
        for name, value in pairs:
            db.execute(delete(profile_keys).where(profile_keys.c.profile_id == profile_id,
                                                  profile_keys.c.key_name == name, profile_keys.c.key_value == value))
        return
    if origin is not None:
        _REMOVE_ORIGIN.run(db, {"b_profile": profile_id, "b_origin": origin})
    else:
        db.execute(delete(profile_keys).where(profile_keys.c.profile_id == profile_id))


def create_profile(db: Connection, domain_id: int, profile_id: str, fields: dict[str, Any], now: datetime,
                   field_sources: dict[str, str] | None = None,
                   object_keys: tuple[Iterable[tuple[str, str]], str] | None = None) -> str:
    """``object_keys``: the (pairs, origin) of the object that creates the profile, stored with its own keys."""
    _INSERT_PROFILE.run(db, {"id": profile_id, "domain_id": domain_id, "fields": fields,
                                 "field_sources": field_sources or {}, "created_at": now, "updated_at": now})
    add_keys(db, domain_id, profile_id, standard_keys(fields), STANDARD_ORIGIN, *([object_keys] if object_keys else []))
    domain_stats.adjust(db, domain_id, profiles=1)
    return profile_id


def save_fields(db: Connection, domain_id: int, profile: Row[Any], fields: dict[str, Any], now: datetime,
                field_sources: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """The profile's predefined keys as the new fields give them."""
    _SAVE_FIELDS.run(db, {"b_id": profile.id, "b_fields": fields, "b_now": now,
                              "b_sources": profile.field_sources if field_sources is None else field_sources})
    (keys,) = _rekey(db, domain_id, [(profile, fields)])
    return keys


def save_many_fields(db: Connection, domain_id: int,
                     changes: list[tuple[Row[Any], dict[str, Any], dict[str, str]]]) -> None:
    """``save_fields`` for many (profile, fields, field sources), each profile's update date kept: a statement of
    each kind for them all (scrubbing an object type's fields from thousands of profiles)."""
    if not changes:
        return
    _SAVE_FIELDS.run_many(db, [{"b_id": profile.id, "b_fields": fields, "b_sources": sources,
                                "b_now": profile.updated_at} for profile, fields, sources in changes])
    _rekey(db, domain_id, [(profile, fields) for profile, fields, _ in changes])


def _rekey(db: Connection, domain_id: int, saved: list[tuple[Row[Any], dict[str, Any]]]) -> list[list[tuple[str, str]]]:
    """Profiles saved with new fields: where those change their predefined keys, the old keys go and the new come.
    Each profile's predefined keys now."""
    keys = [standard_keys(fields) for _, fields in saved]
    rekeyed = [(profile.id, new) for (profile, _), new in zip(saved, keys, strict=True)
               if new != standard_keys(profile.fields)]
    if not rekeyed:
        return keys
    _REMOVE_ORIGIN.run_many(db, [{"b_profile": profile_id, "b_origin": STANDARD_ORIGIN} for profile_id, _ in rekeyed])
    insert_ignoring_duplicates(db, profile_keys, [
        {"domain_id": domain_id, "key_name": name, "key_value": value, "profile_id": profile_id,
         "origin": STANDARD_ORIGIN} for profile_id, pairs in rekeyed for name, value in pairs])
    return keys


_IDS_PER_STATEMENT = 20  # BatchGetProfile's limit and SearchProfiles' default page
_BY_IDS: dict[tuple[bool, int], Prepared] = {}


def _by_ids(count: int, encoded: bool) -> Prepared:
    statement = _BY_IDS.get((encoded, count))
    if statement is None:
        columns = ((profiles_table.c.id, cast(profiles_table.c.fields, Text).label("fields")) if encoded
                   else (profiles_table,))
        statement = _BY_IDS[(encoded, count)] = Prepared(select(*columns).where(
            profiles_table.c.domain_id == bindparam("domain"),
            profiles_table.c.id.in_([bindparam(f"id{index}") for index in range(count)])))
    return statement


def load_profiles(db: Connection, domain_id: int, ids: Iterable[str], encoded: bool = False) -> dict[str, Any]:
    """Profile id → its row, in the order asked, one statement per twenty. ``encoded``: only ``id`` and ``fields``
    as the JSON text stored, for answers that pass it on as it is (``profile_json``)."""
    wanted = list(dict.fromkeys(ids))
    rows = {}
    for start in range(0, len(wanted), _IDS_PER_STATEMENT):
        chunk = wanted[start:start + _IDS_PER_STATEMENT]
        values = {"domain": domain_id, **{f"id{index}": profile_id for index, profile_id in enumerate(chunk)}}
        rows.update((row.id, row) for row in _by_ids(len(chunk), encoded).all(db, values))
    return {profile_id: rows[profile_id] for profile_id in wanted if profile_id in rows}


_PROFILES_PER_FETCH = 5_000


# SQLite reads a domain's profiles through the domain's index in the order of their random ids, one lookup of the
# table each; reading the whole table in its own order is three to four times faster when the domain is most of it
# (a million-profile domain's matching) and far slower when it is a sliver. SQLite has no statistics to choose
# by: the domains' profile counts (as last folded) tell.
_SCAN_SHARE = 4  # scanned when the domain holds a quarter of all profiles or more
_SHARE_OF_PROFILES = text("SELECT profile_count, (SELECT sum(profile_count) FROM profile_domains) "
                          "FROM profile_domains WHERE id = :domain")


def whole_domain(db: Connection, domain_id: int) -> ColumnElement[bool]:
    """The condition that selects every profile of the domain, for reads of all of them."""
    column: Any = profiles_table.c.domain_id
    if db.dialect.name == "sqlite":
        share = db.execute(_SHARE_OF_PROFILES, {"domain": domain_id}).first()
        if share is not None and share[0] * _SCAN_SHARE >= (share[1] or 0):
            column = column + 0  # no index serves an expression: SQLite scans the table
    return column == domain_id


def every_profile(db: Connection, domain_id: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """The (id, fields) of every profile of the domain, streamed: a million profiles are never in memory at once
    (matching a whole domain reads them so, and more than once)."""
    statement = select(profiles_table.c.id, profiles_table.c.fields).where(
        whole_domain(db, domain_id)).execution_options(yield_per=_PROFILES_PER_FETCH)
    return ((row.id, row.fields) for row in db.execute(statement))


KEY_HOLDERS = Prepared(select(profile_keys.c.profile_id, profile_keys.c.origin).where(
    profile_keys.c.domain_id == bindparam("domain"), profile_keys.c.key_name == bindparam("name"),
    profile_keys.c.key_value == bindparam("value")))
Holders = dict[str, set[str]]  # profile id → the origins that give it a key


def holders_of(rows: Iterable[Row[Any]]) -> Holders:
    """The holders of a key from KEY_HOLDERS' rows for it."""
    holders: Holders = {}
    for row in rows:
        holders.setdefault(row.profile_id, set()).add(row.origin)
    return holders


def key_holders(db: Connection, domain_id: int, key_name: str, value: str) -> Holders:
    return holders_of(KEY_HOLDERS.all(db, {"domain": domain_id, "name": key_name, "value": value}))


def find_by_key(db: Connection, domain_id: int, key_name: str, values: list[str]) -> dict[str, list[str]]:
    """Profile id → the values of ``key_name`` it matched."""
    if key_name == "_profileId":
        return {profile_id: [profile_id] for profile_id in load_profiles(db, domain_id, values, encoded=True)}
    found: dict[str, list[str]] = {}
    for value in dict.fromkeys(values):
        holders = key_holders(db, domain_id, key_name, value).keys()
        form = other_form(value)  # a phone number in any format: also the E.164 form phone keys are kept in
        if form is not None:
            holders = holders | key_holders(db, domain_id, key_name, form).keys()
        for profile_id in holders:  # once, whatever gives it the key
            found.setdefault(profile_id, []).append(value)
    return found


def delete_profile(db: Connection, domain_id: int, profile_id: str) -> None:
    delete_objects(db, domain_id, profile_objects.c.profile_id == profile_id)
    remove_keys(db, profile_id)
    deleted = db.execute(delete(profiles_table).where(profiles_table.c.id == profile_id)).rowcount
    domain_stats.adjust(db, domain_id, profiles=-deleted)


def delete_objects(db: Connection, domain_id: int, *conditions: ColumnElement[bool]) -> list[Row[Any]]:
    """The domain's objects meeting ``conditions`` deleted, and the domain's stats told of exactly those: of what
    the statement removed (RETURNING), not of what a read before it found, which on PostgreSQL another call may
    have removed meanwhile (twelve DeleteProfileObject calls at once took the count down by three). The rows
    removed: their type, unique key, profile and size (not their bodies: a profile may have thousands)."""
    gone = db.execute(delete(profile_objects).where(profile_objects.c.domain_id == domain_id, *conditions).returning(
        profile_objects.c.object_type, profile_objects.c.unique_key, profile_objects.c.profile_id,
        func.length(profile_objects.c.body).label("size"))).all()
    if gone:
        domain_stats.adjust(db, domain_id, objects=-len(gone), size=-sum(row.size for row in gone))
    return gone


def profile_json(row: Row[Any], found_by: list[dict[str, Any]] | None = None) -> EncodedJson:
    """The Profile structure from a row loaded ``encoded``: its stored fields are already the shape's wire form
    (the Profile shape's member names, strings and string maps), passed on as they are."""
    text = f'{{"ProfileId":"{row.id}"'  # ids are 32 hex characters (Ids.hex32): nothing to escape
    if len(row.fields) > 2:  # not "{}"
        text += "," + row.fields[1:-1]
    if found_by:
        text += ',"FoundByItems":' + jsontext.dumps(found_by)
    return EncodedJson(text + "}")
