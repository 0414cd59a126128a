"""SimulatePrincipalPolicy and SimulateCustomPolicy: the same engine and request context as enforcement."""

from __future__ import annotations

import json
from typing import Any

from profilestack.gateway.authz import AuthorizationRequest
from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.iam_policy.document import PolicyKind
from profilestack.iam_policy.engine import Decision, Policy, PolicySet, account_of
from profilestack.identity.principal import ASSUMED_ROLE, IAM_USER, Principal
from profilestack.services.iam import entities
from profilestack.services.iam.authorization import held_policies, role_policy_set, user_policy_set
from profilestack.services.iam.documents import validated
from profilestack.services.iam.paging import page
from profilestack.services.iam.policy_exclusions import Exclusions, exclusions
from profilestack.services.iam.service import iam

_KINDS = {"user": entities.USER, "group": entities.GROUP, "role": entities.ROLE}


def _inputs(texts: list[str] | None, list_name: str) -> list[Policy]:
    return [Policy(f"{list_name}.{index}", "none", validated(text)) for index, text in enumerate(texts or [], 1)]


def _context(entries: list[dict[str, Any]] | None) -> dict[str, list[str]]:
    if any(not entry.get("ContextKeyName") for entry in entries or []):  # the model requires none of its members
        raise AwsError("InvalidInput", "Each ContextEntries item needs a ContextKeyName: the key it gives values "
                                       "for.", 400)
    return {entry["ContextKeyName"].lower(): list(entry.get("ContextKeyValues") or []) for entry in entries or []}


def _source(ctx: CallContext, arn: str) -> tuple[entities.EntityKind, Any]:
    parts = arn.split(":", 5)
    kind_name, _, rest = parts[5].partition("/") if len(parts) == 6 else ("", "", "")
    kind = _KINDS.get(kind_name)
    if kind is None or parts[4] != ctx.account:
        raise AwsError("InvalidInput", f"Invalid ARN: {arn}", 400)
    return kind, entities.require(ctx.db, kind, ctx.account, rest.rsplit("/", 1)[-1])


def _resource_owner(text: str | None) -> str | None:
    """ResourceOwner's account: given as an account id or as an ARN naming it (``arn:aws:iam::111122223333:root``).
    It owns the simulated resources whose ARNs name no account (S3's) and the simulated resource policy."""
    if text is None:
        return None
    account = account_of(text) if text.startswith("arn:") else text
    if not (len(account) == 12 and account.isascii() and account.isdigit()):
        raise AwsError("InvalidInput", f"Invalid ResourceOwner: {text} names no account.", 400)
    return account


def _statement_shape(match) -> dict[str, Any]:
    statement = match.statement
    return {"SourcePolicyId": match.policy.policy_id, "SourcePolicyType": match.policy.source_type,
            "StartPosition": {"Line": statement.start[0], "Column": statement.start[1]},
            "EndPosition": {"Line": statement.end[0], "Column": statement.end[1]}}


def _result(decision: Decision) -> dict[str, Any]:
    result: dict[str, Any] = {
        "EvalActionName": decision.action, "EvalResourceName": decision.resource,
        "EvalDecision": decision.decision, "MatchedStatements": [_statement_shape(m) for m in decision.matched],
        "MissingContextValues": sorted(decision.missing_context),
    }
    if decision.boundary_allows is not None:
        result["PermissionsBoundaryDecisionDetail"] = {"AllowedByPermissionsBoundary": decision.boundary_allows}
    if decision.organizations_allow is not None:
        result["OrganizationsDecisionDetail"] = {"AllowedByOrganizations": decision.organizations_allow}
    return result


def _organization(levels: list[dict[str, Any]] | None) -> tuple[list[Policy], ...]:
    """OrderedOrganizationPolicyInputList: the service control policies of each level, from the organization's
    root to the account (at most seven levels, as the model says)."""
    return tuple(_inputs(level.get("ServiceControlPolicyInputList"),
                         f"OrderedOrganizationPolicyInputList.{number}.ServiceControlPolicyInputList")
                 for number, level in enumerate(levels or [], 1))


