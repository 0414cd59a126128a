"""Temporary credentials issued by STS, valid until ``expires_at``: role sessions (AssumeRole) and session tokens
(GetSessionToken)."""

from sqlalchemy import JSON, Column, Index, String, Table, Text

from profilestack.store.metadata import metadata
from profilestack.store.types import UtcDateTime

sts_sessions = Table(
    "sts_sessions", metadata,
    Column("access_key_id", String(128), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("secret", String(128), nullable=False),
    Column("session_token", Text, nullable=False),
    Column("role_id", String(128), nullable=False),
    Column("role_arn", String(2048), nullable=False),
    Column("session_name", String(64), nullable=False),
    Column("session_policy", Text),
    Column("policy_arns", JSON, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("source_identity", String(64)),
    Column("invoked_by", String(256)),  # the AWS service a service-linked role session acts for
    Column("mfa_at", UtcDateTime),  # when the MFA code given with AssumeRole was checked, if one was
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Index("ix_sts_sessions_expiry", "expires_at"),
)

# GetSessionToken's credentials: the calling IAM user's (or, user_id None, the account root's) permissions
sts_session_tokens = Table(
    "sts_session_tokens", metadata,
    Column("access_key_id", String(128), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("secret", String(128), nullable=False),
    Column("session_token", Text, nullable=False),
    Column("user_id", String(128)),
    Column("mfa_at", UtcDateTime),  # when the MFA code given with GetSessionToken was checked, if one was
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Index("ix_sts_session_tokens_expiry", "expires_at"),
)
