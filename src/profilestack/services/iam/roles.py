"""IAM roles: trust policy, description, maximum session duration, permissions boundary."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, select, update

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.iam_policy.document import PolicyKind
from profilestack.identity.principal import ASSUMED_ROLE
from profilestack.services.iam import entities, managed
from profilestack.services.iam.documents import check_size, validated, wire
from profilestack.services.iam.entities import ROLE
from profilestack.services.iam.errors import delete_conflict
from profilestack.services.iam.paging import page
from profilestack.services.iam.service import iam
from profilestack.services.iam.signin_sessions import show_signin_duration, signin_duration_change
from profilestack.services.iam.tables import iam_instance_profiles
from profilestack.services.iam.tags import add_tags
from profilestack.services.iam.trust_principals import current_arns, effective_trust, principal_ids

TRUST_POLICY_LIMIT = 2048
DEFAULT_SESSION_DURATION = 3600


def role_shape(db: Connection, row: Row[Any], detailed: bool = True,
               trusted: dict[str, str] | None = None) -> dict[str, Any]:
    """``trusted``: ``current_arns`` of many roles listed at once, read in one go for them all."""
    shape = entities.base_shape(ROLE, row)
    shape["AssumeRolePolicyDocument"] = wire(effective_trust(db, row.trust_policy, row.trust_principals, trusted))
    if row.description is not None:
        shape["Description"] = row.description
    shape["MaxSessionDuration"] = row.max_session_duration
    show_signin_duration(shape, row)
    if detailed:
        entities.add_details(db, ROLE, row, shape)
        shape["RoleLastUsed"] = ({"LastUsedDate": row.last_used_at, "Region": row.last_used_region}
                                 if row.last_used_at else {})
    return shape


def acting_as_itself(ctx: CallContext, role: Row[Any]) -> bool:
    """The linked service, through a session of this very service-linked role."""
    principal = ctx.principal
    return (principal.kind == ASSUMED_ROLE and principal.role_arn == role.arn
            and principal.invoked_by == role.service_principal)


def refuse_if_service_linked(ctx: CallContext, row: Row[Any]) -> None:
    """Service-linked roles are only modifiable by their service."""
    if row.service_principal:
        raise AwsError("UnmodifiableEntity", f"Cannot perform the operation on the protected role '{row.name}' - "
                                             "this role is only modifiable by AWS", 400)


def target_entity(ctx: CallContext, kind: entities.EntityKind, params: dict[str, Any], modifies: bool) -> Row[Any]:
    """The user, group or role an operation names; a service-linked role refuses changes to its policies."""
    row = entities.require(ctx.db, kind, ctx.account, params[kind.name_param])
    if modifies and kind is ROLE:
        refuse_if_service_linked(ctx, row)
    return row


def _trust_policy(ctx: CallContext, text: str) -> dict[str, Any]:
    """The columns of a valid trust policy: its text, and the users and roles it names by their unique ids."""
    check_size(text, TRUST_POLICY_LIMIT, f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_LIMIT}")
    named = principal_ids(ctx.db, ctx.app.settings.accounts_held(), validated(text, PolicyKind.TRUST))
    return {"trust_policy": text, "trust_principals": named or None}


@iam.operation("CreateRole")
def create_role(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    boundary = params.get("PermissionsBoundary")
    if boundary:
        managed.require(ctx.db, ctx.account, boundary)
    row = entities.create(ctx, ROLE, params["RoleName"], params.get("Path"), boundary_arn=boundary,
                          **_trust_policy(ctx, params["AssumeRolePolicyDocument"]),
                          description=params.get("Description"),
                          max_session_duration=params.get("MaxSessionDuration") or DEFAULT_SESSION_DURATION,
                          max_signin_session_duration=params.get("MaxSigninSessionDuration"))
    if params.get("Tags"):
        add_tags(ctx.db, "role", row.id, "Role", params["Tags"])
    return {"Role": role_shape(ctx.db, row)}


@iam.operation("GetRole")
def get_role(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["RoleName"]
    return {"Role": ctx.app.iam_reads.get(
        ("GetRole", ctx.account, name.lower()),
        lambda: role_shape(ctx.db, entities.require(ctx.db, ROLE, ctx.account, name)))}


@iam.operation("ListRoles")
def list_roles(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    rows = entities.listed(ctx.db, ROLE, ctx.account, params.get("PathPrefix"))
    return page(rows, params, "Roles", lambda chunk: role_shapes(ctx.db, chunk, detailed=False),
                entities.name_place)


def role_shapes(db: Connection, rows: list[Row[Any]], detailed: bool = True) -> list[dict[str, Any]]:
    """Several roles' shapes, the current ARNs of the principals their trust policies name read in one go."""
    trusted = current_arns(db, [row.trust_principals for row in rows])
    return [role_shape(db, row, detailed, trusted) for row in rows]


