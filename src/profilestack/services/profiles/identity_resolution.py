"""Identity resolution jobs (``Matching`` in CreateDomain/UpdateDomain): ListIdentityResolutionJobs,
GetIdentityResolutionJob, GetMatches, GetAutoMergingPreview.

A domain whose ``Matching`` is enabled runs a job every week at its ``JobSchedule`` (Saturday 00:00 UTC by
default), and one straight away when matching is turned on or its settings change. A job finds the domain's match
groups (identity_matching.py), keeps them for GetMatches, and with ``AutoMerging`` enabled merges, within each
group, the profiles its ``Consolidation`` criteria link, as the domain's service-linked role. Turning matching off
deletes the pending job.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, Select, delete, func, insert, select, update

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.services.next_token import newest_first, page_result, rows_by_name
from profilestack.services.profiles import merging, service_role
from profilestack.services.profiles import profile_store as store
from profilestack.services.profiles.domains import hold_domain_data, profile_locks, require_domain
from profilestack.services.profiles.errors import bad_request, not_found
from profilestack.services.profiles.history import History
from profilestack.services.profiles.identity_jobs import JOB_TASK, next_run, pend_job
from profilestack.services.profiles.identity_matching import Match, find_matches
from profilestack.services.profiles.rule_matching import linked, rule_keys
from profilestack.services.profiles.service import profiles
from profilestack.services.profiles.service_role import Gone
from profilestack.services.profiles.tables import (
    profile_domains,
    profile_identity_resolution_jobs,
    profile_matches,
    profiles_table,
)

if TYPE_CHECKING:
    from profilestack.app import App

KEPT = timedelta(days=30)  # a job is listed until thirty days after it ended (its JobExpirationTime)
_GROUPS_PER_TRANSACTION = 50
_jobs = profile_identity_resolution_jobs.c
_matches = profile_matches.c


def require_matching(ctx: CallContext, name: str) -> Row[Any]:
    domain = require_domain(ctx, name)
    if not (domain.matching or {}).get("Enabled"):
        raise bad_request(f"Identity resolution is not enabled for domain {domain.name}: set Matching's Enabled "
                          "with UpdateDomain.")
    return domain


def _job_shape(domain: Row[Any], job: Row[Any], full: bool = False) -> dict[str, Any]:
    shape: dict[str, Any] = {"DomainName": domain.name, "JobId": job.id, "Status": job.status,
                             "JobStartTime": job.start_time, "JobEndTime": job.end_time, "Message": job.message}
    if job.profiles_reviewed is not None:
        shape["JobStats"] = {"NumberOfProfilesReviewed": job.profiles_reviewed,
                             "NumberOfMatchesFound": job.matches_found, "NumberOfMergesDone": job.merges_done}
    if full:
        shape["LastUpdatedAt"] = job.updated_at
        shape["JobExpirationTime"] = job.end_time + KEPT if job.end_time else None
        shape["AutoMerging"] = job.auto_merging
    return shape


def _listed_jobs(db: Connection, domain_id: int, now: datetime) -> list[Row[Any]]:
    return list(db.execute(select(profile_identity_resolution_jobs).where(
        _jobs.domain_id == domain_id, (_jobs.end_time.is_(None)) | (_jobs.end_time > now - KEPT))
        .order_by(_jobs.start_time.desc(), _jobs.id)))


@profiles.operation("ListIdentityResolutionJobs")
def list_identity_resolution_jobs(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain(ctx, params["DomainName"])
    return page_result(_listed_jobs(ctx.db, domain.id, ctx.now()), params,
                       lambda rows: [_job_shape(domain, row) for row in rows], key="IdentityResolutionJobsList",
                       place=lambda job: newest_first(job.start_time, job.id))


@profiles.operation("GetIdentityResolutionJob")
def get_identity_resolution_job(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain(ctx, params["DomainName"])
    job = next((row for row in _listed_jobs(ctx.db, domain.id, ctx.now()) if row.id == params["JobId"]), None)
    if job is None:
        raise not_found(f"Identity resolution job {params['JobId']} does not exist in domain {domain.name}.")
    return _job_shape(domain, job, full=True)


def _latest_job(db: Connection, domain_id: int) -> Row[Any] | None:
    """The domain's latest completed job: its id, when it ended, how many matches it found."""
    return db.execute(select(_jobs.id, _jobs.end_time, _jobs.matches_found).where(
        _jobs.domain_id == domain_id, _jobs.status == "COMPLETED").order_by(_jobs.end_time.desc()).limit(1)).first()


