"""Inline policies embedded in users, groups and roles: Put/Get/List/Delete{User,Group,Role}Policy."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, insert, select

from profilestack.gateway.context import CallContext
from profilestack.services.iam.documents import policy_size, validated, wire
from profilestack.services.iam.entities import KINDS, EntityKind
from profilestack.services.iam.errors import limit_exceeded, no_such_entity
from profilestack.services.iam.paging import page
from profilestack.services.iam.roles import target_entity
from profilestack.services.iam.service import iam
from profilestack.services.iam.tables import iam_inline_policies
from profilestack.services.next_token import itself


def inline_policies(db: Connection, kind: str, entity_id: str) -> dict[str, str]:
    rows = db.execute(select(iam_inline_policies.c.name, iam_inline_policies.c.document).where(
        iam_inline_policies.c.kind == kind, iam_inline_policies.c.entity_id == entity_id)
        .order_by(iam_inline_policies.c.name))
    return {row.name: row.document for row in rows}


def put_inline(db: Connection, kind: EntityKind, row: Any, name: str, document: str) -> None:
    validated(document)
    current = inline_policies(db, kind.kind, row.id)
    current[name] = document
    if sum(policy_size(text) for text in current.values()) > kind.inline_size_limit:
        raise limit_exceeded(f"Maximum policy size of {kind.inline_size_limit} bytes exceeded for "
                             f"{kind.kind} {row.name}")
    db.execute(delete(iam_inline_policies).where(iam_inline_policies.c.kind == kind.kind,
                                                 iam_inline_policies.c.entity_id == row.id,
                                                 iam_inline_policies.c.name == name))
    db.execute(insert(iam_inline_policies).values(kind=kind.kind, entity_id=row.id, name=name, document=document))


def _register(kind: EntityKind) -> None:
    def missing(kind_name: str, name: str) -> Exception:
        return no_such_entity(f"The {kind_name} policy with name {name} cannot be found.")

    @iam.operation(f"Put{kind.title}Policy")
    def put_policy(ctx: CallContext, params: dict[str, Any]) -> None:
        row = target_entity(ctx, kind, params, modifies=True)
        put_inline(ctx.db, kind, row, params["PolicyName"], params["PolicyDocument"])

    @iam.operation(f"Get{kind.title}Policy")
    def get_policy(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        row = target_entity(ctx, kind, params, modifies=False)
        document = inline_policies(ctx.db, kind.kind, row.id).get(params["PolicyName"])
        if document is None:
            raise missing(kind.kind, params["PolicyName"])
        return {kind.name_param: row.name, "PolicyName": params["PolicyName"], "PolicyDocument": wire(document)}

    @iam.operation(f"List{kind.title}Policies")
    def list_policies(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        row = target_entity(ctx, kind, params, modifies=False)
        return page(list(inline_policies(ctx.db, kind.kind, row.id)), params, "PolicyNames", place=itself)

    @iam.operation(f"Delete{kind.title}Policy")
    def delete_policy(ctx: CallContext, params: dict[str, Any]) -> None:
        row = target_entity(ctx, kind, params, modifies=True)
        if params["PolicyName"] not in inline_policies(ctx.db, kind.kind, row.id):
            raise missing(kind.kind, params["PolicyName"])
        ctx.db.execute(delete(iam_inline_policies).where(iam_inline_policies.c.kind == kind.kind,
                                                         iam_inline_policies.c.entity_id == row.id,
                                                         iam_inline_policies.c.name == params["PolicyName"]))


for _kind in KINDS:
    _register(_kind)
