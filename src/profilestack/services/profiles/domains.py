"""Customer Profiles domains: regional, each with its dedicated service-linked role."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, bindparam, delete, func, insert, select, update

from profilestack.gateway.context import CallContext
from profilestack.outbox.cleanup import prune_in_task
from profilestack.services.next_token import rows_by_name
from profilestack.services.profiles import domain_stats, service_role
from profilestack.services.profiles.errors import bad_request, not_found
from profilestack.services.profiles.identity_jobs import matching_changed
from profilestack.services.profiles.service import profiles
from profilestack.services.profiles.tables import (
    profile_calculated_attributes,
    profile_domain_layouts,
    profile_domain_object_types,
    profile_domains,
    profile_event_streams,
    profile_event_triggers,
    profile_history_records,
    profile_identity_resolution_jobs,
    profile_integrations,
    profile_intent_definitions,
    profile_keys,
    profile_matches,
    profile_object_types,
    profile_objects,
    profile_purges,
    profile_recommender_filters,
    profile_recommender_schemas,
    profile_recommender_versions,
    profile_recommenders,
    profile_segment_definitions,
    profile_segment_estimates,
    profile_segment_events,
    profile_segment_members,
    profile_segment_snapshots,
    profile_segment_streams,
    profile_segment_subscriptions,
    profile_trigger_invocations,
    profile_upload_jobs,
    profiles_table,
)
from profilestack.store.locks import domain_data_key, lock_for_transaction, takes_locks
from profilestack.store.prepared import Prepared
from profilestack.store.resource_tags import remove_tags, set_tags, with_tags

if TYPE_CHECKING:
    from profilestack.app import App

_SETTINGS = {"DefaultExpirationDays": "default_expiration_days", "DefaultEncryptionKey": "default_encryption_key",
             "DeadLetterQueueUrl": "dead_letter_queue_url", "Matching": "matching",
             "RuleBasedMatching": "rule_based_matching", "DataStore": "data_store"}


def domain_arn(ctx: CallContext, name: str) -> str:
    return f"arn:aws:profile:{ctx.region}:{ctx.account}:domains/{name}"


# Built once: composing the expression per call costs more than the query itself.
_NAMED = (profile_domains.c.account_id == bindparam("b_account"), profile_domains.c.region == bindparam("b_region"),
          profile_domains.c.name == bindparam("b_name"))
_FIND_DOMAIN = Prepared(select(profile_domains).where(*_NAMED))
_FIND_DOMAIN_ID = Prepared(select(profile_domains.c.id, profile_domains.c.name).where(*_NAMED))
_DOMAIN_EXISTS = Prepared(select(profile_domains.c.id).where(profile_domains.c.id == bindparam("b_domain")))


def domain_named(db: Connection, account: str, region: str, name: str) -> Row[Any] | None:
    return _FIND_DOMAIN.first(db, {"b_account": account, "b_region": region, "b_name": name})


class NotInDatabase(LookupError):
    """What the command-line tools that work on a domain's data say when it (or the object type they name) is not
    there."""


def existing_domain(db: Connection, account: str, region: str, name: str) -> Row[Any]:
    domain = domain_named(db, account, region, name)
    if domain is None:
        raise NotInDatabase(f"no domain {name} in account {account}, region {region}")
    return domain


def find_domain(ctx: CallContext, name: str) -> Row[Any] | None:
    return domain_named(ctx.db, ctx.account, ctx.region, name)


def require_domain(ctx: CallContext, name: str) -> Row[Any]:
    row = find_domain(ctx, name)
    if row is None:
        raise not_found(f"Domain {name} does not exist.")
    return row


def require_domain_for_data(ctx: CallContext, name: str, *profile_ids: str) -> Row[Any]:
    """The domain, for a call that writes its customer data (profiles, keys, history): held as hold_domain_data
    holds it, with the profiles the call reads and then writes (``profile_ids``) held alone."""
    row = require_domain(ctx, name)
    hold_domain_data(ctx.db, row, *profile_locks(row, profile_ids))
    return row


def profile_locks(domain: Row[Any], profile_ids: Iterable[str]) -> list[str]:
    """The locks of profiles a call reads, then writes (their fields, their keys, a merge): two such calls on one
    profile take turns (PostgreSQL), or the second would write over what it did not see — crossing merges deleted
    both profiles, and of two updates of different fields only the last one's stayed."""
    return [profile_lock(domain, profile_id) for profile_id in profile_ids]


