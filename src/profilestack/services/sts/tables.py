"""Temporary credentials issued by STS, valid until ``expires_at``: role sessions (AssumeRole), session tokens
(GetSessionToken), federated users (GetFederationToken) and scoped-down credentials (GetScopedCredentials)."""

from sqlalchemy import JSON, Column, Index, String, Table, Text

from profilestack.store.metadata import metadata
from profilestack.store.types import UtcDateTime


def _credentials(name: str, *columns: Column) -> Table:
    """The key, secret and token every kind of temporary credentials has, when an MFA code was checked for them (if
    one was), and their lifetime."""
    return Table(
        name, metadata,
        Column("access_key_id", String(128), primary_key=True),
        Column("account_id", String(12), nullable=False),
        Column("secret", String(128), nullable=False),
        Column("session_token", Text, nullable=False),
        *columns,
        Column("mfa_at", UtcDateTime),
        Column("created_at", UtcDateTime, nullable=False),
        Column("expires_at", UtcDateTime, nullable=False),
        Index(f"ix_{name}_expiry", "expires_at"),
    )


sts_sessions = _credentials(
    "sts_sessions",
    Column("role_id", String(128), nullable=False),
    Column("role_arn", String(2048), nullable=False),
    Column("session_name", String(64), nullable=False),
    Column("session_policy", Text),
    Column("policy_arns", JSON, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("transitive_tag_keys", JSON),  # of ``tags``, those passed on to the sessions this one assumes
    Column("source_identity", String(64)),
    Column("invoked_by", String(256)),  # the AWS service a service-linked role session acts for
)

# GetSessionToken's credentials: the calling IAM user's (or, user_id None, the account root's) permissions
sts_session_tokens = _credentials("sts_session_tokens", Column("user_id", String(128)))

# GetFederationToken's credentials: a federated user acting with the calling IAM user's (or, user_id None, the
# root's) permissions narrowed by the session policies
sts_federation_tokens = _credentials(
    "sts_federation_tokens",
    Column("user_id", String(128)),
    Column("federated_name", String(32), nullable=False),
    Column("session_policy", Text),
    Column("policy_arns", JSON, nullable=False),
    Column("tags", JSON, nullable=False),
)

# GetScopedCredentials' credentials: the temporary credentials ``base_access_key_id`` names (whose identity and
# permissions they keep, and without which they stop working), narrowed by ``scope_policies`` (each must allow)
sts_scoped_credentials = _credentials(
    "sts_scoped_credentials",
    Column("base_access_key_id", String(128), nullable=False),
    Column("scope_policies", JSON, nullable=False),
    Column("description", String(256)),
)
