"""AWS's policy evaluation logic for one request.

Order: an explicit deny anywhere wins; service control policies, when given, must allow at every
level of the organization; then a resource-based policy that names the caller
itself allows within the account; otherwise identity-based policies must allow, and the
permissions boundary and session policies, when present, must allow too. Across accounts
both the caller's side and the resource's policy must allow. The account root is allowed
everything in its own account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from profilestack.iam_policy.conditions import ContextValues, condition_holds
from profilestack.iam_policy.document import PolicyDocument, Statement
from profilestack.iam_policy.variables import has_variables, substitute
from profilestack.iam_policy.wildcards import arn_match, wildcard_regex

ALLOWED, EXPLICIT_DENY, IMPLICIT_DENY = "allowed", "explicitDeny", "implicitDeny"


class Layer:
    """Where a statement comes from, worded as AWS's denial messages name it (plain strings: hashed often)."""

    IDENTITY = "identity-based policy"
    BOUNDARY = "permissions boundary"
    SESSION = "session policy"
    RESOURCE = "resource-based policy"


# GetScopedCredentials' scope-down policies: a layer each, for each must allow; AWS words them as session policies
_SCOPE_LAYERS = tuple(f"scope-down policy {number}" for number in range(1, 9))
# Service control policies (the simulator's OrderedOrganizationPolicyInputList): a layer for each level of an
# organization, from its root through at most five organizational units to the account, each of which must allow
_ORGANIZATION_LAYERS = tuple(f"service control policy at level {number}" for number in range(1, 8))
_WORDING = {**dict.fromkeys(_SCOPE_LAYERS, Layer.SESSION),
            **dict.fromkeys(_ORGANIZATION_LAYERS, "service control policy")}


@dataclass(frozen=True, slots=True)
class Policy:
    policy_id: str  # the simulator's SourcePolicyId: an inline policy's name or a managed policy's ARN
    source_type: str  # user | group | role | aws-managed | user-managed | resource | trust | none
    document: PolicyDocument


@dataclass(frozen=True, slots=True)
class Caller:
    """Who asks, as ``Principal`` elements of trust and resource policies can name it."""

    account: str
    arn: str  # user, role-session or root ARN
    role_arn: str | None = None  # the role behind a session
    service: str | None = None  # an AWS service principal, e.g. profile.amazonaws.com
    is_root: bool = False
    federated: str | None = None  # the OIDC or SAML provider ARN a token bearer's token comes from


@dataclass(slots=True)
class Match:
    layer: str
    policy: Policy
    statement: Statement


@dataclass(slots=True)
class Decision:
    decision: str
    action: str
    resource: str
    matched: list[Match] = field(default_factory=list)
    missing_context: set[str] = field(default_factory=set)
    reason: str = ""
    boundary_allows: bool | None = None
    organizations_allow: bool | None = None  # with service control policies: whether every level allows

    @property
    def allowed(self) -> bool:
        return self.decision == ALLOWED


@lru_cache(maxsize=16384)
def _action_regex(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{wildcard_regex(p, True).pattern})" for p in patterns), re.IGNORECASE)


def action_matches(statement: Statement, action: str) -> bool:
    found = _action_regex(statement.actions).fullmatch(action) is not None
    return found != statement.not_action


def resource_matches(statement: Statement, resource: str, context: ContextValues, variables: bool) -> bool:
    found = False
    for pattern in statement.resources:
        if variables and has_variables(pattern):
            pattern = substitute(pattern, context.get, escape_wildcards=True)
            if pattern is None:
                continue
        if arn_match(pattern, resource):
            found = True
            break
    return found != statement.not_resource


def principal_strength(statement: Statement, caller: Caller) -> str | None:
    """How specifically a statement's Principal names the caller: "caller", "role", "account" or None."""
    principals = statement.principals or {}
    best = None
    for kind, names in principals.items():
        for name in names:
            strength = _name_strength(kind, name, caller)
            if strength == "caller":
                best = strength
                break
            best = best or strength
    if statement.not_principal:
        return None if best else "caller"
    return best


def _name_strength(kind: str, name: str, caller: Caller) -> str | None:
    if kind == "*" or (kind == "AWS" and name == "*"):
        return "caller"
    if kind == "Service":
        return "caller" if caller.service == name else None
    if kind == "Federated":
        return "caller" if caller.federated is not None and caller.federated == name else None
    if kind != "AWS" or caller.service:
        return None
    if name == caller.arn:
        return "caller"
    if caller.role_arn and name == caller.role_arn:
        return "role"
    if name in (caller.account, f"arn:aws:iam::{caller.account}:root"):
        return "caller" if caller.is_root else "account"
    return None


