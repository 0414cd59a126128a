"""Profile history records: what happened to each profile and by whom (ListProfileHistoryRecords,
GetProfileHistoryRecord).

Every write to a profile records one: its creation, updates, keys added and removed, objects ingested, expired and
deleted, merges and deletion. Records outlive their profile (its deletion is one of them) and are dropped with
their domain or after the domain's ``DefaultExpirationDays``, as objects are (docs/decisions.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, insert, select

from profilestack import jsontext
from profilestack.gateway.context import CallContext
from profilestack.runtime import Ids
from profilestack.services.filters import where_given
from profilestack.services.next_token import rows_newest_first
from profilestack.services.profiles.domains import require_domain
from profilestack.services.profiles.errors import not_found
from profilestack.services.profiles.service import profiles
from profilestack.services.profiles.tables import profile_history_records, profiles_table
from profilestack.store.prepared import Prepared

PROFILE_TYPE = "_profile"  # the ObjectTypeName of records about the profile itself and its keys
SERVICE = "profile.amazonaws.com"  # who expires objects

CREATED, UPDATED, DELETED_BY_CUSTOMER = "CREATED", "UPDATED", "DELETED_BY_CUSTOMER"
ADDED_PROFILE_KEY, DELETED_PROFILE_KEY = "ADDED_PROFILE_KEY", "DELETED_PROFILE_KEY"
INGESTED, EXPIRED = "INGESTED", "EXPIRED"
MERGED, DELETED_BY_MERGE = "MERGED", "DELETED_BY_MERGE"

_INSERT = Prepared(insert(profile_history_records))
_MAX_PERFORMER = 255  # the shape's limit; the longest IAM ARNs (deep paths) are cut to it


@dataclass(frozen=True, slots=True)
class History:
    """Writes one call's (or one task's) history records, in its transaction."""

    db: Connection
    ids: Ids
    domain: Row[Any]  # needs its id and default_expiration_days
    now: datetime
    performed_by: str | None
    held: list[dict[str, Any]] | None = None  # records held back to be written together (``write_held``)

    @classmethod
    def of(cls, ctx: CallContext, domain: Row[Any]) -> History:
        return cls(ctx.db, ctx.app.ids, domain, ctx.now(), ctx.principal.arn)

    def profile(self, action: str, profile_id: str, fields: dict[str, Any]) -> None:
        """The profile as it stands after the action (before it, for a deletion)."""
        self._record(action, profile_id, PROFILE_TYPE, jsontext.dumps({"ProfileId": profile_id, **fields}))

    def keys(self, action: str, profile_id: str, key_name: str, values: list[str]) -> None:
        self._record(action, profile_id, PROFILE_TYPE, jsontext.dumps({"KeyName": key_name, "Values": values}))

    def object(self, action: str, profile_id: str, object_type: str, unique_key: str, body: str) -> None:
        self._record(action, profile_id, object_type, body, unique_key)

    def _record(self, action: str, profile_id: str, object_type: str, content: str,
                unique_key: str | None = None) -> None:
        record = {
            "id": self.ids.hex32(), "domain_id": self.domain.id, "profile_id": profile_id, "action_type": action,
            "object_type": object_type, "unique_key": unique_key,
            "performed_by": self.performed_by[:_MAX_PERFORMER] if self.performed_by else None,
            "content": content, "created_at": self.now,
            "expires_at": self.now + timedelta(days=self.domain.default_expiration_days)}
        if self.held is None:
            _INSERT.run(self.db, record)
        else:
            self.held.append(record)

    def write_held(self) -> None:
        """The records held back, in order, in as few statements as they fit (a bulk load's batch: on PostgreSQL
        each statement is a round trip)."""
        if self.held:
            _INSERT.run_many(self.db, self.held)
            self.held.clear()


def _summary(row: Row[Any]) -> dict[str, Any]:
    item = {"Id": row.id, "ObjectTypeName": row.object_type, "CreatedAt": row.created_at,
            "LastUpdatedAt": row.created_at, "ActionType": row.action_type}
    if row.unique_key is not None:
        item["ProfileObjectUniqueKey"] = row.unique_key
    if row.performed_by is not None:
        item["PerformedBy"] = row.performed_by
    return item


@profiles.operation("ListProfileHistoryRecords")
def list_profile_history_records(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Newest first, a page read from where the last one ended (its token names the last record's sequence
    number): records written between two pages do not push the later pages back onto records already answered.
    A profile that never existed is not found; a deleted one's records are still listed."""
    domain = require_domain(ctx, params["DomainName"])
    table = profile_history_records
    query = where_given(
        select(table).where(table.c.domain_id == domain.id, table.c.profile_id == params["ProfileId"]),
        params, [(table.c.object_type, "ObjectTypeName"), (table.c.action_type, "ActionType"),
                 (table.c.performed_by, "PerformedBy")])
    result = rows_newest_first(ctx.db, query, table.c.seq, params, lambda rows: [_summary(row) for row in rows],
                               result_key="ProfileHistoryRecords")
    if not result["ProfileHistoryRecords"] and not params.get("NextToken") and not _has_history(
            ctx.db, domain.id, params["ProfileId"]):
        raise not_found(f"Profile {params['ProfileId']} does not exist in domain {domain.name}.")
    return result


def _has_history(db: Connection, domain_id: int, profile_id: str) -> bool:
    """Whether the profile exists or once did (its records, unfiltered, are kept after it)."""
    table = profile_history_records
    return (db.execute(select(profiles_table.c.id).where(profiles_table.c.id == profile_id,
                                                         profiles_table.c.domain_id == domain_id)).first() is not None
            or db.execute(select(table.c.seq).where(table.c.domain_id == domain_id,
                                                    table.c.profile_id == profile_id).limit(1)).first() is not None)


@profiles.operation("GetProfileHistoryRecord")
def get_profile_history_record(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain(ctx, params["DomainName"])
    table = profile_history_records
    row = ctx.db.execute(select(table).where(table.c.id == params["Id"], table.c.domain_id == domain.id,
                                             table.c.profile_id == params["ProfileId"])).first()
    if row is None:
        raise not_found(f"Profile history record {params['Id']} does not exist for profile {params['ProfileId']} "
                        f"in domain {domain.name}.")
    return {**_summary(row), "Content": row.content}
