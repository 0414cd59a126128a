"""Customer managed policies and their versions; AWS managed policies are readable, never writable."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, select, update

from profilestack.gateway.context import CallContext
from profilestack.services.iam import managed
from profilestack.services.iam.catalogue import AWS_POLICY_PREFIX, ManagedPolicy
from profilestack.services.iam.documents import check_size, validated
from profilestack.services.iam.errors import already_exists, delete_conflict, limit_exceeded, no_such_entity, quota
from profilestack.services.iam.paging import page
from profilestack.services.iam.service import iam
from profilestack.services.iam.tables import iam_attachments, iam_policies, iam_policy_versions, iam_tags
from profilestack.services.iam.tags import add_tags

MANAGED_POLICY_SIZE = 6144
MAX_VERSIONS = 5
POLICIES_PER_ACCOUNT = 1500


def _document(text: str) -> str:
    check_size(text, MANAGED_POLICY_SIZE, f"Cannot exceed quota for PolicySize: {MANAGED_POLICY_SIZE}")
    validated(text)
    return text


def _version(policy: ManagedPolicy, version_id: str):
    version = policy.versions.get(version_id)
    if version is None:
        raise no_such_entity(f"Policy {policy.arn} version {version_id} does not exist or is not attachable.")
    return version


@iam.operation("CreatePolicy")
def create_policy(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    name, path = params["PolicyName"], params.get("Path") or "/"
    document = _document(params["PolicyDocument"])
    db, account = ctx.db, ctx.account
    if db.execute(select(iam_policies.c.id).where(iam_policies.c.account_id == account,
                                                  iam_policies.c.name_key == name.lower())).first():
        raise already_exists(f"A policy called {name} already exists. Duplicate names are not allowed.")
    count = db.execute(select(func.count()).select_from(iam_policies)
                       .where(iam_policies.c.account_id == account)).scalar() or 0
    if count >= POLICIES_PER_ACCOUNT:
        raise quota("CustomerManagedPoliciesPerAccount", POLICIES_PER_ACCOUNT)
    policy_id, now = ctx.app.ids.unique_id("ANPA"), ctx.now()
    arn = f"arn:aws:iam::{account}:policy{path}{name}"
    db.execute(insert(iam_policies).values(id=policy_id, account_id=account, name=name, name_key=name.lower(),
                                           path=path, arn=arn, created_at=now, updated_at=now,
                                           description=params.get("Description"), default_version="v1",
                                           version_counter=1))
    db.execute(insert(iam_policy_versions).values(policy_id=policy_id, version_id="v1", document=document,
                                                  created_at=now))
    if params.get("Tags"):
        add_tags(db, "policy", policy_id, "Policy", params["Tags"])
    return {"Policy": managed.policy_shape(db, account, managed.require(db, account, arn), detailed=True)}


@iam.operation("GetPolicy")
def get_policy(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    policy = managed.require(ctx.db, ctx.account, params["PolicyArn"])
    return {"Policy": managed.policy_shape(ctx.db, ctx.account, policy, detailed=True)}


@iam.operation("ListPolicies")
def list_policies(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    used = managed.usage_in(ctx.db, ctx.account)
    policies = [managed.policy_shape(ctx.db, ctx.account, policy, usage=used.get(policy.arn, managed.Usage()))
                for policy in managed.all_policies(ctx.db, ctx.account, params.get("Scope") or "All",
                                                   params.get("PathPrefix"))]
    if params.get("OnlyAttached"):
        policies = [shape for shape in policies if shape["AttachmentCount"] > 0]
    usage = params.get("PolicyUsageFilter")
    if usage == "PermissionsBoundary":
        policies = [shape for shape in policies if shape["PermissionsBoundaryUsageCount"] > 0]
    elif usage == "PermissionsPolicy":
        policies = [shape for shape in policies if shape["AttachmentCount"] > 0]
    return page(policies, params, "Policies", place=_listed_place)


def _listed_place(shape: dict[str, Any]) -> str:
    """AWS's managed policies first, then the account's, each by name (letter case aside)."""
    return ("0" if shape["Arn"].startswith(AWS_POLICY_PREFIX) else "1") + shape["PolicyName"].lower()


@iam.operation("DeletePolicy")
def delete_policy(ctx: CallContext, params: dict[str, Any]) -> None:
    policy = managed.require_customer(ctx, params["PolicyArn"])
    usage = managed.usage_of(ctx.db, ctx.account, policy.arn)
    if usage.attachments or usage.boundaries:
        raise delete_conflict("Cannot delete a policy attached to entities.")
    if len(policy.versions) > 1:
        raise delete_conflict("This policy has more than one version. Before you delete a policy, you must delete "
                              "the policy's versions. The default version is deleted with the policy.")
    ctx.db.execute(delete(iam_policy_versions).where(iam_policy_versions.c.policy_id == policy.policy_id))
    ctx.db.execute(delete(iam_tags).where(iam_tags.c.kind == "policy", iam_tags.c.entity_id == policy.policy_id))
    ctx.db.execute(delete(iam_attachments).where(iam_attachments.c.account_id == ctx.account,
                                                 iam_attachments.c.policy_arn == policy.arn))
    ctx.db.execute(delete(iam_policies).where(iam_policies.c.id == policy.policy_id))


@iam.operation("CreatePolicyVersion")
def create_policy_version(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    policy = managed.require_customer(ctx, params["PolicyArn"])
    document = _document(params["PolicyDocument"])
    if len(policy.versions) >= MAX_VERSIONS:
        raise limit_exceeded("A managed policy can have up to 5 versions. Before you create a new version, you "
                             "must delete an existing version.")
    db = ctx.db
    counter = db.execute(select(iam_policies.c.version_counter)
                         .where(iam_policies.c.id == policy.policy_id)).scalar_one() + 1
    version_id, now = f"v{counter}", ctx.now()
    db.execute(insert(iam_policy_versions).values(policy_id=policy.policy_id, version_id=version_id,
                                                  document=document, created_at=now))
    values: dict[str, Any] = {"version_counter": counter, "updated_at": now}
    if params.get("SetAsDefault"):
        values["default_version"] = version_id
    db.execute(update(iam_policies).where(iam_policies.c.id == policy.policy_id).values(**values))
    policy = managed.require(db, ctx.account, policy.arn)
    return {"PolicyVersion": managed.version_shape(policy, policy.versions[version_id], with_document=False)}


@iam.operation("GetPolicyVersion")
def get_policy_version(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    policy = managed.require(ctx.db, ctx.account, params["PolicyArn"])
    version = _version(policy, params["VersionId"])
    return {"PolicyVersion": managed.version_shape(policy, version, with_document=True)}


@iam.operation("ListPolicyVersions")
def list_policy_versions(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    policy = managed.require(ctx.db, ctx.account, params["PolicyArn"])
    versions = sorted(policy.versions.values(), key=lambda v: (v.created_at, int(v.version_id[1:])), reverse=True)
    return page([managed.version_shape(policy, v, with_document=False) for v in versions], params, "Versions")


@iam.operation("SetDefaultPolicyVersion")
def set_default_policy_version(ctx: CallContext, params: dict[str, Any]) -> None:
    policy = managed.require_customer(ctx, params["PolicyArn"])
    _version(policy, params["VersionId"])
    ctx.db.execute(update(iam_policies).where(iam_policies.c.id == policy.policy_id).values(
        default_version=params["VersionId"], updated_at=ctx.now()))


@iam.operation("DeletePolicyVersion")
def delete_policy_version(ctx: CallContext, params: dict[str, Any]) -> None:
    policy = managed.require_customer(ctx, params["PolicyArn"])
    _version(policy, params["VersionId"])
    if params["VersionId"] == policy.default_version:
        raise delete_conflict("Cannot delete the default version of a policy.")
    ctx.db.execute(delete(iam_policy_versions).where(iam_policy_versions.c.policy_id == policy.policy_id,
                                                     iam_policy_versions.c.version_id == params["VersionId"]))