def profile_lock(domain: Row[Any], profile_id: str) -> str:
    return f"profile:{domain.id}:{profile_id}"


def hold_domain_data(db: Connection, domain: Row[Any], *keys: str) -> None:
    """The domain's data lock shared (with ``keys`` taken alone, in the same statement) until the transaction
    ends, and the domain looked at again once it is held. A DeleteDomain waits for the holders, and its purge
    comes after it: a write that read the domain before such a DeleteDomain committed and wrote after it would
    leave rows that nothing would ever read or remove (PostgreSQL reads the domain before the lock; SQLite's one
    writer read it inside this transaction)."""
    lock_for_transaction(db, *keys, shared=(domain_data_key(domain.id),))
    _require_still_there(db, domain)


def hold_domain_data_alone(db: Connection, domain: Row[Any]) -> None:
    """The domain's data lock, alone, for a call deleting a part of its data wholesale (the domain, an object type),
    and the domain looked at again once it is held. Such a call looks for what it deletes after this: of two at
    once, the second finds it gone."""
    lock_for_transaction(db, domain_data_key(domain.id))
    _require_still_there(db, domain)


def _require_still_there(db: Connection, domain: Row[Any]) -> None:
    """Once a lock of the domain's data is held: the domain, read before the lock, not deleted meanwhile by a
    transaction that held the lock first (PostgreSQL; SQLite's one writer read it inside this transaction)."""
    if takes_locks(db) and _DOMAIN_EXISTS.first(db, {"b_domain": domain.id}) is None:
        raise not_found(f"Domain {domain.name} does not exist.")


def require_domain_id(ctx: CallContext, name: str) -> Row[Any]:
    """The domain's ``id`` and ``name``, all that reading its profiles takes. A read-only call's lookup is
    remembered for up to a second: a domain created or deleted in this process is seen at once, one created or
    deleted by another process sharing the database up to a second late (docs/decisions.md)."""
    if ctx.write:
        row = find_domain(ctx, name)
    else:
        row = ctx.app.profile_domain_ids.get((ctx.account, ctx.region, name), lambda: _FIND_DOMAIN_ID.first(
            ctx.db, {"b_account": ctx.account, "b_region": ctx.region, "b_name": name}))
    if row is None:
        raise not_found(f"Domain {name} does not exist.")
    return row


def _forget_domain_ids(ctx: CallContext) -> None:
    ctx.on_commit(ctx.app.profile_domain_ids.invalidate)


def _stored(params: dict[str, Any]) -> dict[str, Any]:
    values = {column: params[member] for member, column in _SETTINGS.items() if member in params}
    rule_based = values.get("rule_based_matching")
    if rule_based is not None:
        values["rule_based_matching"] = {**rule_based, "Status": "ACTIVE" if rule_based.get("Enabled") else "PENDING"}
        values["merge_cursor"] = None  # new rules: merging looks at every profile again
    return values


