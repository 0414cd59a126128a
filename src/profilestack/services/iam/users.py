"""IAM users."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, select, update

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.identity.principal import IAM_USER
from profilestack.services.iam import entities, managed
from profilestack.services.iam.entities import USER
from profilestack.services.iam.errors import already_exists, delete_conflict
from profilestack.services.iam.paging import page
from profilestack.services.iam.service import iam
from profilestack.services.iam.tables import (
    iam_access_keys,
    iam_login_profiles,
    iam_mfa_devices,
    iam_user_credentials,
)
from profilestack.services.iam.tags import add_tags

ROOT_CREATED = datetime(2020, 1, 1, tzinfo=UTC)  # the emulated account's creation date


def user_shape(db: Connection, row: Row[Any], detailed: bool = True) -> dict[str, Any]:
    shape = entities.base_shape(USER, row)
    return entities.add_details(db, USER, row, shape) if detailed else shape


def target_user(ctx: CallContext, params: dict[str, Any]) -> Row[Any]:
    """The named user, or the calling user when the name is omitted (as IAM allows)."""
    name = params.get("UserName")
    if name is None:
        if ctx.principal.kind != IAM_USER or ctx.principal.name is None:
            raise AwsError("ValidationError", "Must specify userName when calling with non-User credentials", 400)
        name = ctx.principal.name
    return entities.require(ctx.db, USER, ctx.account, name)


@iam.operation("CreateUser")
def create_user(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    boundary = params.get("PermissionsBoundary")
    if boundary:
        managed.require(ctx.db, ctx.account, boundary)
    row = entities.create(ctx, USER, params["UserName"], params.get("Path"), boundary_arn=boundary)
    if params.get("Tags"):
        add_tags(ctx.db, "user", row.id, "User", params["Tags"])
    return {"User": user_shape(ctx.db, row)}


@iam.operation("GetUser")
def get_user(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("UserName") is None and ctx.principal.is_root:
        return {"User": {"Path": "/", "UserName": ctx.account, "UserId": ctx.account, "Arn": ctx.principal.arn,
                         "CreateDate": ROOT_CREATED}}
    return {"User": user_shape(ctx.db, target_user(ctx, params))}


@iam.operation("ListUsers")
def list_users(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    rows = entities.listed(ctx.db, USER, ctx.account, params.get("PathPrefix"))
    return page(rows, params, "Users", lambda chunk: [user_shape(ctx.db, row, detailed=False) for row in chunk],
                entities.name_place)


@iam.operation("UpdateUser")
def update_user(ctx: CallContext, params: dict[str, Any]) -> None:
    row = entities.require(ctx.db, USER, ctx.account, params["UserName"])
    rename(ctx, USER, row, params.get("NewUserName"), params.get("NewPath"))


def rename(ctx: CallContext, kind: entities.EntityKind, row: Row[Any], new_name: str | None,
           new_path: str | None) -> None:
    """UpdateUser / UpdateGroup: a new name or path keeps the id, so attachments and keys follow."""
    name = new_name or row.name
    path = new_path or row.path
    if name.lower() != row.name_key and entities.find(ctx.db, kind, ctx.account, name) is not None:
        raise already_exists(f"{kind.title} with name {name} already exists.")
    ctx.db.execute(update(kind.table).where(kind.table.c.id == row.id).values(
        name=name, name_key=name.lower(), path=path, arn=kind.arn(ctx.account, path, name)))


@iam.operation("DeleteUser")
def delete_user(ctx: CallContext, params: dict[str, Any]) -> None:
    row = entities.require(ctx.db, USER, ctx.account, params["UserName"])
    db = ctx.db
    if db.execute(select(iam_access_keys.c.access_key_id).where(iam_access_keys.c.user_id == row.id)).first():
        raise delete_conflict("Cannot delete entity, must delete access keys first.")
    entities.refuse_if_policies(db, USER, row)
    if entities.group_ids_of(db, row.id):
        raise delete_conflict("Cannot delete entity, must remove user from all groups first.")
    if db.execute(select(iam_login_profiles.c.user_id).where(iam_login_profiles.c.user_id == row.id)).first():
        raise delete_conflict("Cannot delete entity, must delete login profile first.")
    if db.execute(select(iam_mfa_devices.c.serial_number).where(iam_mfa_devices.c.user_id == row.id)).first():
        raise delete_conflict("Cannot delete entity, must deactivate MFA devices first.")
    held = db.execute(select(iam_user_credentials.c.kind).where(iam_user_credentials.c.user_id == row.id)).first()
    if held is not None:
        raise delete_conflict(f"Cannot delete entity, must delete {_CREDENTIAL_NAMES[held.kind]} first.")
    entities.remove(db, USER, row)


_CREDENTIAL_NAMES = {"ssh": "SSH public keys", "signing": "signing certificates",
                     "service": "service specific credentials"}

