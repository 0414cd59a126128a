"""Users, groups and roles share one shape of storage and the same lookups; ``EntityKind`` says which."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Connection, Row, Select, Table, bindparam, delete, func, insert, select

from profilestack.gateway.context import CallContext
from profilestack.services.iam.errors import already_exists, delete_conflict, no_such_entity, quota
from profilestack.services.iam.tables import (
    iam_attachments,
    iam_group_members,
    iam_groups,
    iam_inline_policies,
    iam_instance_profiles,
    iam_roles,
    iam_users,
)
from profilestack.services.iam.tags import drop_tags, tags_of


@dataclass(frozen=True, slots=True)
class EntityKind:
    kind: str  # user | group | role: the ARN's resource word and the attachment/inline/tag kind
    title: str  # User | Group | Role: operation names (PutUserPolicy) and parameters (UserName)
    table: Table
    id_prefix: str
    quota: int
    inline_size_limit: int  # aggregate inline policy size, whitespace excluded
    tag_kind: str = ""  # the kind its tags are stored under, when not ``kind`` (the column holds 8 characters)

    @property
    def tags_kind(self) -> str:
        return self.tag_kind or self.kind

    @property
    def name_param(self) -> str:
        return f"{self.title}Name"

    def arn(self, account: str, path: str, name: str) -> str:
        return f"arn:aws:iam::{account}:{self.kind}{path}{name}"


USER = EntityKind("user", "User", iam_users, "AIDA", 5000, 2048)
GROUP = EntityKind("group", "Group", iam_groups, "AGPA", 300, 5120)
ROLE = EntityKind("role", "Role", iam_roles, "AROA", 1000, 10240)
KINDS = (USER, GROUP, ROLE)  # the kinds that hold policies
KIND_NAMED = {kind.kind: kind for kind in KINDS}
INSTANCE_PROFILE = EntityKind("instance-profile", "InstanceProfile", iam_instance_profiles, "AIPA", 1000, 0,
                              tag_kind="iprofile")


@cache
def _by_name(table: Table) -> Select[Any]:
    """Built once per table: building SQLAlchemy expressions costs more than running this query."""
    return select(table).where(table.c.account_id == bindparam("account"), table.c.name_key == bindparam("name"))


def find(db: Connection, kind: EntityKind, account: str, name: str) -> Row[Any] | None:
    return db.execute(_by_name(kind.table), {"account": account, "name": name.lower()}).first()


def by_id(db: Connection, kind: EntityKind, entity_id: str) -> Row[Any]:
    return db.execute(select(kind.table).where(kind.table.c.id == entity_id)).one()


def require(db: Connection, kind: EntityKind, account: str, name: str) -> Row[Any]:
    row = find(db, kind, account, name)
    if row is None:
        raise no_such_entity(f"The {kind.kind} with name {name} cannot be found.")
    return row


def create(ctx: CallContext, kind: EntityKind, name: str, path: str | None, **columns: Any) -> Row[Any]:
    account = ctx.account
    if find(ctx.db, kind, account, name) is not None:
        raise already_exists(f"{kind.title} with name {name} already exists.")
    table = kind.table
    count = ctx.db.execute(select(func.count()).select_from(table).where(table.c.account_id == account)).scalar()
    if count >= kind.quota and not columns.get("service_principal"):
        raise quota(f"{kind.title}sPerAccount", kind.quota)
    path = path or "/"
    values = {"id": ctx.app.ids.unique_id(kind.id_prefix), "account_id": account, "name": name,
              "name_key": name.lower(), "path": path, "arn": kind.arn(account, path, name),
              "created_at": ctx.now(), **columns}
    ctx.db.execute(insert(table).values(**values))
    return require(ctx.db, kind, account, name)


def name_place(row: Row[Any]) -> str:
    """An entity's place in its listings (paging.page's ``place``): by name, letter case aside."""
    return row.name_key


def listed(db: Connection, kind: EntityKind, account: str, path_prefix: str | None = None) -> list[Row[Any]]:
    table = kind.table
    query = select(table).where(table.c.account_id == account)
    if path_prefix:
        query = query.where(table.c.path.startswith(path_prefix, autoescape=True))
    return list(db.execute(query.order_by(table.c.name_key)))


def remove(db: Connection, kind: EntityKind, row: Row[Any]) -> None:
    """Deletes the entity and what hangs off it (the caller has checked for conflicts)."""
    drop_tags(db, kind.tags_kind, row.id)
    for table in (iam_inline_policies, iam_attachments):
        db.execute(delete(table).where(table.c.kind == kind.kind, table.c.entity_id == row.id))
    if kind is GROUP:
        db.execute(delete(iam_group_members).where(iam_group_members.c.group_id == row.id))
    if kind is USER:
        db.execute(delete(iam_group_members).where(iam_group_members.c.user_id == row.id))
    db.execute(delete(kind.table).where(kind.table.c.id == row.id))


def boundary_shape(arn: str | None) -> dict[str, str] | None:
    return {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn} if arn else None


def base_shape(kind: EntityKind, row: Row[Any]) -> dict[str, Any]:
    return {"Path": row.path, kind.name_param: row.name, f"{kind.title}Id": row.id, "Arn": row.arn,
            "CreateDate": row.created_at}


def add_details(db: Connection, kind: EntityKind, row: Row[Any], shape: dict[str, Any]) -> dict[str, Any]:
    """What Get{User,Role} show beyond the list view: the permissions boundary and the tags."""
    boundary = boundary_shape(row.boundary_arn)
    if boundary:
        shape["PermissionsBoundary"] = boundary
    tags = tags_of(db, kind.tags_kind, row.id)
    if tags:
        shape["Tags"] = tags
    return shape


def group_ids_of(db: Connection, user_id: str) -> list[str]:
    return list(db.execute(_group_ids(user_id)).scalars())


def member_ids_of(db: Connection, group_id: str) -> list[str]:
    return list(db.execute(_member_ids(group_id)).scalars())


def members_of(db: Connection, group_id: str) -> list[Row[Any]]:
    """The users in the group, read in one statement (not every user of the account)."""
    return db.execute(select(iam_users).where(iam_users.c.id.in_(_member_ids(group_id)))).all()


def groups_of(db: Connection, user_id: str) -> list[Row[Any]]:
    """The groups the user is in, read in one statement."""
    return db.execute(select(iam_groups).where(iam_groups.c.id.in_(_group_ids(user_id)))).all()


def _member_ids(group_id: str) -> Select[Any]:
    return select(iam_group_members.c.user_id).where(iam_group_members.c.group_id == group_id)


def _group_ids(user_id: str) -> Select[Any]:
    return select(iam_group_members.c.group_id).where(iam_group_members.c.user_id == user_id)


def refuse_if_policies(db: Connection, kind: EntityKind, row: Row[Any]) -> None:
    """DeleteUser/DeleteGroup/DeleteRole require inline policies deleted and managed ones detached first."""
    for table, message in ((iam_inline_policies, "Cannot delete entity, must delete policies first."),
                           (iam_attachments, "Cannot delete entity, must detach all policies first.")):
        if db.execute(select(table.c.kind).where(table.c.kind == kind.kind, table.c.entity_id == row.id)).first():
            raise delete_conflict(message)
