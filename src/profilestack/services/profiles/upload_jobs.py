"""Upload jobs: a CSV file of customers, uploaded to the URL ``GetUploadJobPath`` hands out and ingested in the
background once ``StartUploadJob`` is called.

Each data row is a profile object of the job's own hidden object type (``_upload_<JobId>``): its columns are the
object's fields, mapped to the profile through the job's ``Fields``; the ``UniqueKey`` field is a PROFILE key,
so a row finds the profile an earlier row or job made for the same customer, and updates it, or creates one.
The objects expire after ``DataExpiry`` days (the domain's default otherwise), like any object.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, insert, select, update

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.services.next_token import newest_first, page_result
from profilestack.services.profiles.domains import require_domain
from profilestack.services.profiles.errors import bad_request, not_found
from profilestack.services.profiles.mapping import field_value, validate_definition
from profilestack.services.profiles.objects import ingest_batch
from profilestack.services.profiles.service import profiles
from profilestack.services.profiles.tables import profile_domains, profile_upload_jobs
from profilestack.services.profiles.upload_job_types import job_definition, object_type_of
from profilestack.store.locks import lock_for_transaction

if TYPE_CHECKING:
    from profilestack.app import App

UPLOAD_TASK = "profile.upload_job"
UPLOAD_PATH = "/_profilestack/upload-jobs/"
URL_LIFETIME = timedelta(hours=1)
_ROWS_PER_TRANSACTION = 500
_jobs = profile_upload_jobs.c


# a job as its operations read it: whether it has a file, not the file
_DESCRIBED = select(*(column for column in profile_upload_jobs.columns if column.key != "upload"),
                    _jobs.upload.is_not(None).label("has_upload"))


def _set(db: Connection, job: Row[Any], **values: Any) -> None:
    db.execute(update(profile_upload_jobs).where(_jobs.domain_id == job.domain_id, _jobs.id == job.id)
               .values(**values))


def _require_job(ctx: CallContext, params: dict[str, Any]) -> Row[Any]:
    """The job a request names; held until the transaction ends for a call that changes it (start, stop), so that
    of two such calls at once the second sees what the first did (PostgreSQL): two starts ran the file twice."""
    domain = require_domain(ctx, params["DomainName"])
    if ctx.write:
        lock_for_transaction(ctx.db, f"upload-job:{domain.id}:{params['JobId']}")
    job = ctx.db.execute(_DESCRIBED.where(_jobs.domain_id == domain.id, _jobs.id == params["JobId"])).first()
    if job is None:
        raise not_found(f"Upload job {params['JobId']} does not exist in domain {domain.name}.")
    return job


def _summary(job: Row[Any]) -> dict[str, Any]:
    item = {"JobId": job.id, "DisplayName": job.display_name, "Status": job.status, "CreatedAt": job.created_at}
    for key, value in (("StatusReason", job.status_reason), ("CompletedAt", job.completed_at),
                       ("DataExpiry", job.data_expiry)):
        if value is not None:
            item[key] = value
    return item


@profiles.operation("CreateUploadJob")
def create_upload_job(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain(ctx, params["DomainName"])
    fields, unique_key = params["Fields"], params["UniqueKey"]
    if unique_key not in fields:
        raise bad_request(f"UniqueKey {unique_key} must name one of the job's Fields.")
    validate_definition({"Fields": fields})
    job_id = ctx.app.ids.hex32()
    ctx.db.execute(insert(profile_upload_jobs).values(
        domain_id=domain.id, id=job_id, display_name=params["DisplayName"], fields=fields, unique_key=unique_key,
        data_expiry=params.get("DataExpiry"), status="CREATED", created_at=ctx.now(), rows_done=0,
        created_records=0, updated_records=0, failed_records=0))
    return {"JobId": job_id}


@profiles.operation("GetUploadJob")
def get_upload_job(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    job = _require_job(ctx, params)
    result = {**_summary(job), "Fields": job.fields, "UniqueKey": job.unique_key}
    if job.status != "CREATED":
        result["ResultsSummary"] = {"CreatedRecords": job.created_records, "UpdatedRecords": job.updated_records,
                                    "FailedRecords": job.failed_records}
    return result


@profiles.operation("ListUploadJobs")
def list_upload_jobs(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Newest first."""
    domain = require_domain(ctx, params["DomainName"])
    jobs = ctx.db.execute(_DESCRIBED.where(_jobs.domain_id == domain.id)).all()
    return page_result(jobs, params, lambda chunk: [_summary(job) for job in chunk],
                       place=lambda job: newest_first(job.created_at, job.id))


