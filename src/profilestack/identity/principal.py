"""Who is calling: the result of authentication, and the subject of authorization."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

ROOT = "Root"
IAM_USER = "IAMUser"
ASSUMED_ROLE = "AssumedRole"
AWS_SERVICE = "AWSService"
FEDERATED_USER = "FederatedUser"
WEB_IDENTITY_USER = "WebIdentityUser"  # the bearer of an OIDC ID token, while it asks to assume a role
SAML_USER = "SAMLUser"  # the bearer of a SAML assertion, likewise
ANONYMOUS = "Anonymous"  # an unsigned call, before what it carries vouches for it


@dataclass(frozen=True, slots=True)
class Principal:
    kind: str  # CloudTrail userIdentity.type: Root, IAMUser, AssumedRole, FederatedUser, AWSService, …
    account: str
    arn: str
    principal_id: str  # CloudTrail principalId / GetCallerIdentity UserId
    name: str | None = None  # user name, or the role session name
    access_key: str | None = None
    invoked_by: str | None = None  # the AWS service acting through this principal, if any
    tags: dict[str, str] = field(default_factory=dict)  # aws:PrincipalTag: user tags, or role + session tags
    entity_id: str | None = None  # the IAM user's or role's id (a federated user's: the user who federated it)
    role_arn: str | None = None  # for a role session: the role it was assumed from
    session_token: bool = False  # temporary credentials of a user (or the root) from sts:GetSessionToken
    mfa_at: datetime | None = None  # when an MFA code was checked for these (temporary) credentials
    identity_provider: str | None = None  # a token bearer's OIDC or SAML provider ARN (a trust policy's Federated)
    provider_claims: dict[str, list[str]] = field(default_factory=dict)  # its token's condition keys ("<url>:sub")
    issued_at: datetime | None = None  # temporary credentials: when STS issued them (aws:TokenIssueTime)
    # GetScopedCredentials: the scope-down policies (each must allow too) and the credentials they narrow
    scope_policies: tuple[str, ...] = ()
    scoped_from: str | None = None
    # an AWS service acting for one of the account's resources (a domain): aws:SourceArn, aws:SourceAccount
    source_arn: str | None = None
    source_identity: str | None = None  # a role session's source identity (aws:SourceIdentity), kept when chained
    # a federated user's: the user (or root) who federated it, as CloudTrail's sessionContext.sessionIssuer shows it
    session_issuer: dict[str, str] | None = None

    @property
    def is_root(self) -> bool:
        return self.kind == ROOT


def root_principal(account: str, access_key: str | None = None) -> Principal:
    return Principal(ROOT, account, f"arn:aws:iam::{account}:root", account, None, access_key)


def service_principal(service: str, account: str, source_arn: str | None = None) -> Principal:
    """An AWS service (``profile.amazonaws.com``) acting for ``account``, and for that resource of it when given
    (``aws:SourceArn``)."""
    return Principal(AWS_SERVICE, account, service, service, invoked_by=service, source_arn=source_arn)


def anonymous_principal() -> Principal:
    """The caller of an unsigned request to an operation that takes none (AssumeRoleWithWebIdentity)."""
    return Principal(ANONYMOUS, "", "anonymous", "anonymous")