def _extra_metered(db: Connection, domain_id: int) -> int:
    """A profile with more than 100 objects counts as two, more than 200 as three, and so on."""
    counts = db.execute(select(func.count()).select_from(profile_objects).where(
        profile_objects.c.domain_id == domain_id, profile_objects.c.profile_id.is_not(None))
        .group_by(profile_objects.c.profile_id).having(func.count() > 100)).scalars()
    return sum((count - 1) // 100 for count in counts)


def domain_shape(ctx: CallContext, row: Row[Any], stats: bool = False) -> dict[str, Any]:
    shape: dict[str, Any] = {"DomainName": row.name}
    for member, column in _SETTINGS.items():
        value = getattr(row, column)
        if value is not None:
            shape[member] = value
    shape["CreatedAt"], shape["LastUpdatedAt"] = row.created_at, row.updated_at
    if stats:
        profile_count, object_count, size = domain_stats.counts(ctx.db, row)
        shape["Stats"] = {"ProfileCount": profile_count,
                          "MeteringProfileCount": profile_count + _extra_metered(ctx.db, row.id),
                          "ObjectCount": object_count, "TotalSize": size}
    with_tags(ctx.db, row.arn, shape)
    return shape


@profiles.operation("CreateDomain")
def create_domain(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["DomainName"]
    if find_domain(ctx, name) is not None:
        raise bad_request(f"Domain {name} already exists.")
    role_name = service_role.create_domain_role(ctx, name)
    now = ctx.now()
    arn = domain_arn(ctx, name)
    ctx.db.execute(insert(profile_domains).values(account_id=ctx.account, region=ctx.region, name=name, arn=arn,
                                                  created_at=now, updated_at=now, role_name=role_name,
                                                  **_stored(params)))
    if params.get("Tags"):
        set_tags(ctx.db, arn, params["Tags"], bad_request)
    _forget_domain_ids(ctx)
    created = require_domain(ctx, name)
    matching_changed(ctx, created.id, None, created.matching)
    return domain_shape(ctx, created)


@profiles.operation("GetDomain")
def get_domain(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return domain_shape(ctx, require_domain(ctx, params["DomainName"]), stats=True)


@profiles.operation("UpdateDomain")
def update_domain(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = require_domain(ctx, params["DomainName"])
    ctx.db.execute(update(profile_domains).where(profile_domains.c.id == row.id)
                   .values(updated_at=ctx.now(), **_stored(params)))
    if params.get("Tags"):
        set_tags(ctx.db, row.arn, params["Tags"], bad_request)
    if "Matching" in params:
        matching_changed(ctx, row.id, row.matching, params["Matching"])
    return domain_shape(ctx, require_domain(ctx, row.name))


# What a domain holds per customer, which may be millions of rows: removed after DeleteDomain in short
# transactions (PURGE_TASK), not in its own, which on SQLite would hold every writer of the server up meanwhile.
_BULK = (profile_objects, profile_keys, profiles_table, profile_history_records, profile_segment_members,
         profile_segment_events, profile_matches, profile_trigger_invocations)
# and its configuration, a few rows each: removed with it
_CONFIGURATION = (profile_object_types, profile_purges, profile_event_triggers, profile_integrations,
                  profile_calculated_attributes, profile_segment_definitions, profile_segment_estimates,
                  profile_domain_layouts, profile_domain_object_types, profile_upload_jobs,
                  profile_segment_subscriptions, profile_event_streams, profile_segment_snapshots,
                  profile_identity_resolution_jobs, profile_segment_streams, profile_recommender_schemas,
                  profile_recommender_filters, profile_recommenders, profile_recommender_versions,
                  profile_intent_definitions)
PURGE_TASK = "profile.purge_deleted_domain"


def delete_domain_data(ctx: CallContext, domain: Row[Any]) -> None:
    """The domain's object types, triggers, integrations, calculated attributes, segments (their estimates,
    subscriptions, snapshots), layouts, domain object types, upload jobs, event and segment streams, identity
    resolution jobs, recommenders (their schemas, filters and trained versions) and tags go at once; its profiles,
    keys, objects, history records, segment members and events, matches and trigger invocations soon after, by
    PURGE_TASK. Nothing can reach those meanwhile: every read and write finds them through the domain, and a
    domain id is never given again (AUTOINCREMENT)."""
    hold_domain_data_alone(ctx.db, domain)  # objects still coming in finish first
    for table in _CONFIGURATION:
        ctx.db.execute(delete(table).where(table.c.domain_id == domain.id))
    domain_stats.forget(ctx.db, domain.id)
    remove_tags(ctx.db, domain.arn, with_children=True)
    ctx.enqueue(PURGE_TASK, {"domain_id": domain.id})


@profiles.task(PURGE_TASK)
def purge_deleted_domain(app: App, payload: dict[str, Any]) -> None:
    """A deleted domain's customer data, ten thousand rows per transaction, table after table; the task comes back
    for the rest when its run's time is up."""
    for table in _BULK:
        prune_in_task(app.database, table, table.c.domain_id == payload["domain_id"], in_key_order=False)


@profiles.operation("DeleteDomain")
def delete_domain(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = require_domain(ctx, params["DomainName"])
    delete_domain_data(ctx, row)
    ctx.db.execute(delete(profile_domains).where(profile_domains.c.id == row.id))
    _forget_domain_ids(ctx)
    service_role.schedule_role_deletion(ctx, row.role_name)
    return {"Message": f"Domain {row.name} was deleted."}


@profiles.operation("ListDomains")
def list_domains(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    def items(chunk: list[Row[Any]]) -> list[dict[str, Any]]:
        listed = []
        for row in chunk:
            item = {"DomainName": row.name, "CreatedAt": row.created_at, "LastUpdatedAt": row.updated_at}
            with_tags(ctx.db, row.arn, item)
            listed.append(item)
        return listed

    return rows_by_name(ctx.db, select(profile_domains).where(
        profile_domains.c.account_id == ctx.account, profile_domains.c.region == ctx.region),
        profile_domains.c.name, params, items)
