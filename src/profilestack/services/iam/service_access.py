"""ListPoliciesGrantingServiceAccess: which of an identity's policies allow some action of a service.

A policy grants a service when one of its Allow statements matches an action of it (wildcards and NotAction as the
policy engine reads them); conditions and resources are not weighed, as AWS's own report does not weigh them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select

from profilestack.gateway.context import CallContext
from profilestack.iam_policy.actions import action_names
from profilestack.iam_policy.engine import Policy, action_matches
from profilestack.services.iam import entities
from profilestack.services.iam.authorization import entity_policies
from profilestack.services.iam.errors import invalid_input
from profilestack.services.iam.service import iam

_MANAGED = ("aws-managed", "user-managed")


def identity_of(ctx: CallContext, arn: str) -> tuple[entities.EntityKind, Row[Any]]:
    """The user, group or role an ARN names, in the caller's account."""
    parts = arn.split(":", 5)
    is_iam = len(parts) == 6 and parts[:3] == ["arn", "aws", "iam"]
    kind = entities.KIND_NAMED.get(parts[5].split("/", 1)[0]) if is_iam else None
    if kind is None or parts[4] != ctx.account:
        raise invalid_input(f"ARN {arn} is not the ARN of a user, group or role of this account.")
    return kind, entities.require(ctx.db, kind, ctx.account, parts[5].rsplit("/", 1)[-1])


def grants(policy: Policy, namespace: str, actions: list[str]) -> bool:
    return any(statement.effect == "Allow" and any(action_matches(statement, f"{namespace}:{action}")
                                                   for action in actions)
               for statement in policy.document.statements)


@iam.operation("ListPoliciesGrantingServiceAccess")
def list_policies_granting_service_access(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """The identity's inline and managed policies (a user's groups' too) granting each service asked about."""
    kind, row = identity_of(ctx, params["Arn"])
    holders = [(kind, row)]
    if kind is entities.USER:
        groups = entities.GROUP.table
        holders += [(entities.GROUP, group) for group in ctx.db.execute(
            select(groups).where(groups.c.id.in_(entities.group_ids_of(ctx.db, row.id))).order_by(groups.c.name))]
    held = [(holder_kind, holder, policy) for holder_kind, holder in holders
            for policy in entity_policies(ctx.db, ctx.account, holder_kind, holder.id)]
    entries = []
    for namespace in params["ServiceNamespaces"]:
        actions = action_names(namespace)
        if not actions:
            raise invalid_input(f"The service namespace {namespace} is not valid.")
        granting: list[dict[str, str]] = []
        for holder_kind, holder, policy in held:
            if not grants(policy, namespace, actions):
                continue
            if policy.source_type in _MANAGED:
                shown = {"PolicyName": policy.policy_id.rsplit("/", 1)[-1], "PolicyType": "MANAGED",
                         "PolicyArn": policy.policy_id}
            else:
                shown = {"PolicyName": policy.policy_id, "PolicyType": "INLINE",
                         "EntityType": holder_kind.kind.upper(), "EntityName": holder.name}
            if shown not in granting:  # one managed policy attached to a user and one of its groups
                granting.append(shown)
        entries.append({"ServiceNamespace": namespace, "Policies": granting})
    return {"PoliciesGrantingServiceAccess": entries, "IsTruncated": False}
