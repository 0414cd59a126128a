"""CloudTrail's delegated administrators of an organization: every account here stands alone, in no organization
(there is no AWS Organizations), and is answered as CloudTrail answers such an account."""

from __future__ import annotations

from typing import Any

from profilestack.gateway.context import CallContext
from profilestack.services.cloudtrail.errors import in_no_organization
from profilestack.services.cloudtrail.handlers import cloudtrail


def _in_no_organization(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    raise in_no_organization()


for _name in ("RegisterOrganizationDelegatedAdmin", "DeregisterOrganizationDelegatedAdmin"):
    cloudtrail.operation(_name)(_in_no_organization)
