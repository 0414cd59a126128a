"""Segment snapshots (CreateSegmentSnapshot, GetSegmentSnapshot): a segment's profiles exported to a file.

The export runs in the background as the domain's service-linked role, a thousand profiles per transaction, and
lists the profiles in the order of the segment's ``SegmentSort``. When the request names a ``RoleArn``, the service
assumes that role as ``profile.amazonaws.com`` — its trust policy must admit the service — and the role's policies
must allow ``s3:PutObject`` on the destination (and ``kms:GenerateDataKey`` on the ``EncryptionKey``), as they
must on AWS. profilestack has no S3: the file is kept with the snapshot and read with ``profilestack
segment-snapshot`` or a signed GET under ``/_profilestack/``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from profilestack.gateway.authz import AuthorizationRequest
from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.services.iam.pass_role import require_pass_role
from profilestack.services.profiles import service_role
from profilestack.services.profiles.errors import bad_request, not_found
from profilestack.services.profiles.segments import SEGMENTS, SegmentMembers
from profilestack.services.profiles.service import profiles
from profilestack.services.profiles.service_role import SERVICE_PRINCIPAL, Gone
from profilestack.services.profiles.tables import profile_domains, profile_segment_snapshots, profiles_table
from profilestack.utc_times import parse_utc

if TYPE_CHECKING:
    from profilestack.app import App

SNAPSHOT_EXPORT_TASK = "profile.segment_snapshot_export"
KEPT = timedelta(days=7)
MAX_FILE_BYTES = 100 * 1024 * 1024
_PROFILES_PER_TRANSACTION = 1000
_DESTINATION = re.compile(r"^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(/.*)?\Z")
_snapshots = profile_segment_snapshots.c


class _Failed(Exception):
    """The export cannot be made; the message says why."""


@profiles.operation("CreateSegmentSnapshot")
def create_segment_snapshot(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, segment = SEGMENTS.named(ctx, params)
    destination = params.get("DestinationUri")
    if destination is None:
        raise bad_request("DestinationUri is required: the S3 location the snapshot is exported to "
                          "(s3://bucket/prefix).")
    if not _DESTINATION.match(destination):
        raise bad_request(f"DestinationUri {destination} is not an S3 location: s3://bucket/prefix.")
    if params.get("RoleArn"):
        require_pass_role(ctx, params["RoleArn"], SERVICE_PRINCIPAL, SEGMENTS.arn(domain, segment.name))
    now = ctx.now()
    ctx.db.execute(delete(profile_segment_snapshots).where(_snapshots.domain_id == domain.id,
                                                           _snapshots.created_at < now - KEPT))
    snapshot_id = ctx.app.ids.hex32()
    ctx.db.execute(insert(profile_segment_snapshots).values(
        domain_id=domain.id, id=snapshot_id, segment_name=segment.name, data_format=params["DataFormat"],
        encryption_key=params.get("EncryptionKey"), role_arn=params.get("RoleArn"), destination_uri=destination,
        status="IN_PROGRESS", created_at=now))
    ctx.enqueue(SNAPSHOT_EXPORT_TASK, {"domain_id": domain.id, "snapshot_id": snapshot_id})
    return {"SnapshotId": snapshot_id}


def find_snapshot(db: Connection, domain_id: int, segment: str, snapshot_id: str) -> Row[Any] | None:
    return db.execute(select(profile_segment_snapshots).where(
        _snapshots.domain_id == domain_id, _snapshots.id == snapshot_id, _snapshots.segment_name == segment)).first()


@profiles.operation("GetSegmentSnapshot")
def get_segment_snapshot(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, segment = SEGMENTS.named(ctx, params)
    row = find_snapshot(ctx.db, domain.id, segment.name, params["SnapshotId"])
    if row is None:
        raise not_found(f"Segment snapshot {params['SnapshotId']} does not exist for segment definition "
                        f"{segment.name} in domain {domain.name}.")
    return {"SnapshotId": row.id, "Status": row.status, "StatusMessage": row.message, "DataFormat": row.data_format,
            "EncryptionKey": row.encryption_key, "RoleArn": row.role_arn, "DestinationUri": row.destination_uri}


CONTENT_TYPES = {"CSV": "text/csv", "JSONL": "application/x-ndjson"}


def snapshot_file(db: Connection, snapshot_id: str, account: str | None = None) -> tuple[Row[Any], str, bytes]:
    """A completed snapshot (of ``account``'s, when given), its segment's ARN and its file; AwsError otherwise."""
    row = db.execute(select(profile_segment_snapshots, profile_domains.c.account_id, profile_domains.c.arn)
                     .join(profile_domains, profile_domains.c.id == _snapshots.domain_id)
                     .where(_snapshots.id == snapshot_id)).first()
    if row is None or (account is not None and row.account_id != account):
        raise not_found(f"Segment snapshot {snapshot_id} does not exist.")
    if row.status != "COMPLETED":
        raise bad_request(f"Segment snapshot {snapshot_id} is {row.status}: it has no file.")
    return row, SEGMENTS.arn(row, row.segment_name), row.content  # the row carries its domain's ARN


@profiles.task(SNAPSHOT_EXPORT_TASK)
def export_segment_snapshot(app: App, payload: dict[str, Any]) -> None:
    try:
        snapshot = _snapshot(app, payload)
        if snapshot.data_format not in ("CSV", "JSONL"):
            raise _Failed(f"profilestack exports segments as CSV or JSONL, not {snapshot.data_format}.")
        if snapshot.role_arn:
            _check_role(app, snapshot)
        members = _members(app, payload, snapshot.segment_name)
        content = (_jsonl if snapshot.data_format == "JSONL" else _csv)(members)
        if len(content) > MAX_FILE_BYTES:
            raise _Failed(f"The export is larger than the {MAX_FILE_BYTES // 1024 // 1024} MB profilestack keeps.")
    except Gone:
        return
    except _Failed as failure:
        _conclude(app, payload, "FAILED", message=str(failure)[:1000])
        return
    except AwsError as error:  # no role to act through (deleted by hand)
        _conclude(app, payload, "FAILED", message=error.message[:1000])
        return
    _conclude(app, payload, "COMPLETED", content=content, profile_count=len(members))


@profiles.gives_up(SNAPSHOT_EXPORT_TASK)
def snapshot_export_failed(app: App, payload: dict[str, Any]) -> None:
    _conclude(app, payload, "FAILED", message="The export failed: an internal error occurred.")


def _snapshot(app: App, payload: dict[str, Any]) -> Row[Any]:
    with app.database.transaction(write=False) as db:
        row = db.execute(select(profile_segment_snapshots).where(
            _snapshots.domain_id == payload["domain_id"], _snapshots.id == payload["snapshot_id"])).first()
    if row is None or row.status != "IN_PROGRESS":
        raise Gone
    return row


def _check_role(app: App, snapshot: Row[Any]) -> None:
    """The request's role, assumed as the service, may write the file (and encrypt it with the key)."""
    with app.database.transaction(write=False) as db:
        domain = db.execute(select(profile_domains.c.account_id, profile_domains.c.region, profile_domains.c.arn)
                            .where(profile_domains.c.id == snapshot.domain_id)).first()
    if domain is None:
        raise Gone
    region = domain.region
    try:  # for the domain: its account and ARN are what a confused-deputy-proof trust policy tests
        principal = service_role.assume_as_service(app, domain.account_id, snapshot.role_arn, region,
                                                   source_arn=domain.arn)
    except AwsError as error:
        raise _Failed(f"Customer Profiles could not assume role {snapshot.role_arn}: {error.message}") from error
    bucket, _, prefix = snapshot.destination_uri[len("s3://"):].partition("/")
    key = f"{prefix.rstrip('/')}/{snapshot.id}" if prefix.strip("/") else snapshot.id
    wanted = [("s3:PutObject", f"arn:aws:s3:::{bucket}/{key}")]
    if snapshot.encryption_key:
        wanted.append(("kms:GenerateDataKey", snapshot.encryption_key))
    for action, resource in wanted:
        try:
            app.authorizer.authorize(AuthorizationRequest(principal, action, [resource], region, {}))
        except AwsError as error:
            raise _Failed(f"Role {snapshot.role_arn} may not write the snapshot: {error.message}") from error


def _members(app: App, payload: dict[str, Any], segment: str) -> list[Row[Any]]:
    """The segment's profiles, read a thousand per transaction as the domain's service-linked role, in the order
    of the segment's ``SegmentSort`` (profile id order otherwise)."""
    found: list[tuple[Row[Any], list[Any]]] = []
    sort: list[dict[str, Any]] = []
    after = ""
    while True:
        domain, work = service_role.acting_for_domain(app, payload["domain_id"], "CreateSegmentSnapshot")
        with work as ctx:
            definition = SEGMENTS.find(ctx.db, domain.id, segment)
            if definition is None:
                raise Gone
            sort = (definition.definition.get("SegmentSort") or {}).get("Attributes") or []
            rows = ctx.db.execute(select(profiles_table).where(
                profiles_table.c.domain_id == domain.id, profiles_table.c.id > after)
                .order_by(profiles_table.c.id).limit(_PROFILES_PER_TRANSACTION)).all()
            held = SegmentMembers(ctx, domain, rows)
            found += [(row, [_typed(held.sort_value(attribute, row), attribute.get("DataType")) for attribute in sort])
                      for row in rows if held.holds(definition.definition, row)]
        if len(rows) < _PROFILES_PER_TRANSACTION:
            break
        after = rows[-1].id
    for index in reversed(range(len(sort))):  # stable sorts, the last attribute first; missing values last
        present = [member for member in found if member[1][index] is not None]
        present.sort(key=lambda member: member[1][index], reverse=sort[index].get("Order") == "DESC")
        found = present + [member for member in found if member[1][index] is None]
    return [row for row, _ in found]


def _typed(value: Any, data_type: str | None) -> Any:
    """A sort value as its ``DataType`` compares it; None when it is missing or not of that type."""
    if value is None or value == "":
        return None
    try:
        if data_type == "NUMBER":
            return float(value)
        if data_type == "DATE":
            return parse_utc(str(value))
    except ValueError:
        return None
    return str(value)


def _jsonl(members: list[Row[Any]]) -> bytes:
    """A line per profile: the Profile structure, as SearchProfiles answers it."""
    return "".join(json.dumps({"ProfileId": row.id, **row.fields}) + "\n" for row in members).encode()


def _flat(fields: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for name, value in fields.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = str(value)
    return flat


def _csv(members: list[Row[Any]]) -> bytes:
    """A header of ProfileId and every field any profile has (``Address.City``, ``Attributes.tier``), then a row
    per profile."""
    rows = [{"ProfileId": row.id, **_flat(row.fields)} for row in members]
    columns = ["ProfileId", *sorted({name for row in rows for name in row} - {"ProfileId"})]
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _conclude(app: App, payload: dict[str, Any], status: str, message: str | None = None,
              content: bytes | None = None, profile_count: int | None = None) -> None:
    with app.database.transaction() as db:
        db.execute(update(profile_segment_snapshots).where(
            _snapshots.domain_id == payload["domain_id"], _snapshots.id == payload["snapshot_id"],
            _snapshots.status == "IN_PROGRESS").values(
            status=status, message=message, content=content, profile_count=profile_count,
            completed_at=app.clock.now()))
