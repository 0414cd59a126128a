"""IAM's features for AWS Organizations (centralized root access for member accounts, organization-level
resources): every account here stands alone, in no organization, and is answered as AWS answers such an account."""

from __future__ import annotations

from typing import Any

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.services.iam.service import iam

_ORGANIZATION_FEATURES = ("ListOrganizationsFeatures", "EnableOrganizationsRootCredentialsManagement",
                            "DisableOrganizationsRootCredentialsManagement", "EnableOrganizationsRootSessions",
                            "DisableOrganizationsRootSessions", "EnableOrganizationLevelResources",
                            "DisableOrganizationLevelResources")


def _in_no_organization(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    raise AwsError("OrganizationNotFoundException",
                   "The request was rejected because no organization is associated with your account.", 400)


for _name in _ORGANIZATION_FEATURES:
    iam.operation(_name)(_in_no_organization)