def _update(ctx: CallContext, row: Row[Any], **values: Any) -> Row[Any]:
    ctx.db.execute(update(ROLE.table).where(ROLE.table.c.id == row.id).values(**values))
    return entities.require(ctx.db, ROLE, ctx.account, row.name)


@iam.operation("UpdateRole")
def update_role(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = entities.require(ctx.db, ROLE, ctx.account, params["RoleName"])
    values = {}
    if "Description" in params:
        values["description"] = params["Description"]
    if "MaxSessionDuration" in params:
        refuse_if_service_linked(ctx, row)
        values["max_session_duration"] = params["MaxSessionDuration"]
    signin = signin_duration_change(params)
    if signin:
        refuse_if_service_linked(ctx, row)
        values.update(signin)
    if values:
        _update(ctx, row, **values)
    return {}


@iam.operation("UpdateRoleDescription")
def update_role_description(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = entities.require(ctx.db, ROLE, ctx.account, params["RoleName"])
    return {"Role": role_shape(ctx.db, _update(ctx, row, description=params["Description"]))}


@iam.operation("UpdateAssumeRolePolicy")
def update_assume_role_policy(ctx: CallContext, params: dict[str, Any]) -> None:
    row = entities.require(ctx.db, ROLE, ctx.account, params["RoleName"])
    refuse_if_service_linked(ctx, row)
    _update(ctx, row, **_trust_policy(ctx, params["PolicyDocument"]))


@iam.operation("DeleteRole")
def delete_role(ctx: CallContext, params: dict[str, Any]) -> None:
    row = entities.require(ctx.db, ROLE, ctx.account, params["RoleName"])
    if row.service_principal and acting_as_itself(ctx, row):
        entities.remove(ctx.db, ROLE, row)  # the service deletes its role, policy attachment included
        return
    refuse_if_service_linked(ctx, row)
    entities.refuse_if_policies(ctx.db, ROLE, row)
    if ctx.db.execute(select(iam_instance_profiles.c.id).where(iam_instance_profiles.c.role_id == row.id)).first():
        raise delete_conflict("Cannot delete entity, must remove roles from instance profile first.")
    entities.remove(ctx.db, ROLE, row)


def _register_boundaries(kind: entities.EntityKind) -> None:
    @iam.operation(f"Put{kind.title}PermissionsBoundary")
    def put_boundary(ctx: CallContext, params: dict[str, Any]) -> None:
        row = target_entity(ctx, kind, params, modifies=True)
        policy = managed.require(ctx.db, ctx.account, params["PermissionsBoundary"])
        if policy.service_role_policy:
            raise AwsError("InvalidInput", f"ARN {policy.arn} is not a valid permissions boundary.", 400)
        ctx.db.execute(update(kind.table).where(kind.table.c.id == row.id).values(boundary_arn=policy.arn))

    @iam.operation(f"Delete{kind.title}PermissionsBoundary")
    def delete_boundary(ctx: CallContext, params: dict[str, Any]) -> None:
        row = target_entity(ctx, kind, params, modifies=True)
        ctx.db.execute(update(kind.table).where(kind.table.c.id == row.id).values(boundary_arn=None))


for _kind in (entities.USER, ROLE):
    _register_boundaries(_kind)
