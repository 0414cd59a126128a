"""Managed policies attached to users, groups and roles, and the reverse view ListEntitiesForPolicy."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.services.iam import entities, managed
from profilestack.services.iam.entities import GROUP, KINDS, ROLE, USER, EntityKind
from profilestack.services.iam.errors import no_such_entity, quota
from profilestack.services.iam.paging import page, page_grouped
from profilestack.services.iam.roles import target_entity
from profilestack.services.iam.service import iam
from profilestack.services.iam.tables import iam_attachments

POLICIES_PER_ENTITY = 10


def attached_arns(db: Connection, kind: str, entity_id: str) -> list[str]:
    return [row.policy_arn for row in db.execute(
        select(iam_attachments.c.policy_arn).where(iam_attachments.c.kind == kind,
                                                   iam_attachments.c.entity_id == entity_id)
        .order_by(iam_attachments.c.policy_arn))]


def attached_shapes(db: Connection, account: str, kind: str, entity_id: str) -> list[dict[str, str]]:
    shapes = []
    for arn in attached_arns(db, kind, entity_id):
        policy = managed.load(db, account, arn)
        if policy is not None:
            shapes.append({"PolicyName": policy.name, "PolicyArn": arn, "_path": policy.path})
    return shapes


def attach(ctx: CallContext, kind: EntityKind, entity_id: str, arn: str) -> None:
    """Used by the Attach*Policy operations and by services that set up service-linked roles."""
    current = attached_arns(ctx.db, kind.kind, entity_id)
    if arn in current:
        return
    if len(current) >= POLICIES_PER_ENTITY:
        raise quota(f"PoliciesPer{kind.title}", POLICIES_PER_ENTITY)
    ctx.db.execute(insert(iam_attachments).values(kind=kind.kind, entity_id=entity_id, policy_arn=arn,
                                                  account_id=ctx.account))


def _register(kind: EntityKind) -> None:
    @iam.operation(f"Attach{kind.title}Policy")
    def attach_policy(ctx: CallContext, params: dict[str, Any]) -> None:
        row = target_entity(ctx, kind, params, modifies=True)
        policy = managed.require(ctx.db, ctx.account, params["PolicyArn"])
        if policy.service_role_policy:
            raise AwsError("PolicyNotAttachable", "Cannot attach a Service Role Policy to a Customer Role.", 400)
        attach(ctx, kind, row.id, policy.arn)

    @iam.operation(f"Detach{kind.title}Policy")
    def detach_policy(ctx: CallContext, params: dict[str, Any]) -> None:
        row = target_entity(ctx, kind, params, modifies=True)
        arn = params["PolicyArn"]
        if arn not in attached_arns(ctx.db, kind.kind, row.id):
            raise no_such_entity(f"Policy {arn} was not found.")
        ctx.db.execute(delete(iam_attachments).where(iam_attachments.c.kind == kind.kind,
                                                     iam_attachments.c.entity_id == row.id,
                                                     iam_attachments.c.policy_arn == arn))

    @iam.operation(f"ListAttached{kind.title}Policies")
    def list_attached(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        row = target_entity(ctx, kind, params, modifies=False)
        prefix = params.get("PathPrefix") or "/"
        shapes = [{"PolicyName": s["PolicyName"], "PolicyArn": s["PolicyArn"]}
                  for s in attached_shapes(ctx.db, ctx.account, kind.kind, row.id) if s["_path"].startswith(prefix)]
        return page(shapes, params, "AttachedPolicies", place=itemgetter("PolicyArn"))


for _kind in KINDS:
    _register(_kind)

_ENTITY_LISTS = {"user": ("PolicyUsers", USER), "group": ("PolicyGroups", GROUP), "role": ("PolicyRoles", ROLE)}
_FILTERS = {"User": "user", "Group": "group", "Role": "role"}


@iam.operation("ListEntitiesForPolicy")
def list_entities_for_policy(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    policy = managed.require(ctx.db, ctx.account, params["PolicyArn"])
    wanted = {_FILTERS[params["EntityFilter"]]} if params.get("EntityFilter") in _FILTERS else set(_ENTITY_LISTS)
    prefix = params.get("PathPrefix") or "/"
    rows = ctx.db.execute(select(iam_attachments.c.kind, iam_attachments.c.entity_id).where(
        iam_attachments.c.account_id == ctx.account, iam_attachments.c.policy_arn == policy.arn))
    attached = {(row.kind, row.entity_id) for row in rows}
    found: list[tuple[str, dict[str, str]]] = []
    for kind_name in sorted(wanted):
        key, kind = _ENTITY_LISTS[kind_name]
        for row in entities.listed(ctx.db, kind, ctx.account, prefix):
            if (kind_name, row.id) in attached:
                found.append((key, {f"{kind.title}Name": row.name, f"{kind.title}Id": row.id}))
    return page_grouped(found, params, [key for key, _ in _ENTITY_LISTS.values()], place=_entity_place)


def _entity_place(entry: tuple[str, dict[str, str]]) -> str:
    """Groups, roles, then users (the lists' names in order), each by name."""
    key, item = entry
    name = item.get("GroupName") or item.get("RoleName") or item.get("UserName") or ""
    return f"{key} {name.lower()}"