class PolicySet:
    """A principal's policies, with the statements relevant to each action remembered."""

    def __init__(self, identity: list[Policy], boundary: Policy | None = None,
                 session: list[Policy] | None = None, scopes: tuple[Policy, ...] = (),
                 organization: tuple[list[Policy], ...] = ()) -> None:
        self.identity = identity
        self.boundary = boundary
        self.session = session
        self.scopes = scopes
        self.organization = organization  # service control policies, level by level from the root
        self._by_action: dict[str, list[Match]] = {}

    def candidates(self, action: str) -> list[Match]:
        key = action.lower()
        found = self._by_action.get(key)
        if found is None:
            found = [Match(layer, policy, statement)
                     for layer, policies in self._layers()
                     for policy in policies
                     for statement in policy.document.statements
                     if action_matches(statement, action)]
            if len(self._by_action) < 4096:
                self._by_action[key] = found
        return found

    def _layers(self) -> list[tuple[str, list[Policy]]]:
        layers = [(Layer.IDENTITY, self.identity)]
        if self.boundary is not None:
            layers.append((Layer.BOUNDARY, [self.boundary]))
        if self.session is not None:
            layers.append((Layer.SESSION, self.session))
        layers += [(layer, [policy]) for layer, policy in zip(_SCOPE_LAYERS, self.scopes, strict=False)]
        layers += list(zip(_ORGANIZATION_LAYERS, self.organization, strict=False))
        return layers


def _applies(match: Match, resource: str, context: ContextValues, missing: set[str]) -> bool:
    document = match.policy.document
    variables = document.supports_variables
    if not resource_matches(match.statement, resource, context, variables):
        return False
    return all(condition_holds(condition, context, variables, missing) for condition in match.statement.conditions)


def account_of(arn: str) -> str:
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 else ""


def owning_account(arn: str) -> str | None:
    """The account a resource belongs to; None for one of AWS's (a managed policy) or an ARN naming no account
    (an account id is twelve digits)."""
    account = account_of(arn)
    return account if len(account) == 12 and account.isascii() and account.isdigit() else None


def _organizations_allow(policies: PolicySet, applicable: list[Match]) -> bool:
    """Whether the service control policies (there are some) let the request through: none denies it and every
    level allows it."""
    levels = _ORGANIZATION_LAYERS[:len(policies.organization)]
    allowing = {match.layer for match in applicable if match.statement.effect == "Allow"}
    return all(layer in allowing for layer in levels) and not any(
        match.layer in levels for match in applicable if match.statement.effect == "Deny")


def evaluate(policies: PolicySet, caller: Caller, action: str, resource: str, context: ContextValues,
             resource_policy: Policy | None = None, resource_owner: str | None = None) -> Decision:
    """``resource_owner``: the account of a resource whose ARN names none (an S3 object's), when it is known."""
    missing: set[str] = set()
    applicable = [match for match in policies.candidates(action) if _applies(match, resource, context, missing)]
    strength = None
    if resource_policy is not None:
        for statement in resource_policy.document.statements:
            if not action_matches(statement, action):
                continue
            found = principal_strength(statement, caller)
            if found is None:
                continue
            match = Match(Layer.RESOURCE, resource_policy, statement)
            if _applies(match, resource, context, missing):
                applicable.append(match)
                if statement.effect == "Allow" and strength != "caller":
                    strength = found
    decision = Decision(IMPLICIT_DENY, action, resource, missing_context=missing)

    denies = [match for match in applicable if match.statement.effect == "Deny"]
    organization_ok = True  # no service control policies on enforced requests: only the simulator gives some
    if policies.organization:
        organization_ok = decision.organizations_allow = _organizations_allow(policies, applicable)
    if denies:
        decision.decision, decision.matched = EXPLICIT_DENY, denies
        layer = _WORDING.get(denies[0].layer, denies[0].layer)
        decision.reason = f"with an explicit deny in {'an' if layer[0] in 'aeiou' else 'a'} {layer}"
        return decision

    allowing = {match.layer for match in applicable}
    identity_ok = caller.is_root or Layer.IDENTITY in allowing
    boundary_ok = policies.boundary is None or Layer.BOUNDARY in allowing
    session_ok = ((policies.session is None or Layer.SESSION in allowing)
                  and (not policies.scopes
                       or all(layer in allowing for layer in _SCOPE_LAYERS[:len(policies.scopes)])))
    if policies.boundary is not None:
        decision.boundary_allows = boundary_ok
    resource_account = account_of(resource) or resource_owner or ""
    same_account = resource_account in ("", "aws", caller.account) or resource == "*"

    # A resource policy naming the caller itself allows within the account; naming the role behind a session
    # still leaves boundary and session policies in force; naming only the account delegates to identity policies.
    named = same_account and (strength == "caller" or (strength == "role" and boundary_ok and session_ok))
    if resource_policy is not None and resource_policy.source_type == "trust":
        # a role's trust policy must always name the caller (or its account)
        allowed = named or (strength is not None and identity_ok and boundary_ok and session_ok)
    elif same_account:
        allowed = named or (identity_ok and boundary_ok and session_ok)
    else:
        allowed = identity_ok and boundary_ok and session_ok and strength is not None
    if allowed and organization_ok:
        decision.decision = ALLOWED
        decision.matched = applicable
        return decision
    if not organization_ok:
        missing_layer = "service control policy"
    elif (resource_policy is not None and resource_policy.source_type == "trust" and strength is None) \
            or caller.service is not None:  # a service has no identity policies: only a resource's can let it in
        missing_layer = Layer.RESOURCE
    elif not identity_ok:  # across accounts too: the resource's side allowed, the caller's did not
        missing_layer = Layer.IDENTITY
    elif not boundary_ok:
        missing_layer = Layer.BOUNDARY
    elif not session_ok:
        missing_layer = Layer.SESSION
    else:
        missing_layer = Layer.RESOURCE if not same_account else Layer.IDENTITY
    decision.reason = f"because no {missing_layer} allows the {action} action"
    return decision
