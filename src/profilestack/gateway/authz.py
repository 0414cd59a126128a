"""The authorization step of the pipeline: the request context from data, the engine's decision, AWS's wording.

Condition keys come from the caller (``aws:PrincipalArn``, ``aws:PrincipalTag/…``), the
request (``aws:RequestedRegion``, ``aws:SourceIp``, ``aws:RequestTag/…``, and service keys
such as ``iam:AWSServiceName`` or ``cloudwatch:namespace``, read from the parameter of the
same name) and the resource (``aws:ResourceTag/…``, asked of the store only when a policy
tests it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from profilestack.gateway.errors import AwsError
from profilestack.iam_policy.context import RequestContext
from profilestack.iam_policy.engine import Caller, Decision, Policy, PolicySet, account_of, evaluate, owning_account
from profilestack.identity.principal import (
    ASSUMED_ROLE,
    AWS_SERVICE,
    FEDERATED_USER,
    IAM_USER,
    ROOT,
    SAML_USER,
    WEB_IDENTITY_USER,
    Principal,
)
from profilestack.runtime import Clock

# Actions AWS answers without any permission, even under an explicit deny.
UNCONDITIONAL_ACTIONS = frozenset({"sts:getcalleridentity", "sts:getsessiontoken", "sts:getscopedcredentials"})
# What credentials from GetSessionToken may call: IAM only when they were obtained with an MFA code, and of STS only
# these (GetSessionToken itself answers that session credentials cannot call it).
_SESSION_TOKEN_STS = frozenset({"sts:assumerole", "sts:getcalleridentity", "sts:getsessiontoken",
                                "sts:getscopedcredentials"})
_FEDERATED_USER_STS = frozenset({"sts:getcalleridentity", "sts:getscopedcredentials"})
_PRINCIPAL_TYPES = {ROOT: "Account", IAM_USER: "User", ASSUMED_ROLE: "AssumedRole", AWS_SERVICE: "AWSService",
                    FEDERATED_USER: "FederatedUser", WEB_IDENTITY_USER: "WebIdentityUser", SAML_USER: "SAMLUser"}


class AccessDenied(AwsError):
    """Rendered with each service's own access-denied code by the pipeline."""

    def __init__(self, principal: Principal, action: str, resource: str | None, reason: str) -> None:
        on = f" on resource: {resource}" if resource and resource != "*" else ""
        if principal.kind in (WEB_IDENTITY_USER, SAML_USER):  # STS names no user to the bearer of a token
            message = f"Not authorized to perform {action}"
        else:
            message = f"User: {principal.arn} is not authorized to perform: {action}{on} {reason}"
        super().__init__("AccessDenied", message, 403)
        # refused by the resource's own policy (a role's trust policy), rather than by the caller's side
        self.by_resource_policy = "resource-based policy" in reason


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    principal: Principal
    action: str  # prefix:Operation
    resources: list[str]  # ARNs; empty for actions without a resource type ("*")
    region: str
    params: dict[str, Any]
    source_ip: str | None = None
    # over TLS: aws:SecureTransport. None for calls that did not come over the wire: a service's own are (AWS's
    # services call each other over TLS), anyone else's not.
    secure: bool | None = None


class PolicyStore(Protocol):
    def policies_for(self, principal: Principal) -> PolicySet: ...

    def resource_policy(self, action: str, arn: str) -> Policy | None: ...

    def resource_tags(self, arn: str) -> dict[str, str] | None: ...


class Authorizer(Protocol):
    def authorize(self, request: AuthorizationRequest) -> None:
        """Return if allowed; raise ``AccessDenied`` otherwise."""
        ...


def caller_of(principal: Principal) -> Caller:
    service = principal.arn if principal.kind == AWS_SERVICE else None
    return Caller(principal.account, principal.arn, principal.role_arn, service, principal.is_root,
                  principal.identity_provider)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return str(value)


def _request_tags(params: dict[str, Any]) -> dict[str, str]:
    tags = params.get("Tags") or params.get("tags")
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    if isinstance(tags, list):
        return {tag["Key"]: tag.get("Value", "") for tag in tags if isinstance(tag, dict) and "Key" in tag}
    return {}


def _tag_lookup(tags: dict[str, str] | None, key: str) -> list[str] | None:
    if not tags:
        return None
    name = key.split("/", 1)[1]
    for tag, value in tags.items():
        if tag.lower() == name:
            return [value]
    return None


