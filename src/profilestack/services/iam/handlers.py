"""AWS IAM: importing this module registers every implemented operation."""

from profilestack.services.iam import (  # noqa: F401
    access_keys,
    access_reports,
    account,
    account_settings,
    attachments,
    credential_report,
    groups,
    inline,
    instance_profiles,
    mfa,
    oidc_providers,
    organizations,
    outbound_federation,
    passwords,
    policies,
    roles,
    saml_providers,
    server_certificates,
    service_access,
    service_credentials,
    service_linked_roles,
    signing_certificates,
    simulation,
    ssh_keys,
    tagging,
    users,
)
from profilestack.services.iam.service import iam

__all__ = ["iam"]
