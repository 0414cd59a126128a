"""IAM groups and their members."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, delete, insert, select

from profilestack.gateway.context import CallContext
from profilestack.services.iam import entities
from profilestack.services.iam.entities import GROUP, USER
from profilestack.services.iam.errors import delete_conflict, no_such_entity, quota
from profilestack.services.iam.paging import page
from profilestack.services.iam.service import iam
from profilestack.services.iam.tables import iam_group_members
from profilestack.services.iam.users import rename, user_shape

GROUPS_PER_USER = 10


@iam.operation("CreateGroup")
def create_group(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = entities.create(ctx, GROUP, params["GroupName"], params.get("Path"))
    return {"Group": entities.base_shape(GROUP, row)}


@iam.operation("GetGroup")
def get_group(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    group = entities.require(ctx.db, GROUP, ctx.account, params["GroupName"])
    users = page(entities.members_of(ctx.db, group.id), params, "Users",
                 lambda chunk: [user_shape(ctx.db, row, detailed=False) for row in chunk], entities.name_place)
    return {"Group": entities.base_shape(GROUP, group), **users}


@iam.operation("ListGroups")
def list_groups(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    rows = entities.listed(ctx.db, GROUP, ctx.account, params.get("PathPrefix"))
    return page(rows, params, "Groups", _group_shapes, entities.name_place)


@iam.operation("UpdateGroup")
def update_group(ctx: CallContext, params: dict[str, Any]) -> None:
    row = entities.require(ctx.db, GROUP, ctx.account, params["GroupName"])
    rename(ctx, GROUP, row, params.get("NewGroupName"), params.get("NewPath"))


@iam.operation("DeleteGroup")
def delete_group(ctx: CallContext, params: dict[str, Any]) -> None:
    row = entities.require(ctx.db, GROUP, ctx.account, params["GroupName"])
    db = ctx.db
    if db.execute(select(iam_group_members.c.user_id).where(iam_group_members.c.group_id == row.id)).first():
        raise delete_conflict("Cannot delete entity, must remove users from group first.")
    entities.refuse_if_policies(db, GROUP, row)
    entities.remove(db, GROUP, row)


@iam.operation("AddUserToGroup")
def add_user_to_group(ctx: CallContext, params: dict[str, Any]) -> None:
    group = entities.require(ctx.db, GROUP, ctx.account, params["GroupName"])
    user = entities.require(ctx.db, USER, ctx.account, params["UserName"])
    current = entities.group_ids_of(ctx.db, user.id)
    if group.id in current:
        return
    if len(current) >= GROUPS_PER_USER:
        raise quota("GroupsPerUser", GROUPS_PER_USER)
    ctx.db.execute(insert(iam_group_members).values(group_id=group.id, user_id=user.id))


@iam.operation("RemoveUserFromGroup")
def remove_user_from_group(ctx: CallContext, params: dict[str, Any]) -> None:
    group = entities.require(ctx.db, GROUP, ctx.account, params["GroupName"])
    user = entities.require(ctx.db, USER, ctx.account, params["UserName"])
    if group.id not in entities.group_ids_of(ctx.db, user.id):
        raise no_such_entity(f"User {user.name} is not in group {group.name}.")
    ctx.db.execute(delete(iam_group_members).where(iam_group_members.c.group_id == group.id,
                                                   iam_group_members.c.user_id == user.id))


@iam.operation("ListGroupsForUser")
def list_groups_for_user(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    user = entities.require(ctx.db, USER, ctx.account, params["UserName"])
    return page(entities.groups_of(ctx.db, user.id), params, "Groups", _group_shapes, entities.name_place)


def _group_shapes(rows: list[Row[Any]]) -> list[dict[str, Any]]:
    return [entities.base_shape(GROUP, row) for row in rows]