def _over_tls(request: AuthorizationRequest) -> bool:
    """Whether the call came over TLS; one that did not come over the wire is a service's own (over TLS, as AWS's
    services call each other) or someone's made in process (not)."""
    return request.principal.invoked_by is not None if request.secure is None else request.secure


def base_context(request: AuthorizationRequest) -> dict[str, list[str]]:
    """The request's global condition keys, but the clock's (``clock_keys``: formatted only when a policy asks)."""
    principal = request.principal
    values: dict[str, list[str]] = {
        "aws:principalarn": [principal.role_arn or principal.arn],
        "aws:principalaccount": [principal.account],
        "aws:principaltype": [_PRINCIPAL_TYPES.get(principal.kind, principal.kind)],
        "aws:userid": [principal.principal_id],
        "aws:requestedregion": [request.region],
        "aws:securetransport": ["true" if _over_tls(request) else "false"],
        "aws:viaawsservice": ["true" if principal.invoked_by is not None else "false"],
        "aws:principalisawsservice": ["true" if principal.kind == AWS_SERVICE else "false"],
    }
    if principal.kind == IAM_USER and principal.name:
        values["aws:username"] = [principal.name]
    if principal.mfa_at is not None:  # temporary credentials from an MFA code, or a call carrying one
        values["aws:multifactorauthpresent"] = ["true"]
    elif principal.session_token or principal.kind in (ASSUMED_ROLE, FEDERATED_USER):  # absent for long-term keys
        values["aws:multifactorauthpresent"] = ["false"]
    if request.source_ip:
        values["aws:sourceip"] = [request.source_ip]
    if principal.issued_at is not None:
        values["aws:tokenissuetime"] = [_text(principal.issued_at)]
    if principal.source_identity:
        values["aws:sourceidentity"] = [principal.source_identity]
    if principal.kind == AWS_SERVICE:  # the account (and resource) the service acts for: confused-deputy checks
        values["aws:sourceaccount"] = [principal.account]
        if principal.source_arn:
            values["aws:sourcearn"] = [principal.source_arn]
    if principal.invoked_by:
        values["aws:calledvia"] = [principal.invoked_by]
        values["aws:calledviafirst"] = values["aws:calledvialast"] = [principal.invoked_by]
    for key, value in principal.tags.items():
        values[f"aws:principaltag/{key.lower()}"] = [value]
    if principal.identity_provider:
        values["aws:federatedprovider"] = [principal.identity_provider]
        for key, claimed in principal.provider_claims.items():
            values[key.lower()] = claimed
    tags = _request_tags(request.params)
    if tags:
        values["aws:tagkeys"] = list(tags)
        for key, value in tags.items():
            values[f"aws:requesttag/{key.lower()}"] = [value]
    return values


def clock_keys(now: datetime, mfa_at: datetime | None = None):
    """``aws:CurrentTime``, ``aws:EpochTime`` and ``aws:MultiFactorAuthAge``, for the few policies that test them."""

    def provide(key: str) -> list[str] | None:
        if key == "aws:currenttime":
            return [_text(now)]
        if key == "aws:epochtime":
            return [str(int(now.timestamp()))]
        if key == "aws:multifactorauthage" and mfa_at is not None:
            return [str(int((now - mfa_at).total_seconds()))]
        return None

    return provide


def _parameter_provider(params: dict[str, Any]):
    """Service condition keys (``iam:AWSServiceName``) take the value of the parameter of the same name."""

    def provide(key: str) -> list[str] | None:
        wanted = key.split(":", 1)[1]
        value = next((value for name, value in params.items() if name.lower() == wanted), None)
        if value is None or isinstance(value, dict):
            return None
        if isinstance(value, list):
            return [_text(item) for item in value if not isinstance(item, dict | list)]
        return [_text(value)]

    return provide


def _service_creating_its_own_role(principal: Principal, request: AuthorizationRequest) -> bool:
    """An AWS service may always create its own service-linked role (how roles "appear" in an account)."""
    return (principal.kind == AWS_SERVICE and request.action == "iam:CreateServiceLinkedRole"
            and request.params.get("AWSServiceName") == principal.arn)


