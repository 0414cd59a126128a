"""Managed policies, AWS's (read-only catalogue) and the account's (stored with their versions), as one view."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, func, select

from profilestack.gateway.authz import AccessDenied
from profilestack.gateway.context import CallContext
from profilestack.services.iam.catalogue import AWS_POLICY_PREFIX, ManagedPolicy, Version, aws_managed_policies
from profilestack.services.iam.documents import wire
from profilestack.services.iam.errors import no_such_entity
from profilestack.services.iam.tables import iam_attachments, iam_policies, iam_policy_versions, iam_roles, iam_users
from profilestack.services.iam.tags import tags_of


def _from_row(db: Connection, row: Row[Any]) -> ManagedPolicy:
    return _policy(row, db.execute(select(iam_policy_versions).where(iam_policy_versions.c.policy_id == row.id)))


def _policy(row: Row[Any], version_rows: Iterable[Row[Any]]) -> ManagedPolicy:
    versions = {v.version_id: Version(v.version_id, v.document, v.created_at) for v in version_rows}
    return ManagedPolicy(row.arn, row.name, row.id, row.path, row.default_version, versions, row.created_at,
                         row.updated_at, row.description)


def load(db: Connection, account: str, arn: str) -> ManagedPolicy | None:
    if arn.startswith(AWS_POLICY_PREFIX):
        return aws_managed_policies().get(arn)
    row = db.execute(select(iam_policies).where(iam_policies.c.arn == arn,
                                                iam_policies.c.account_id == account)).first()
    return _from_row(db, row) if row is not None else None


def require(db: Connection, account: str, arn: str) -> ManagedPolicy:
    policy = load(db, account, arn)
    if policy is None:
        raise no_such_entity(f"Policy {arn} does not exist or is not attachable.")
    return policy


def require_customer(ctx: CallContext, arn: str) -> ManagedPolicy:
    """The account's own policy; AWS managed policies are read-only to everyone."""
    policy = require(ctx.db, ctx.account, arn)
    if policy.aws_managed:
        action = f"iam:{ctx.operation}"
        raise AccessDenied(ctx.principal, action, arn, f"because no resource-based policy allows the {action} action")
    return policy


def customer_policies(db: Connection, account: str, path_prefix: str | None = None) -> list[ManagedPolicy]:
    """The account's policies by name, their versions read in one statement (not one per policy)."""
    query = select(iam_policies).where(iam_policies.c.account_id == account)
    if path_prefix:
        query = query.where(iam_policies.c.path.startswith(path_prefix, autoescape=True))
    versions: dict[str, list[Row[Any]]] = defaultdict(list)
    for version in db.execute(select(iam_policy_versions).join(
            iam_policies, iam_policies.c.id == iam_policy_versions.c.policy_id).where(
            iam_policies.c.account_id == account)):
        versions[version.policy_id].append(version)
    return [_policy(row, versions[row.id]) for row in db.execute(query.order_by(iam_policies.c.name_key))]


def all_policies(db: Connection, account: str, scope: str = "All", path_prefix: str | None = None
                 ) -> list[ManagedPolicy]:
    found: list[ManagedPolicy] = []
    if scope in ("All", "AWS"):
        found += [policy for policy in sorted(aws_managed_policies().values(), key=lambda p: p.name.lower())
                  if not path_prefix or policy.path.startswith(path_prefix)]
    if scope in ("All", "Local"):
        found += customer_policies(db, account, path_prefix)
    return found


@dataclass(frozen=True, slots=True)
class Usage:
    """How many users, groups and roles a managed policy is attached to, and how many users and roles it bounds."""

    attachments: int = 0
    boundaries: int = 0


def usage_in(db: Connection, account: str, arn: str | None = None) -> dict[str, Usage]:
    """The usage of every managed policy the account uses (or of the one ``arn`` names), by ARN, in three
    statements however many policies there are."""
    attachments = select(iam_attachments.c.policy_arn, func.count()).where(iam_attachments.c.account_id == account)
    if arn is not None:
        attachments = attachments.where(iam_attachments.c.policy_arn == arn)
    attached = dict(db.execute(attachments.group_by(iam_attachments.c.policy_arn)).tuples().all())
    bounding: Counter[str] = Counter()
    for table in (iam_users, iam_roles):
        bounded = table.c.boundary_arn.is_not(None) if arn is None else table.c.boundary_arn == arn
        for name, count in db.execute(select(table.c.boundary_arn, func.count()).where(
                table.c.account_id == account, bounded).group_by(table.c.boundary_arn)):
            bounding[name] += count
    return {name: Usage(attached.get(name, 0), bounding[name]) for name in attached.keys() | bounding.keys()}


def usage_of(db: Connection, account: str, arn: str) -> Usage:
    return usage_in(db, account, arn).get(arn, Usage())


def policy_shape(db: Connection, account: str, policy: ManagedPolicy, detailed: bool = False,
                 usage: Usage | None = None) -> dict[str, Any]:
    """The policy as IAM shows it; ``usage`` (from usage_in) saves counting its attachments and boundaries."""
    if usage is None:
        usage = usage_of(db, account, policy.arn)
    shape: dict[str, Any] = {
        "PolicyName": policy.name, "PolicyId": policy.policy_id, "Arn": policy.arn, "Path": policy.path,
        "DefaultVersionId": policy.default_version, "AttachmentCount": usage.attachments,
        "PermissionsBoundaryUsageCount": usage.boundaries, "IsAttachable": True,
        "CreateDate": policy.created_at, "UpdateDate": policy.updated_at,
    }
    if detailed and policy.description:
        shape["Description"] = policy.description
    if detailed and not policy.aws_managed:
        tags = tags_of(db, "policy", policy.policy_id)
        if tags:
            shape["Tags"] = tags
    return shape


def version_shape(policy: ManagedPolicy, version: Version, with_document: bool) -> dict[str, Any]:
    shape: dict[str, Any] = {"VersionId": version.version_id,
                             "IsDefaultVersion": version.version_id == policy.default_version,
                             "CreateDate": version.created_at}
    if with_document:
        shape["Document"] = wire(version.document)
    return shape
