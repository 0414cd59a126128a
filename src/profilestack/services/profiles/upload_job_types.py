"""The hidden object type of an upload job's rows, ``_upload_<JobId>``: its fields are the job's, its UNIQUE
PROFILE key the job's unique key. ListProfileObjects reads a job's objects through it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, select

from profilestack.services.profiles.tables import profile_upload_jobs

PREFIX = "_upload_"


def object_type_of(job_id: str) -> str:
    return PREFIX + job_id


def job_definition(job: Row[Any]) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "Fields": job.fields, "AllowProfileCreation": True,
        "Keys": {job.unique_key: [{"StandardIdentifiers": ["PROFILE", "UNIQUE"], "FieldNames": [job.unique_key]}]}}
    if job.data_expiry:
        definition["ExpirationDays"] = job.data_expiry
    return definition


def upload_type_definition(db: Connection, domain_id: int, name: str) -> dict[str, Any] | None:
    """The definition of ``name`` if it is the object type of one of the domain's upload jobs."""
    if not name.startswith(PREFIX):
        return None
    jobs = profile_upload_jobs.c
    job = db.execute(select(jobs.fields, jobs.unique_key, jobs.data_expiry)
                     .where(jobs.domain_id == domain_id, jobs.id == name[len(PREFIX):])).first()
    return None if job is None else job_definition(job)
