"""IAM's features for AWS Organizations (centralized root access for member accounts): every account here stands
alone, in no organization, and is answered as AWS answers such an account."""

from __future__ import annotations

from typing import Any

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.services.iam.service import iam

_CENTRALIZED_ROOT_ACCESS = ("ListOrganizationsFeatures", "EnableOrganizationsRootCredentialsManagement",
                            "DisableOrganizationsRootCredentialsManagement", "EnableOrganizationsRootSessions",
                            "DisableOrganizationsRootSessions")


def _in_no_organization(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    raise AwsError("OrganizationNotFoundException",
                   "The request was rejected because no organization is associated with your account.", 400)


for _name in _CENTRALIZED_ROOT_ACCESS:
    iam.operation(_name)(_in_no_organization)
