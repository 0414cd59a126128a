"""Identity resolution jobs' schedule: a domain whose ``Matching`` is enabled has one ``PENDING`` job, which an
outbox task runs at its start time (identity_resolution.py) — every week at the ``JobSchedule`` (Saturday 00:00 UTC
by default), and straight away when matching is turned on or its settings change."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert

from profilestack.gateway.context import CallContext
from profilestack.services.profiles.tables import profile_identity_resolution_jobs

JOB_TASK = "profile.identity_resolution_job"
DEFAULT_SCHEDULE = {"DayOfTheWeek": "SATURDAY", "Time": "00:00"}
_WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
_jobs = profile_identity_resolution_jobs.c


def next_run(after: datetime, schedule: dict[str, Any] | None) -> datetime:
    """The first time after ``after`` that the weekly schedule names (UTC)."""
    schedule = schedule or DEFAULT_SCHEDULE
    hour, minute = (int(part) for part in schedule["Time"].split(":"))
    day = _WEEKDAYS.index(schedule["DayOfTheWeek"])
    start = after.replace(hour=hour, minute=minute, second=0, microsecond=0)
    start += timedelta(days=(day - after.weekday()) % 7)
    return start if start > after else start + timedelta(days=7)


def pend_job(ctx: CallContext, domain_id: int, start: datetime) -> None:
    """A PENDING job, run from ``start``."""
    job_id = ctx.app.ids.hex32()
    ctx.db.execute(insert(profile_identity_resolution_jobs).values(
        domain_id=domain_id, id=job_id, status="PENDING", start_time=start, updated_at=ctx.now()))
    ctx.enqueue(JOB_TASK, {"domain_id": domain_id, "job_id": job_id}, not_before=start)


def matching_changed(ctx: CallContext, domain_id: int, before: dict[str, Any] | None,
                     after: dict[str, Any] | None) -> None:
    """CreateDomain and UpdateDomain: new ``Matching`` settings replace the pending job (AWS deletes pending jobs
    when matching is turned off); while matching is enabled, a job runs now."""
    if (before or {}) == (after or {}):
        return
    ctx.db.execute(delete(profile_identity_resolution_jobs).where(_jobs.domain_id == domain_id,
                                                                  _jobs.status == "PENDING"))
    if after and after.get("Enabled"):
        pend_job(ctx, domain_id, ctx.now())