def _allowed_without_policies(request: AuthorizationRequest, root_allowed: bool,
                              holds_policy: Callable[[str], bool]) -> bool:
    """Unconditional actions, the account's root on its own account's resources (unless the simulator is asked
    about given policies, or a resource holds a policy of its own, which may deny even the root), and a service
    creating its own role."""
    principal = request.principal
    return (request.action.lower() in UNCONDITIONAL_ACTIONS
            or (root_allowed and principal.is_root and not principal.scope_policies
                and all(account_of(arn) in ("", "aws", principal.account) and not holds_policy(arn)
                        for arn in request.resources))
            or _service_creating_its_own_role(principal, request))


def _refuse_to_session_token(request: AuthorizationRequest) -> None:
    action = request.action.lower()
    without_mfa = request.principal.mfa_at is None
    if (action.startswith("iam:") and without_mfa) or (action.startswith("sts:") and action not in _SESSION_TOKEN_STS):
        raise AccessDenied(request.principal, request.action, (request.resources or [None])[0],
                           "because credentials from GetSessionToken without MFA authentication cannot call "
                           f"{request.action}")


def _refuse_to_federated_user(request: AuthorizationRequest) -> None:
    action = request.action.lower()
    if action.startswith("iam:") or (action.startswith("sts:") and action not in _FEDERATED_USER_STS):
        raise AccessDenied(request.principal, request.action, (request.resources or [None])[0],
                           f"because federated users cannot call {request.action}")


class PolicyAuthorizer:
    def __init__(self, store: PolicyStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def authorize(self, request: AuthorizationRequest) -> None:
        if request.principal.session_token:
            _refuse_to_session_token(request)
        elif request.principal.kind == FEDERATED_USER:
            _refuse_to_federated_user(request)
        if _allowed_without_policies(request, True, self._holds_policy(request)):  # no decisions to make
            return
        for decision in self._evaluated(request):
            if not decision.allowed:
                raise AccessDenied(request.principal, request.action, decision.resource, decision.reason)

    def decide(self, request: AuthorizationRequest, policies: PolicySet | None = None,
               context: dict[str, list[str]] | None = None, resource_policy: Policy | None = None,
               resource_owner: str | None = None) -> list[Decision]:
        """One decision per resource; the simulator passes its own policies, context and resource policy, and the
        account owning resources whose ARNs name none."""
        if _allowed_without_policies(request, policies is None, self._holds_policy(request)):
            return [Decision("allowed", request.action, arn) for arn in request.resources or ["*"]]
        return self._evaluated(request, policies, context, resource_policy, resource_owner)

    def _holds_policy(self, request: AuthorizationRequest) -> Callable[[str], bool]:
        """Whether a resource holds a resource-based policy of its own for the action (a role's trust policy is
        not one: STS refuses the root's AssumeRole itself)."""

        def holds(arn: str) -> bool:
            policy = self.store.resource_policy(request.action, arn)
            return policy is not None and policy.source_type == "resource"

        return holds

    def _evaluated(self, request: AuthorizationRequest, policies: PolicySet | None = None,
                   context: dict[str, list[str]] | None = None, resource_policy: Policy | None = None,
                   resource_owner: str | None = None) -> list[Decision]:
        """The engine's decision for each resource, for a call ``_allowed_without_policies`` did not settle."""
        principal = request.principal
        resources = request.resources or ["*"]
        policies = policies if policies is not None else self.store.policies_for(principal)
        base = context if context is not None else base_context(request)
        # the simulator's context is all it knows: keys it lacks are reported missing, not read from the clock
        clock = [("aws:", clock_keys(self.clock.now(), principal.mfa_at))] if context is None else []
        caller = caller_of(principal)
        service_prefix = request.action.split(":", 1)[0].lower()
        decisions = []
        for arn in resources:
            def resource_tags(key: str, arn: str = arn) -> list[str] | None:
                return _tag_lookup(self.store.resource_tags(arn), key)

            lazy = [("aws:resourcetag/", resource_tags), (f"{service_prefix}:resourcetag/", resource_tags),
                    (f"{service_prefix}:", _parameter_provider(request.params)), *clock]
            values = dict(base)
            owner = owning_account(arn) if context is None else None  # the simulator's context is its own
            if owner is not None:
                values["aws:resourceaccount"] = [owner]
            decisions.append(evaluate(policies, caller, request.action, arn, RequestContext(values, lazy),
                                      resource_policy or self.store.resource_policy(request.action, arn),
                                      resource_owner))
        return decisions