def _simulate(ctx: CallContext, params: dict[str, Any], principal: Principal, policies: PolicySet) -> dict[str, Any]:
    boundaries = _inputs(params.get("PermissionsBoundaryPolicyInputList"), "PermissionsBoundaryPolicyInputList")
    if boundaries:
        policies = PolicySet(policies.identity, boundaries[0], policies.session, organization=policies.organization)
    resource_policy = None
    if params.get("ResourcePolicy"):
        resource_policy = Policy("ResourcePolicy", "resource", validated(params["ResourcePolicy"],
                                                                          PolicyKind.RESOURCE))
    context = _context(params.get("ContextEntries"))
    owner = _resource_owner(params.get("ResourceOwner"))
    authorizer = ctx.app.authorizer
    results = []
    for action in params["ActionNames"]:
        request = AuthorizationRequest(principal, action, list(params.get("ResourceArns") or ["*"]), ctx.region, {})
        for decision in authorizer.decide(request, policies, context, resource_policy, owner):
            results.append(_result(decision))
    return page(results, params, "EvaluationResults")


def _principal_policies(ctx: CallContext, kind: entities.EntityKind, row: Any, inputs: list[str] | None,
                        excluded: Exclusions | None = None) -> PolicySet:
    """A user's (with its groups'), group's or role's policies but those ``excluded``, and the ones given with the
    request."""
    excluded = excluded or exclusions(None)
    if kind is entities.USER:
        policies = user_policy_set(ctx.db, ctx.account, row.id, excluded.keep)
    elif kind is entities.ROLE:
        policies = role_policy_set(ctx.db, ctx.account, row.id, None, excluded.keep)
    else:
        policies = PolicySet(held_policies(ctx.db, ctx.account, kind, row, excluded.keep))
    return PolicySet(policies.identity + _inputs(inputs, "PolicyInputList"),
                     None if excluded.boundary else policies.boundary)


@iam.operation("SimulatePrincipalPolicy")
def simulate_principal_policy(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    kind, row = _source(ctx, params["PolicySourceArn"])
    policies = _principal_policies(ctx, kind, row, params.get("PolicyInputList"),
                                   exclusions(params.get("PolicyExclusionList")))
    caller = params.get("CallerArn") or row.arn
    principal = Principal(ASSUMED_ROLE if kind is entities.ROLE else IAM_USER, ctx.account, caller, row.id, row.name,
                          entity_id=row.id, role_arn=row.arn if kind is entities.ROLE else None)
    return _simulate(ctx, params, principal, policies)


@iam.operation("SimulateCustomPolicy")
def simulate_custom_policy(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    policies = PolicySet(_inputs(params["PolicyInputList"], "PolicyInputList"),
                         organization=_organization(params.get("OrderedOrganizationPolicyInputList")))
    caller = params.get("CallerArn") or f"arn:aws:iam::{ctx.account}:user/SimulatedUser"
    principal = Principal(IAM_USER, ctx.account, caller, "SimulatedUser", caller.rsplit("/", 1)[-1])
    return _simulate(ctx, params, principal, policies)


def _context_keys(policies: list[Policy]) -> dict[str, Any]:
    """The condition keys the policies test, as written (the first spelling of each; keys ignore case)."""
    keys: dict[str, str] = {}
    for policy in policies:
        raw = json.loads(policy.document.text)
        statements = raw["Statement"] if isinstance(raw["Statement"], list) else [raw["Statement"]]
        for statement in statements:
            for block in (statement.get("Condition") or {}).values():
                for key in block:
                    keys.setdefault(key.lower(), key)
    return {"ContextKeyNames": sorted(keys.values(), key=str.lower)}


@iam.operation("GetContextKeysForCustomPolicy")
def get_context_keys_for_custom_policy(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return _context_keys(_inputs(params["PolicyInputList"], "PolicyInputList"))


@iam.operation("GetContextKeysForPrincipalPolicy")
def get_context_keys_for_principal_policy(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """The keys of the entity's own policies (a user's groups' included) and of those given with the request."""
    kind, row = _source(ctx, params["PolicySourceArn"])
    return _context_keys(_principal_policies(ctx, kind, row, params.get("PolicyInputList")).identity)