@profiles.operation("GetUploadJobPath", writes=True)
def get_upload_job_path(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """A new URL each time, valid for an hour; it replaces the one given before."""
    job = _require_job(ctx, params)
    if job.status != "CREATED":
        raise bad_request(f"Upload job {job.id} is {job.status}: its file can only be uploaded before it starts.")
    token = secrets.token_urlsafe(32)
    valid_until = ctx.now() + URL_LIFETIME
    _set(ctx.db, job, upload_token=token, upload_valid_until=valid_until)
    return {"Url": f"{ctx.app.settings.base_url}{UPLOAD_PATH}{token}", "ClientToken": token,
            "ValidUntil": valid_until}


@profiles.operation("StartUploadJob")
def start_upload_job(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    job = _require_job(ctx, params)
    if job.status != "CREATED":
        raise bad_request(f"Upload job {job.id} is {job.status}: only a CREATED job can start.")
    if not job.has_upload:
        raise bad_request(f"Upload job {job.id} has no file yet: upload it to the URL GetUploadJobPath gives, "
                          "then start the job.")
    _set(ctx.db, job, status="IN_PROGRESS", upload_token=None, upload_valid_until=None)
    ctx.enqueue(UPLOAD_TASK, {"domain_id": job.domain_id, "job_id": job.id, "performed_by": ctx.principal.arn})
    return {}


@profiles.operation("StopUploadJob")
def stop_upload_job(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Rows already ingested stay."""
    job = _require_job(ctx, params)
    if job.status not in ("CREATED", "IN_PROGRESS"):
        raise bad_request(f"Upload job {job.id} is {job.status}: only a CREATED or IN_PROGRESS job can stop.")
    _set(ctx.db, job, status="STOPPED", completed_at=ctx.now(), upload_token=None, upload_valid_until=None,
         upload=None)
    return {}


class UploadRefused(Exception):
    """An upload the URL does not take: its HTTP status, S3's error code and a message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def receive_upload(app: App, token: str, body: bytes) -> str:
    """Keep the file PUT to an upload URL; its ETag (as S3 gives it: the body's MD5, quoted)."""
    with app.database.transaction() as db:
        job = db.execute(select(_jobs.domain_id, _jobs.id, _jobs.status, _jobs.upload_valid_until)
                         .where(_jobs.upload_token == token)).first()
        if job is None:
            raise UploadRefused(403, "AccessDenied", "The upload URL is not valid (a newer one replaced it, or the "
                                                     "job started or stopped).")
        if job.upload_valid_until < app.clock.now():
            raise UploadRefused(403, "AccessDenied", "Request has expired")
        _set(db, job, upload=body)
    return f'"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"'


class _InvalidFile(Exception):
    pass


def _rows(upload: bytes, key_source: str) -> list[dict[str, str] | None]:
    """The file's data rows as objects (column → value, empty cells left out); None for a malformed row."""
    try:
        text = upload.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _InvalidFile("The file is not UTF-8 text.") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if not header or not any(header):
            raise _InvalidFile("The file has no header row.")
        if len(set(header)) != len(header):
            raise _InvalidFile("The file's header names a column twice.")
        if field_value(key_source, dict.fromkeys(header, "x")) is None:
            raise _InvalidFile(f"The file has no column for the unique key's source {key_source}.")
        rows: list[dict[str, str] | None] = []
        for cells in reader:
            if not any(cells):
                continue  # a blank line
            rows.append({name: cell for name, cell in zip(header, cells, strict=False) if cell}
                        if len(cells) == len(header) else None)
        return rows
    except csv.Error as exc:
        raise _InvalidFile(f"The file is not valid CSV: {exc}.") from exc


@profiles.task(UPLOAD_TASK)
def run_upload_job(app: App, payload: dict[str, Any]) -> None:
    """The file's rows, a few hundred per transaction, each transaction also recording how far the job got: a task
    run again (a crash, a lost connection) goes on from there. A job stopped meanwhile goes no further."""
    with app.database.transaction(write=False) as db:
        job = _job(db, payload)
        if job is None or job.status != "IN_PROGRESS":
            return
    key_source = job.fields[job.unique_key]["Source"]
    try:
        rows = _rows(job.upload, key_source)
    except _InvalidFile:
        _conclude(app, payload, "FAILED", "VALIDATION_FAILURE")
        return
    definition = job_definition(job)
    start = job.rows_done
    while start < len(rows):
        chunk = rows[start:start + _ROWS_PER_TRANSACTION]
        try:
            going_on = app.database.again_if_lost_race(
                lambda chunk=chunk: _ingest_chunk(app, payload, definition, key_source, chunk))
        except Exception as error:
            if not app.database.refused(error):
                raise  # the database failed (unreachable, say): the outbox runs the task again, from this chunk
            _conclude(app, payload, "FAILED", "INTERNAL_FAILURE")  # it would refuse the chunk every time
            return
        if not going_on:
            return
        start += len(chunk)
    _conclude(app, payload)


@profiles.gives_up(UPLOAD_TASK)
def upload_job_failed(app: App, payload: dict[str, Any]) -> None:
    """The task failed for good (the database unreachable through every attempt, say): the job ends FAILED rather
    than stay IN_PROGRESS."""
    _conclude(app, payload, "FAILED", "INTERNAL_FAILURE")


def _job(db: Connection, payload: dict[str, Any], lock: bool = False) -> Row[Any] | None:
    query = select(profile_upload_jobs).where(_jobs.domain_id == payload["domain_id"], _jobs.id == payload["job_id"])
    return db.execute(query.with_for_update() if lock else query).first()


def _ingest_chunk(app: App, payload: dict[str, Any], definition: dict[str, Any], key_source: str,
                  chunk: list[dict[str, str] | None]) -> bool:
    """One transaction's rows; False when the job is no longer in progress (stopped, or its domain deleted)."""
    with app.database.transaction() as db:
        job = _job(db, payload, lock=True)  # a StopUploadJob waits for this chunk, or this chunk sees it
        domain = db.execute(select(profile_domains).where(profile_domains.c.id == payload["domain_id"])).first()
        if job is None or domain is None or job.status != "IN_PROGRESS":
            return False
        keyed = [row for row in chunk if row is not None and field_value(key_source, row) is not None]
        outcomes = ingest_batch(db, app.ids, app.clock, domain, object_type_of(job.id), definition,
                                [json.dumps(row) for row in keyed], payload["performed_by"])
        created = sum(1 for outcome in outcomes if not isinstance(outcome, AwsError) and outcome.created_profile)
        updated = sum(1 for outcome in outcomes if not isinstance(outcome, AwsError)) - created
        _set(db, job, rows_done=_jobs.rows_done + len(chunk), created_records=_jobs.created_records + created,
             updated_records=_jobs.updated_records + updated,
             failed_records=_jobs.failed_records + len(chunk) - created - updated)
    return True


def _conclude(app: App, payload: dict[str, Any], status: str | None = None, reason: str | None = None) -> None:
    """The job's end: SUCCEEDED, PARTIALLY_SUCCEEDED (some rows failed) or FAILED (every row did, or the file
    could not be read); the file is let go."""
    with app.database.transaction() as db:
        job = _job(db, payload, lock=True)
        if job is None or job.status != "IN_PROGRESS":
            return
        if status is None:
            ingested = job.created_records + job.updated_records
            status = "SUCCEEDED" if not job.failed_records else "PARTIALLY_SUCCEEDED" if ingested else "FAILED"
            reason = "VALIDATION_FAILURE" if status == "FAILED" else None
        _set(db, job, status=status, status_reason=reason, completed_at=app.clock.now(), upload=None)