def _matches_of(job: Row[Any], domain_id: int) -> Select[Any]:
    return select(profile_matches).where(_matches.domain_id == domain_id, _matches.job_id == job.id)


def latest_match(db: Connection, domain_id: int, match_id: str | None = None,
                 profile_ids: Iterable[str] = ()) -> Row[Any] | None:
    """The latest completed job's group with ``match_id``, or else the first (by match id) holding one of
    ``profile_ids``: groups read a thousand at a time until it is found."""
    job = _latest_job(db, domain_id)
    if job is None:
        return None
    if match_id is not None:
        return db.execute(_matches_of(job, domain_id).where(_matches.match_id == match_id)).first()
    wanted = set(profile_ids)
    rows = db.execute(_matches_of(job, domain_id).order_by(_matches.match_id).execution_options(yield_per=1000))
    try:
        return next((row for row in rows if wanted.intersection(row.profile_ids)), None)
    finally:
        rows.close()  # what is left unread (PostgreSQL streams it through a cursor of its own)


@profiles.operation("GetMatches")
def get_matches(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """A page of the latest job's matches in match id order, read from where the last page ended (its token
    names the last match id): a page costs the same however many matches the job found. A job completing
    between two pages replaces the matches: the next page goes on in the new job's, after the same match id."""
    domain = require_matching(ctx, params["DomainName"])
    job = _latest_job(ctx.db, domain.id)
    if job is None:
        return {"Matches": [], "PotentialMatches": 0}

    page = rows_by_name(ctx.db, _matches_of(job, domain.id), _matches.match_id, params, lambda rows: [
        {"MatchId": row.match_id, "ProfileIds": row.profile_ids, "ConfidenceScore": row.confidence} for row in rows],
        result_key="Matches")
    return {**page, "MatchGenerationDate": job.end_time, "PotentialMatches": job.matches_found}


def _consolidated(members: list[Row[Any]], criteria: list[list[str]]) -> list[list[str]]:
    """The sets of a match group's profiles that the criteria link (any criterion, all its attributes equal)."""
    keys = {row.id: {(index, key) for index, criterion in enumerate(criteria)
                     for key in rule_keys(row.fields, criterion, {})} for row in members}
    return linked({profile_id: found for profile_id, found in keys.items() if found})


def _mergeable(match: Match | Row[Any], rows: dict[str, Row[Any]], auto_merging: dict[str, Any]) -> list[list[str]]:
    floor = auto_merging.get("MinAllowedConfidenceScoreForMerging")
    if floor is not None and match.confidence < floor:
        return []
    members = [rows[profile_id] for profile_id in match.profile_ids if profile_id in rows]
    return _consolidated(members, auto_merging["Consolidation"]["MatchingAttributesList"])


PREVIEW_SAMPLE = 1000  # groups; AWS's size is not documented


@profiles.operation("GetAutoMergingPreview")
def get_auto_merging_preview(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """The sample: the latest job's first PREVIEW_SAMPLE groups by match id (a digest of their profiles' ids, so
    in no order of the profiles'); how many of its profiles these settings would merge."""
    domain = require_matching(ctx, params["DomainName"])
    job = _latest_job(ctx.db, domain.id)
    matches = [] if job is None else ctx.db.execute(
        _matches_of(job, domain.id).order_by(_matches.match_id).limit(PREVIEW_SAMPLE)).all()
    rows = store.load_profiles(ctx.db, domain.id, [profile_id for match in matches for profile_id in match.profile_ids])
    settings = {"Consolidation": params["Consolidation"],
                "MinAllowedConfidenceScoreForMerging": params.get("MinAllowedConfidenceScoreForMerging")}
    merged = sum(len(ids) for match in matches for ids in _mergeable(match, rows, settings))
    return {"DomainName": domain.name, "NumberOfMatchesInSample": len(matches),
            "NumberOfProfilesInSample": sum(len(match.profile_ids) for match in matches),
            "NumberOfProfilesWillBeMerged": merged}


def _set(db: Connection, payload: dict[str, Any], now: datetime, **values: Any) -> None:
    db.execute(update(profile_identity_resolution_jobs).where(
        _jobs.domain_id == payload["domain_id"], _jobs.id == payload["job_id"]).values(updated_at=now, **values))


def _step(app: App, payload: dict[str, Any], status: str, **values: Any) -> None:
    with app.database.transaction() as db:
        _set(db, payload, app.clock.now(), status=status, **values)


def _pending(app: App, payload: dict[str, Any]) -> dict[str, Any]:
    """The domain's matching settings, while the job is PENDING and matching enabled; Gone otherwise."""
    with app.database.transaction(write=False) as db:
        status = db.execute(select(_jobs.status).where(_jobs.domain_id == payload["domain_id"],
                                                       _jobs.id == payload["job_id"])).scalar()
        matching = db.execute(select(profile_domains.c.matching).where(
            profile_domains.c.id == payload["domain_id"])).scalar()
    if status != "PENDING" or not (matching or {}).get("Enabled"):
        raise Gone
    return matching


@profiles.task(JOB_TASK)
def run_identity_resolution_job(app: App, payload: dict[str, Any]) -> None:
    """Loads the domain's profiles, finds the matches (kept for GetMatches), merges what ``AutoMerging`` says, as
    the domain's service-linked role, and schedules the next job."""
    try:
        matching = _pending(app, payload)
        auto_merging = matching.get("AutoMerging") or {}
        _step(app, payload, "PREPROCESSING", start_time=app.clock.now(), auto_merging=auto_merging or None)
        _step(app, payload, "FIND_MATCHING")
        with app.database.transaction(write=False) as db:  # one snapshot for every reading
            reviewed = db.scalar(select(func.count()).select_from(profiles_table).where(
                profiles_table.c.domain_id == payload["domain_id"]))
            matches = find_matches(lambda: store.every_profile(db, payload["domain_id"]))
        if matches:  # seen once the job has completed
            with app.database.transaction() as db:
                db.execute(insert(profile_matches), [
                    {"domain_id": payload["domain_id"], "job_id": payload["job_id"], "match_id": match.match_id,
                     "profile_ids": match.profile_ids, "confidence": match.confidence} for match in matches])
        merged = 0
        if auto_merging.get("Enabled") and auto_merging.get("Consolidation"):
            _step(app, payload, "MERGING")
            for start in range(0, len(matches), _GROUPS_PER_TRANSACTION):
                chunk = matches[start:start + _GROUPS_PER_TRANSACTION]
                merged += app.database.again_if_lost_race(
                    lambda chunk=chunk: _merge(app, payload["domain_id"], chunk, auto_merging))
        domain, work = service_role.acting_for_domain(app, payload["domain_id"], "ListIdentityResolutionJobs")
        with work as ctx:
            now = ctx.now()
            _set(ctx.db, payload, now, status="COMPLETED", end_time=now, profiles_reviewed=reviewed,
                 matches_found=len(matches), merges_done=merged)
            ctx.db.execute(delete(profile_matches).where(_matches.domain_id == domain.id,
                                                         _matches.job_id != payload["job_id"]))
            ctx.db.execute(delete(profile_identity_resolution_jobs).where(  # no longer listed: gone
                _jobs.domain_id == domain.id, _jobs.end_time < now - KEPT))
            if (domain.matching or {}) == matching:  # otherwise UpdateDomain scheduled the next job already
                pend_job(ctx, domain.id, next_run(now, matching.get("JobSchedule")))
    except Gone:
        return
    except AwsError as error:  # no role to act through (deleted by hand)
        _fail(app, payload, error.message)


@profiles.gives_up(JOB_TASK)
def identity_resolution_job_failed(app: App, payload: dict[str, Any]) -> None:
    _fail(app, payload, "The job failed: an internal error occurred.")


def _fail(app: App, payload: dict[str, Any], message: str) -> None:
    """FAILED, and the next week's job scheduled all the same."""
    with app.database.transaction() as db:
        now = app.clock.now()
        _set(db, payload, now, status="FAILED", end_time=now, message=message[:2048])
    try:
        domain, work = service_role.acting_for_domain(app, payload["domain_id"], "ListIdentityResolutionJobs")
    except (Gone, AwsError):
        return
    with work as ctx:
        if (domain.matching or {}).get("Enabled"):
            pend_job(ctx, domain.id, next_run(now, domain.matching.get("JobSchedule")))


def _merge(app: App, domain_id: int, matches: list[Match], auto_merging: dict[str, Any]) -> int:
    """The chunk's groups merged as their consolidation says; how many profiles were merged into another."""
    domain, work = service_role.acting_for_domain(app, domain_id, "MergeProfiles")
    merged = 0
    with work as ctx:
        hold_domain_data(ctx.db, domain, *profile_locks(domain, (profile_id for match in matches
                                                                 for profile_id in match.profile_ids)))
        history = History.of(ctx, domain)
        for match in matches:
            rows = store.load_profiles(ctx.db, domain.id, match.profile_ids)
            for ids in _mergeable(match, rows, auto_merging):
                merged += merging.merge_by_resolution(history, [rows[profile_id] for profile_id in ids],
                                                      auto_merging.get("ConflictResolution") or {})
    return merged
