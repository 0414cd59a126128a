"""Profile objects: ingestion through the object type's mapping, listing, deletion.

``ingest`` is the one path objects take — from PutProfileObject and from the bulk loader.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import Connection, Row, bindparam, insert, literal, select, tuple_, update

from profilestack import jsontext
from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.outbox.cleanup import prune_in_task
from profilestack.outbox.wakeups import announce
from profilestack.outbox.worker import enqueue
from profilestack.runtime import Clock, Ids
from profilestack.services.next_token import keyset_result
from profilestack.services.profiles import domain_stats
from profilestack.services.profiles import profile_store as store
from profilestack.services.profiles.domains import (
    hold_domain_data,
    profile_lock,
    require_domain,
    require_domain_for_data,
)
from profilestack.services.profiles.errors import bad_request, not_found
from profilestack.services.profiles.event_triggers import has_triggers
from profilestack.services.profiles.history import (
    CREATED,
    DELETED_BY_CUSTOMER,
    EXPIRED,
    INGESTED,
    SERVICE,
    History,
)
from profilestack.services.profiles.ingest_lookups import LIVE, BatchLookups, Lookups, find_object
from profilestack.services.profiles.mapping import (
    MATCHING,
    MAX_KEY_LENGTH,
    MappedObject,
    map_object,
    parse_object,
    unique_key_name,
)
from profilestack.services.profiles.object_types import definition_of
from profilestack.services.profiles.service import profiles
from profilestack.services.profiles.standard_objects import STANDARD_OBJECTS, StandardObject, merged
from profilestack.services.profiles.tables import (
    profile_domains,
    profile_history_records,
    profile_object_types,
    profile_objects,
)
from profilestack.services.profiles.trigger_runtime import EVALUATE_TASK, evaluation
from profilestack.services.profiles.upload_job_types import upload_type_definition
from profilestack.store.locks import lock_one_for_transaction, takes_locks
from profilestack.store.pipeline import pipelined
from profilestack.store.prepared import Prepared
from profilestack.store.types import UtcDateTime

if TYPE_CHECKING:
    from profilestack.app import App


_ONE_OBJECT = (profile_objects.c.domain_id == bindparam("b_domain"),
               profile_objects.c.object_type == bindparam("b_type"),
               profile_objects.c.unique_key == bindparam("b_key"))
_INSERT_OBJECT = Prepared(insert(profile_objects))
# ListProfileObjects' order (and MaxProfileObjectCount's, newest first): the index's after the profile and type
_LISTING_ORDER = (profile_objects.c.created_at, profile_objects.c.unique_key)
_UPDATE_OBJECT = Prepared(update(profile_objects).where(*_ONE_OBJECT).values(
    body=bindparam("b_body"), profile_id=bindparam("b_profile"), expires_at=bindparam("b_expires")))


# standard identifier → the standard object whose records keys of it name; matched after PROFILE keys
_RECORD_TIES = {standard.tie: standard.name for standard in STANDARD_OBJECTS.values() if standard.tie is not None}
_MATCHING_ORDER = ("PROFILE", *_RECORD_TIES, "SECONDARY", "LOOKUP_ONLY")
_FOUND_AGAIN = 3  # times an object's profile is looked for when the one found was merged away meanwhile


def _matching_profile(db: Connection, domain_id: int, mapped: MappedObject, origin: str, lookups: Lookups
                      ) -> tuple[str | None, set[tuple[str, str]]]:
    """PROFILE keys first, then ASSET, CASE and ORDER keys (the profile holding the record they name), then
    SECONDARY (LOOKUP_ONLY keys match but are not kept); more than one match at a level is refused, as Customer
    Profiles cannot pick a profile. The profile, and the keys it was found by that objects of this type
    (``origin``) gave it already."""
    for identifier in _MATCHING_ORDER:
        found: dict[str, set[tuple[str, str]]] = {}
        record_of = _RECORD_TIES.get(identifier)
        for name, value in mapped.values_for(identifier):
            if record_of is not None:
                record = lookups.object(db, domain_id, record_of, value)
                if record is not None and record.profile_id is not None:
                    found.setdefault(record.profile_id, set())
                continue
            for profile_id, origins in lookups.key_holders(db, domain_id, name, value).items():
                held = found.setdefault(profile_id, set())
                if origin in origins:
                    held.add((name, value))
        if len(found) > 1:
            raise bad_request(f"The object matches {len(found)} profiles by its {identifier} keys; it cannot be "
                              "associated with a unique profile.")
        if found:
            return next(iter(found.items()))
    return None, set()


def _priorities(db: Connection, domain_id: int) -> dict[str, int]:
    rows = db.execute(select(profile_object_types.c.name, profile_object_types.c.definition)
                      .where(profile_object_types.c.domain_id == domain_id))
    return {row.name: row.definition["SourcePriority"] for row in rows if "SourcePriority" in row.definition}


def _apply_fields(db: Connection, domain_id: int, profile: Row[Any], mapped: MappedObject, object_type: str,
                  now: datetime) -> list[tuple[str, str]] | None:
    """Targets fill the profile, except fields another object type with a better SourcePriority (lower) filled;
    if they changed it, its predefined keys as they now are."""
    changes = dict(mapped.profile_fields)
    others = {profile.field_sources.get(name) for name in changes} - {None, object_type}
    if others:
        priorities = _priorities(db, domain_id)
        mine = priorities.get(object_type)
        for name in list(changes):
            theirs = priorities.get(profile.field_sources.get(name, object_type))
            if theirs is not None and (mine is None or theirs < mine):
                del changes[name]
    if not changes:
        return None
    fields = store.merge_fields(profile.fields, changes)
    sources = {**profile.field_sources, **dict.fromkeys(changes, object_type)}
    if fields == profile.fields and sources == profile.field_sources:  # a known customer's usual object
        return None
    return store.save_fields(db, domain_id, profile, fields, now, field_sources=sources)


Mapped = tuple[MappedObject, str]  # an object mapped through its type, and its unique key


def _mapped(definition: dict[str, Any], text: str) -> Mapped:
    """The object mapped through its type, and its unique key (the text's digest when the type names none)."""
    mapped = map_object(definition, parse_object(text))
    return mapped, mapped.unique_key or hashlib.sha256(text.encode()).hexdigest()[:32]


def _mapped_or_refused(definition: dict[str, Any], text: str) -> Mapped | AwsError:
    try:
        return _mapped(definition, text)
    except AwsError as error:
        return error


def _locks(domain: Row[Any], object_type: str, mapped: MappedObject, unique_key: str) -> list[str]:
    """Objects of one customer, with one unique key or filling one standard object's record, ingested at once by
    other connections, wait for each other: otherwise both could create a profile for the same customer, or insert
    the same object or record."""
    records = [*((record_of, value) for tie, record_of in _RECORD_TIES.items() for _, value in mapped.values_for(tie)),
               *((name, fields[STANDARD_OBJECTS[name].identifier]) for name, fields in mapped.standard.items()
                 if STANDARD_OBJECTS[name].identifier in fields)]  # the records it is tied to or fills
    return [f"object:{domain.id}:{object_type}:{unique_key}",
            *(f"profile-key:{domain.id}:{name}={value}" for identifier in MATCHING
              for name, value in mapped.values_for(identifier)),
            *(f"object:{domain.id}:{name}:{identifier}" for name, identifier in records)]


def lock_batch(db: Connection, domain: Row[Any], object_type: str, objects: list[Mapped | AwsError]) -> None:
    """The locks of objects ingested in one transaction, taken all at once before the first: taken object by
    object, two batches of the same customers could each hold one the other waits for. (An object its type
    refused takes none: it is refused when its turn comes.) SQLite, with its one writer, needs none."""
    if takes_locks(db):
        hold_domain_data(db, domain, *(key for item in objects if not isinstance(item, AwsError)
                                       for key in _locks(domain, object_type, *item)))


class Ingested(NamedTuple):
    unique_key: str
    profile_id: str | None
    created_profile: bool


def ingest(db: Connection, ids: Ids, domain: Row[Any], object_type: str, definition: dict[str, Any], text: str,
           now: datetime, performed_by: str | None = None, locked: bool = False,
           history: History | None = None, mapped: Mapped | None = None, lookups: Lookups = LIVE) -> Ingested:
    """Map one object (unless the caller did: ``mapped``), find or create its profile, fill the profile, store the
    object, record it in the profile's history (``history``'s, when the caller keeps one for many objects).
    ``locked``: the caller's ``lock_batch`` holds the object's locks already, and looked at the domain.
    ``lookups``: where its reads are answered (a batch's, read for all its objects at once): every key it writes
    is told to them."""
    history = history or History(db, ids, domain, now, performed_by)
    mapped, unique_key = mapped or _mapped(definition, text)
    if not locked and takes_locks(db):  # SQLite, with its one writer, needs no locks
        hold_domain_data(db, domain, *_locks(domain, object_type, mapped, unique_key))
    origin = store.object_origin(object_type)
    existing, found_by, profile = _held_profile(db, domain, object_type, unique_key, mapped, origin, lookups)
    profile_id = None if profile is None else profile.id
    created = profile is None and bool(definition.get("AllowProfileCreation"))
    if created:
        object_keys = mapped.persisted_keys(True)
        profile_id = store.create_profile(db, domain.id, ids.hex32(), mapped.inferred_fields, now,
                                          dict.fromkeys(mapped.inferred_fields, object_type),
                                          object_keys=(object_keys, origin))
        lookups.profile_created(profile_id, mapped.inferred_fields, object_keys, origin)
        history.profile(CREATED, profile_id, mapped.inferred_fields)
    elif profile is not None:
        keys = _apply_fields(db, domain.id, profile, mapped, object_type, now)
        if keys is not None:  # its fields changed (perhaps to no predefined key at all)
            lookups.keys_replaced(profile_id, keys, store.STANDARD_ORIGIN)
        # the keys it was found by that its type gave already are kept: a known customer's usual object adds none
        added = [pair for pair in mapped.persisted_keys(False) if pair not in found_by]
        store.add_keys(db, domain.id, profile_id, added, origin)
        lookups.keys_added(profile_id, added, origin)
    days = definition.get("ExpirationDays") or domain.default_expiration_days
    expires = now + timedelta(days=days)
    if existing is None:
        _INSERT_OBJECT.run(db, {"domain_id": domain.id, "object_type": object_type, "unique_key": unique_key,
                                    "profile_id": profile_id, "body": text, "created_at": now, "expires_at": expires})
        domain_stats.adjust(db, domain.id, objects=1, size=len(text))
    else:
        _UPDATE_OBJECT.run(db, {"b_domain": domain.id, "b_type": object_type, "b_key": unique_key,
                                    "b_body": text, "b_profile": profile_id, "b_expires": expires})
        domain_stats.adjust(db, domain.id, size=len(text) - len(existing.body))
    if profile_id is not None:
        history.object(INGESTED, profile_id, object_type, unique_key, text)
    for name, fields in mapped.standard.items():
        standard = STANDARD_OBJECTS[name]
        if profile_id is not None or standard.tie is None:  # a catalog item is the domain's, found by no profile
            _keep_record(db, domain.id, profile_id if standard.tie is not None else None, standard, fields, now,
                         lookups)
    _enforce_object_limit(db, domain.id, profile_id, object_type, definition.get("MaxProfileObjectCount"))
    return Ingested(unique_key, profile_id, created)


def _held_profile(db: Connection, domain: Row[Any], object_type: str, unique_key: str, mapped: MappedObject,
                  origin: str, lookups: Lookups) -> tuple[Row[Any] | None, set[tuple[str, str]], Row[Any] | None]:
    """The object as stored (if it is), the keys its profile was found by and the profile it goes to (None: no
    profile has its keys), that profile held until the transaction ends (PostgreSQL) and read once held. A merge
    holds the profiles it merges (``profile_locks``): a profile merged away meanwhile is gone once held, and the
    object's profile is looked for again, a statement at a time — else the object, its keys and its fields went
    to a profile that no longer was."""
    for _ in range(_FOUND_AGAIN):
        existing = lookups.object(db, domain.id, object_type, unique_key)
        if existing is not None:
            profile_id, found_by = existing.profile_id, set()
        else:
            profile_id, found_by = _matching_profile(db, domain.id, mapped, origin, lookups)
        if profile_id is None:
            return existing, found_by, None
        lock_one_for_transaction(db, profile_lock(domain, profile_id))
        profile = store.load_profiles(db, domain.id, [profile_id]).get(profile_id)
        if profile is not None:
            return existing, found_by, profile
        lookups = LIVE  # a batch's answers were read before the merge
    raise AwsError("ThrottlingException", "The object's profile was merged into another again and again while it "
                   "was put; try again.", 429)  # an SDK asks again by itself


def _keep_record(db: Connection, domain_id: int, profile_id: str | None, standard: StandardObject,
                 fields: dict[str, Any], now: datetime, lookups: Lookups) -> None:
    """A standard object's record as an object's targets leave it: stored on the profile under its identifier
    (moved to it from the profile that held it), updated field by field, found by its indexes. An object naming no
    identifier leaves no record (map_object refused one too long before anything was written)."""
    identifier = fields.get(standard.identifier)
    if not isinstance(identifier, str):
        return
    existing = find_object(db, domain_id, standard.name, identifier)
    stored = None if existing is None else jsontext.loads(existing.body)
    record = fields if stored is None else merged(stored, fields)
    if record == stored and existing is not None and existing.profile_id == profile_id:
        return  # a known record's usual object changes nothing: no update, no keys replaced
    body = jsontext.dumps(record)
    origin = _record_origin(standard.name, identifier)
    if existing is None:
        _INSERT_OBJECT.run(db, {"domain_id": domain_id, "object_type": standard.name, "unique_key": identifier,
                                "profile_id": profile_id, "body": body, "created_at": now,
                                "expires_at": None})
        domain_stats.adjust(db, domain_id, objects=1, size=len(body))
    else:
        _UPDATE_OBJECT.run(db, {"b_domain": domain_id, "b_type": standard.name, "b_key": identifier,
                                "b_body": body, "b_profile": profile_id, "b_expires": None})
        domain_stats.adjust(db, domain_id, size=len(body) - len(existing.body))
        if existing.profile_id is not None:
            store.remove_keys(db, existing.profile_id, origin)
            lookups.keys_replaced(existing.profile_id, [], origin)
    indexed = [(index, record[name]) for index, name in standard.indexes.items()
               if isinstance(record.get(name), str) and len(record[name]) <= MAX_KEY_LENGTH]
    if profile_id is not None and indexed:
        store.add_keys(db, domain_id, profile_id, indexed, origin)
        lookups.keys_added(profile_id, indexed, origin)


def _record_origin(standard_name: str, identifier: str) -> str:
    """The origin of a standard object's record's keys: replaced as a whole when the record changes."""
    return f"record:{standard_name}:{identifier}"


def ingest_batch(db: Connection, ids: Ids, clock: Clock, domain: Row[Any], object_type: str,
                 definition: dict[str, Any], texts: list[str], performed_by: str | None = None
                 ) -> list[Ingested | AwsError]:
    """Objects of one type ingested in one transaction, outside any call (the loader, upload jobs), their
    triggers queued for evaluation: each object's outcome, an error for one refused before it wrote anything."""
    now = clock.now()
    outcomes: list[Ingested | AwsError] = []
    history = History(db, ids, domain, now, performed_by, held=[])  # written at the end, together
    objects = [_mapped_or_refused(definition, text) for text in texts]
    with domain_stats.batched(db), pipelined(db):
        evaluate = has_triggers(db, domain.id, object_type)  # once per batch, not per object
        lock_batch(db, domain, object_type, objects)
        lookups = BatchLookups(db, domain.id, object_type, definition,
                               [item for item in objects if not isinstance(item, AwsError)])
        if evaluate:
            announce(db)
        for text, item in zip(texts, objects, strict=True):
            if isinstance(item, AwsError):
                outcomes.append(item)
                continue
            try:
                done = ingest(db, ids, domain, object_type, definition, text, now, performed_by, locked=True,
                              history=history, mapped=item, lookups=lookups)
            except AwsError as error:
                outcomes.append(error)
                continue
            if evaluate:
                enqueue(db, clock, EVALUATE_TASK, evaluation(domain, object_type, done.profile_id, text, now,
                                                             ids.uuid()))
            outcomes.append(done)
        history.write_held()
    return outcomes


def _enforce_object_limit(db: Connection, domain_id: int, profile_id: str | None, object_type: str,
                          limit: int | None) -> None:
    """MaxProfileObjectCount: the oldest objects of the type beyond the limit are dropped."""
    if not limit or profile_id is None:
        return
    beyond = db.execute(select(profile_objects.c.unique_key).where(
        profile_objects.c.domain_id == domain_id, profile_objects.c.profile_id == profile_id,
        profile_objects.c.object_type == object_type).order_by(*(column.desc() for column in _LISTING_ORDER))
        .offset(limit)).scalars().all()
    if beyond:
        store.delete_objects(db, domain_id, profile_objects.c.object_type == object_type,
                             profile_objects.c.unique_key.in_(beyond))


def _put(ctx: CallContext, domain: Row[Any], object_type: str, definition: dict[str, Any], text: str,
         mapped: Mapped | None = None) -> str:
    """One object through the mapping, its triggers queued for evaluation; its unique key. ``mapped``: the caller
    mapped it, and holds its locks (``lock_batch``)."""
    now = ctx.now()
    with domain_stats.batched(ctx.db):  # one change of the domain's counters for the object and any new profile
        done = ingest(ctx.db, ctx.app.ids, domain, object_type, definition, text, now, ctx.principal.arn,
                      locked=mapped is not None, mapped=mapped)
        if has_triggers(ctx.db, domain.id, object_type):
            ctx.enqueue(EVALUATE_TASK, evaluation(domain, object_type, done.profile_id, text, now, ctx.request_id))
    return done.unique_key


@profiles.operation("PutProfileObject")
def put_profile_object(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain(ctx, params["DomainName"])
    definition = definition_of(ctx.db, domain, params["ObjectTypeName"])
    return {"ProfileObjectUniqueKey": _put(ctx, domain, params["ObjectTypeName"], definition, params["Object"])}


@profiles.operation("BatchPutProfileObject")
def batch_put_profile_object(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Up to ten objects of one type, each put as PutProfileObject puts it, each succeeding or failing alone: a
    failed item's writes are undone (a savepoint), the others' stay."""
    domain = require_domain(ctx, params["DomainName"])
    object_type = params["ObjectTypeName"]
    definition = definition_of(ctx.db, domain, object_type)
    objects = [_mapped_or_refused(definition, item["Object"]) for item in params["Items"]]
    lock_batch(ctx.db, domain, object_type, objects)
    successful, failed = [], []
    for item, mapped in zip(params["Items"], objects, strict=True):
        try:
            if isinstance(mapped, AwsError):
                raise mapped
            with ctx.db.begin_nested():
                key = _put(ctx, domain, object_type, definition, item["Object"], mapped)
        except AwsError as error:
            failed.append({"Id": item["Id"], "Code": error.status, "Message": error.message})
        else:
            successful.append({"Id": item["Id"], "ProfileObjectUniqueKey": key})
    return {"Successful": successful, "Failed": failed}


@profiles.operation("ListProfileObjects")
def list_profile_objects(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """A page read from where the last one ended (its token names the last object's place in the listing's
    order), not after every object before it: pages stay put as objects come and go, and cost the same however
    many objects the profile has."""
    domain = require_domain(ctx, params["DomainName"])
    object_type = params["ObjectTypeName"]
    standard = STANDARD_OBJECTS.get(object_type)
    definition = (standard.definition() if standard is not None
                  else upload_type_definition(ctx.db, domain.id, object_type)
                  or definition_of(ctx.db, domain, object_type))
    wanted = params.get("ObjectFilter")
    if wanted and wanted["KeyName"] not in (definition.get("Keys") or {}):
        raise bad_request(f"{wanted['KeyName']} is not a key of object type {object_type}.")

    # a filter by the unique key is a condition on the stored objects' keys; any other maps every object
    by_unique_key = wanted["Values"] if wanted and wanted["KeyName"] == unique_key_name(definition) else None

    def read(after: list[str] | None, skipped: int, count: int) -> Iterator[Row[Any]]:
        rows = _in_listing_order(ctx.db, domain.id, params["ProfileId"], object_type, _listing_place(after),
                                 _FILTERED_CHUNK if wanted else skipped + count, by_unique_key)
        if wanted and by_unique_key is None:
            rows = (row for row in rows
                    if map_object(definition, parse_object(row.body)).keys.get(wanted["KeyName"], ([], None))[1]
                    in wanted["Values"])
        return islice(rows, skipped, None)

    def body(row: Row[Any]) -> str:
        """An object as it was put; a standard object's record with the profile that holds it, as AWS shows
        theirs (not stored in it: a merge moves it to another profile)."""
        if standard is None:
            return row.body
        return jsontext.dumps({"ProfileId": params["ProfileId"], **jsontext.loads(row.body)})

    return keyset_result(read, params, key=lambda row: [row.created_at.isoformat(), row.unique_key], parts=2,
                         shape=lambda rows: [{"ObjectTypeName": object_type, "ProfileObjectUniqueKey": row.unique_key,
                                              "Object": body(row)} for row in rows])


_FILTERED_CHUNK = 500  # objects read at a time when an ObjectFilter leaves out an unknown share of them


def _listing_place(position: list[str] | None) -> tuple[datetime, str] | None:
    if position is None:
        return None
    try:
        created_at, unique_key = position
        return datetime.fromisoformat(created_at), unique_key
    except ValueError as exc:
        raise bad_request("The next token is invalid.") from exc


def _in_listing_order(db: Connection, domain_id: int, profile_id: str, object_type: str,
                      after: tuple[datetime, str] | None, chunk: int,
                      unique_keys: list[str] | None = None) -> Iterator[Row[Any]]:
    """A profile's objects of one type (those of ``unique_keys`` when given) in the listing's order, after
    ``after``, read ``chunk`` at a time along the index that holds them in that order."""
    query = select(profile_objects.c.unique_key, profile_objects.c.body, profile_objects.c.created_at).where(
        profile_objects.c.domain_id == domain_id, profile_objects.c.profile_id == profile_id,
        profile_objects.c.object_type == object_type).order_by(*_LISTING_ORDER).limit(chunk)
    if unique_keys is not None:
        query = query.where(profile_objects.c.unique_key.in_(unique_keys))
    while True:
        rows = db.execute(query if after is None else query.where(
            tuple_(*_LISTING_ORDER) > tuple_(literal(after[0], UtcDateTime), literal(after[1])))).all()
        yield from rows
        if len(rows) < chunk:
            return
        after = (rows[-1].created_at, rows[-1].unique_key)


@profiles.operation("DeleteProfileObject")
def delete_profile_object(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain_for_data(ctx, params["DomainName"])
    row = find_object(ctx.db, domain.id, params["ObjectTypeName"], params["ProfileObjectUniqueKey"])
    missing = f"Profile object {params['ProfileObjectUniqueKey']} does not exist for profile {params['ProfileId']}."
    if row is None or row.profile_id != params["ProfileId"]:
        raise not_found(missing)
    if not store.delete_objects(ctx.db, domain.id, profile_objects.c.object_type == row.object_type,
                                profile_objects.c.unique_key == row.unique_key):
        raise not_found(missing)  # another call deleted it since it was read
    if row.object_type in STANDARD_OBJECTS:
        store.remove_keys(ctx.db, row.profile_id, _record_origin(row.object_type, row.unique_key))
    History.of(ctx, domain).object(DELETED_BY_CUSTOMER, row.profile_id, row.object_type, row.unique_key, row.body)
    return {"Message": f"Profile object {row.unique_key} was deleted."}


EXPIRY_TASK = "profile.expire_objects"
EXPIRY_BATCH = 1000


@profiles.task(EXPIRY_TASK, every=60.0)
def expire_objects(app: App, payload: dict[str, Any]) -> None:
    """Objects past their object type's ExpirationDays (or the domain's default) are removed, in batches, each
    recorded in its profile's history; then history records past their own expiry."""
    while True:
        with app.database.transaction() as db:
            now = app.clock.now()
            rows = db.execute(select(profile_objects.c.domain_id, profile_objects.c.object_type,
                                     profile_objects.c.unique_key, profile_objects.c.body, profile_objects.c.profile_id)
                              .where(profile_objects.c.expires_at <= now).limit(EXPIRY_BATCH)).all()
            domains = {domain.id: domain for domain in db.execute(
                select(profile_domains.c.id, profile_domains.c.default_expiration_days)
                .where(profile_domains.c.id.in_({row.domain_id for row in rows})))} if rows else {}
            for row in rows:
                gone = store.delete_objects(db, row.domain_id, profile_objects.c.object_type == row.object_type,
                                            profile_objects.c.unique_key == row.unique_key,
                                            profile_objects.c.expires_at <= now)
                if gone and row.profile_id is not None and row.domain_id in domains:
                    History(db, app.ids, domains[row.domain_id], now, SERVICE).object(
                        EXPIRED, row.profile_id, row.object_type, row.unique_key, row.body)
        if len(rows) < EXPIRY_BATCH:
            break
    # records expire by their domain's days, not in the order they were made: found through the expiry index
    prune_in_task(app.database, profile_history_records, profile_history_records.c.expires_at <= app.clock.now(),
                  in_key_order=False)
