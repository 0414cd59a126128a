"""The services that own service-linked roles: one entry per service principal.

Adding a service is one ``register`` call: its role-name prefix, whether callers may add a
suffix, the managed policy the role carries, the default description, and how to ask the
service whether a role is still in use (for deletion tasks).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection

# (account, role name) → [(region, [ARNs of the resources still using the role])]
UsageReport = Callable[[Connection, str, str], list[tuple[str, list[str]]]]


@dataclass(frozen=True, slots=True)
class LinkedService:
    principal: str  # e.g. profile.amazonaws.com
    role_prefix: str  # e.g. AWSServiceRoleForProfile
    suffix_allowed: bool
    policy_arn: str
    description: str | None = None
    usage: UsageReport | None = None  # None: the service never reports the role as in use

    def role_name(self, suffix: str | None) -> str:
        return f"{self.role_prefix}_{suffix}" if suffix else self.role_prefix

    @property
    def path(self) -> str:
        return f"/aws-service-role/{self.principal}/"


_REGISTRY: dict[str, LinkedService] = {}


def register(service: LinkedService) -> None:
    _REGISTRY[service.principal] = service


def linked_service(principal: str) -> LinkedService | None:
    return _REGISTRY.get(principal)


register(LinkedService("connect.amazonaws.com", "AWSServiceRoleForAmazonConnect", True,
                       "arn:aws:iam::aws:policy/aws-service-role/AmazonConnectServiceLinkedRolePolicy"))
