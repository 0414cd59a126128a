"""The authorization step of the pipeline, and AWS's wording for a denial."""

from __future__ import annotations

from typing import Protocol

from profilestack.gateway.errors import AwsError
from profilestack.identity.principal import Principal


class Authorizer(Protocol):
    def authorize(self, principal: Principal, action: str, resources: list[str], region: str) -> None:
        """Return if allowed; raise ``AccessDenied`` otherwise."""
        ...


class AccessDenied(AwsError):
    """Rendered with each service's own access-denied code by the pipeline."""

    def __init__(self, principal: Principal, action: str, resource: str | None, reason: str) -> None:
        on = f" on resource: {resource}" if resource else ""
        super().__init__(
            "AccessDenied",
            f"User: {principal.arn} is not authorized to perform: {action}{on} {reason}",
            403,
        )


def no_identity_policy(action: str) -> str:
    return f"because no identity-based policy allows the {action} action"


class RootOnlyAuthorizer:
    """Until IAM entities exist, the only principals are account roots: allowed in their own account."""

    def authorize(self, principal: Principal, action: str, resources: list[str], region: str) -> None:
        if principal.is_root and all(_in_account(arn, principal.account) for arn in resources):
            return
        raise AccessDenied(principal, action, resources[0] if resources else None, no_identity_policy(action))


def _in_account(arn: str, account: str) -> bool:
    parts = arn.split(":", 5)
    return len(parts) < 5 or parts[4] in ("", account, "aws")
