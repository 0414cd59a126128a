"""Instance profiles: containers for at most one role (service-linked roles cannot be added or removed)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, select, update

from profilestack.gateway.context import CallContext
from profilestack.services.iam import entities
from profilestack.services.iam.entities import INSTANCE_PROFILE, ROLE
from profilestack.services.iam.errors import already_exists, delete_conflict, no_such_entity, quota
from profilestack.services.iam.paging import page
from profilestack.services.iam.roles import refuse_if_service_linked, role_shape
from profilestack.services.iam.service import iam
from profilestack.services.iam.tables import iam_instance_profiles, iam_roles
from profilestack.services.iam.tags import add_tags, tags_of


def profile_shape(db: Connection, row: Row[Any], with_tags: bool = False) -> dict[str, Any]:
    shape = entities.base_shape(INSTANCE_PROFILE, row)
    role = db.execute(select(iam_roles).where(iam_roles.c.id == row.role_id)).first() if row.role_id else None
    shape["Roles"] = [role_shape(db, role, detailed=False)] if role is not None else []
    tags = tags_of(db, INSTANCE_PROFILE.tags_kind, row.id) if with_tags else []
    if tags:
        shape["Tags"] = tags
    return shape


def profiles_of_role(db: Connection, role_id: str) -> list[Row[Any]]:
    return list(db.execute(select(iam_instance_profiles).where(iam_instance_profiles.c.role_id == role_id)))


@iam.operation("CreateInstanceProfile")
def create_instance_profile(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = entities.create(ctx, INSTANCE_PROFILE, params["InstanceProfileName"], params.get("Path"))
    if params.get("Tags"):
        add_tags(ctx.db, INSTANCE_PROFILE.tags_kind, row.id, "InstanceProfile", params["Tags"])
    return {"InstanceProfile": profile_shape(ctx.db, row, with_tags=True)}


@iam.operation("GetInstanceProfile")
def get_instance_profile(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = entities.require(ctx.db, INSTANCE_PROFILE, ctx.account, params["InstanceProfileName"])
    return {"InstanceProfile": profile_shape(ctx.db, row, with_tags=True)}


@iam.operation("ListInstanceProfiles")
def list_instance_profiles(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    rows = entities.listed(ctx.db, INSTANCE_PROFILE, ctx.account, params.get("PathPrefix"))
    return page(rows, params, "InstanceProfiles", lambda chunk: [profile_shape(ctx.db, row) for row in chunk],
                entities.name_place)


@iam.operation("ListInstanceProfilesForRole")
def list_instance_profiles_for_role(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    role = entities.require(ctx.db, ROLE, ctx.account, params["RoleName"])
    return page(profiles_of_role(ctx.db, role.id), params, "InstanceProfiles",
                lambda chunk: [profile_shape(ctx.db, row) for row in chunk], entities.name_place)


@iam.operation("DeleteInstanceProfile")
def delete_instance_profile(ctx: CallContext, params: dict[str, Any]) -> None:
    row = entities.require(ctx.db, INSTANCE_PROFILE, ctx.account, params["InstanceProfileName"])
    if row.role_id:
        raise delete_conflict("Cannot delete entity, must remove roles from instance profile first.")
    entities.remove(ctx.db, INSTANCE_PROFILE, row)


def _set_role(ctx: CallContext, profile: Row[Any], role_id: str | None) -> None:
    ctx.db.execute(update(iam_instance_profiles).where(iam_instance_profiles.c.id == profile.id)
                   .values(role_id=role_id))


@iam.operation("AddRoleToInstanceProfile")
def add_role_to_instance_profile(ctx: CallContext, params: dict[str, Any]) -> None:
    profile = entities.require(ctx.db, INSTANCE_PROFILE, ctx.account, params["InstanceProfileName"])
    role = entities.require(ctx.db, ROLE, ctx.account, params["RoleName"])
    refuse_if_service_linked(ctx, role)
    if profile.role_id == role.id:
        raise already_exists(f"Role {role.name} is already associated with instance profile "
                                      f"{profile.name}.")
    if profile.role_id:
        raise quota("InstanceSessionsPerInstanceProfile", 1)
    _set_role(ctx, profile, role.id)


@iam.operation("RemoveRoleFromInstanceProfile")
def remove_role_from_instance_profile(ctx: CallContext, params: dict[str, Any]) -> None:
    profile = entities.require(ctx.db, INSTANCE_PROFILE, ctx.account, params["InstanceProfileName"])
    role = entities.require(ctx.db, ROLE, ctx.account, params["RoleName"])
    refuse_if_service_linked(ctx, role)
    if profile.role_id != role.id:
        raise no_such_entity(f"Role {role.name} is not associated with instance profile {profile.name}.")
    _set_role(ctx, profile, None)
