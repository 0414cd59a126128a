"""GetAccountAuthorizationDetails: every user, group, role and managed policy in use, with their policies."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from profilestack.gateway.context import CallContext
from profilestack.services.iam import entities, managed
from profilestack.services.iam.attachments import attached_shapes
from profilestack.services.iam.documents import wire
from profilestack.services.iam.entities import GROUP, ROLE, USER, EntityKind
from profilestack.services.iam.inline import inline_policies
from profilestack.services.iam.instance_profiles import profile_shape, profiles_of_role
from profilestack.services.iam.paging import page_grouped
from profilestack.services.iam.roles import role_shapes
from profilestack.services.iam.service import iam
from profilestack.services.iam.tables import iam_attachments
from profilestack.services.iam.users import user_shape

_LISTS = {"User": "UserDetailList", "Group": "GroupDetailList", "Role": "RoleDetailList",
          "LocalManagedPolicy": "Policies", "AWSManagedPolicy": "Policies"}


def _policies_of(db: Connection, account: str, kind: EntityKind, row: Any) -> dict[str, Any]:
    return {
        f"{kind.title}PolicyList": [{"PolicyName": name, "PolicyDocument": wire(text)}
                                    for name, text in inline_policies(db, kind.kind, row.id).items()],
        "AttachedManagedPolicies": [{"PolicyName": s["PolicyName"], "PolicyArn": s["PolicyArn"]}
                                    for s in attached_shapes(db, account, kind.kind, row.id)],
    }


def _user(db: Connection, account: str, row: Any) -> dict[str, Any]:
    groups = set(entities.group_ids_of(db, row.id))
    names = [group.name for group in entities.listed(db, GROUP, account) if group.id in groups]
    return {**user_shape(db, row), **_policies_of(db, account, USER, row), "GroupList": names}


def _policy(db: Connection, account: str, policy: managed.ManagedPolicy) -> dict[str, Any]:
    shape = managed.policy_shape(db, account, policy, detailed=True)
    shape.pop("Tags", None)
    shape["PolicyVersionList"] = [managed.version_shape(policy, version, with_document=True)
                                  for version in policy.versions.values()]
    return shape


@iam.operation("GetAccountAuthorizationDetails")
def get_account_authorization_details(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    db, account = ctx.db, ctx.account
    wanted = set(params.get("Filter") or _LISTS)
    entries: list[tuple[str, dict[str, Any]]] = []
    if "User" in wanted:
        entries += [("UserDetailList", row) for row in entities.listed(db, USER, account)]
    if "Group" in wanted:
        entries += [("GroupDetailList", row) for row in entities.listed(db, GROUP, account)]
    if "Role" in wanted:
        entries += [("RoleDetailList", row) for row in entities.listed(db, ROLE, account)]
    in_use = {row.policy_arn for row in db.execute(select(iam_attachments.c.policy_arn)
                                                   .where(iam_attachments.c.account_id == account))}
    for policy in managed.all_policies(db, account):
        scope = "AWSManagedPolicy" if policy.aws_managed else "LocalManagedPolicy"
        if scope in wanted and (not policy.aws_managed or policy.arn in in_use):
            entries.append(("Policies", policy))
    return page_grouped(entries, params, list(dict.fromkeys(_LISTS.values())),
                        lambda chunk: _details(db, account, chunk))


def _details(db: Connection, account: str, chunk: list[tuple[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """The page's entries in full: each user, group, role and policy with its policies (and a role's instance
    profiles); only the page's are read, however large the account."""
    role_details = iter(role_shapes(db, [item for key, item in chunk if key == "RoleDetailList"]))
    shaped: list[tuple[str, dict[str, Any]]] = []
    for key, item in chunk:
        if key == "UserDetailList":
            shape = _user(db, account, item)
        elif key == "GroupDetailList":
            shape = {**entities.base_shape(GROUP, item), **_policies_of(db, account, GROUP, item)}
        elif key == "RoleDetailList":
            shape = {**next(role_details), **_policies_of(db, account, ROLE, item),
                     "InstanceProfileList": [profile_shape(db, profile) for profile in profiles_of_role(db, item.id)]}
        else:
            shape = _policy(db, account, item)
        shaped.append((key, shape))
    return shaped
