"""IAM's state: users, groups, roles, customer managed policies, attachments, inline policies, tags, keys.

Entities are global to an account. Names are unique per account case-insensitively
(``name_key`` holds the lower-cased name).
"""

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from profilestack.store.metadata import metadata
from profilestack.store.types import UtcDateTime


def _entity_columns() -> list[Column]:
    return [
        Column("id", String(128), primary_key=True),
        Column("account_id", String(12), nullable=False),
        Column("name", String(128), nullable=False),
        Column("name_key", String(128), nullable=False),
        Column("path", String(512), nullable=False),
        Column("arn", String(2048), nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
    ]


iam_users = Table(
    "iam_users", metadata, *_entity_columns(),
    Column("boundary_arn", String(2048)),
    UniqueConstraint("account_id", "name_key", name="uq_iam_users_name"),
)

iam_groups = Table(
    "iam_groups", metadata, *_entity_columns(),
    UniqueConstraint("account_id", "name_key", name="uq_iam_groups_name"),
)

iam_roles = Table(
    "iam_roles", metadata, *_entity_columns(),
    Column("boundary_arn", String(2048)),
    Column("trust_policy", Text, nullable=False),
    # the users and roles the trust policy names, as their unique ids when it was saved: {ARN as written: id}
    Column("trust_principals", JSON),
    Column("description", String(1000)),
    Column("max_session_duration", Integer, nullable=False),
    Column("max_signin_session_duration", Integer),  # None: unset, AWS Sign-In's own limit applies
    Column("last_used_at", UtcDateTime),
    Column("last_used_region", String(32)),
    Column("service_principal", String(256)),  # set on service-linked roles
    UniqueConstraint("account_id", "name_key", name="uq_iam_roles_name"),
)

iam_policies = Table(
    "iam_policies", metadata, *_entity_columns(),
    Column("description", String(1000)),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("default_version", String(16), nullable=False),
    Column("version_counter", Integer, nullable=False),
    UniqueConstraint("account_id", "name_key", name="uq_iam_policies_name"),
    Index("ix_iam_policies_arn", "arn", unique=True),
)

iam_policy_versions = Table(
    "iam_policy_versions", metadata,
    Column("policy_id", String(128), ForeignKey("iam_policies.id", ondelete="CASCADE"), primary_key=True),
    Column("version_id", String(16), primary_key=True),
    Column("document", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

iam_group_members = Table(
    "iam_group_members", metadata,
    Column("group_id", String(128), primary_key=True),
    Column("user_id", String(128), primary_key=True),
    Index("ix_iam_group_members_user", "user_id"),
)

# kind: user | group | role
iam_attachments = Table(
    "iam_attachments", metadata,
    Column("kind", String(8), primary_key=True),
    Column("entity_id", String(128), primary_key=True),
    Column("policy_arn", String(2048), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Index("ix_iam_attachments_policy", "account_id", "policy_arn"),
)

iam_inline_policies = Table(
    "iam_inline_policies", metadata,
    Column("kind", String(8), primary_key=True),
    Column("entity_id", String(128), primary_key=True),
    Column("name", String(128), primary_key=True),
    Column("document", Text, nullable=False),
)

# kind: user | role | policy
iam_tags = Table(
    "iam_tags", metadata,
    Column("kind", String(8), primary_key=True),
    Column("entity_id", String(128), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("value", String(256), nullable=False),
)

iam_access_keys = Table(
    "iam_access_keys", metadata,
    Column("access_key_id", String(128), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("user_id", String(128), nullable=False),
    Column("secret", String(128), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime),
    Column("last_used_service", String(64)),
    Column("last_used_region", String(32)),
    Index("ix_iam_access_keys_user", "user_id"),
)

# DeleteServiceLinkedRole tasks: NOT_STARTED → IN_PROGRESS → SUCCEEDED | FAILED (reason: {Reason, RoleUsageList})
iam_slr_deletion_tasks = Table(
    "iam_slr_deletion_tasks", metadata,
    Column("task_id", String(1000), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("role_id", String(128), nullable=False),
    Column("role_name", String(64), nullable=False),
    Column("service_principal", String(256), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", JSON),
    Column("created_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Index("ix_iam_slr_tasks_role", "role_id", "status"),
)

iam_instance_profiles = Table(
    "iam_instance_profiles", metadata, *_entity_columns(),
    Column("role_id", String(128)),  # at most one role per instance profile
    UniqueConstraint("account_id", "name_key", name="uq_iam_instance_profiles_name"),
    Index("ix_iam_instance_profiles_role", "role_id"),
)

# Settings of an account as a whole: its alias (unique across the accounts a server holds, as AWS's are
# worldwide) and its password policy (the UpdateAccountPasswordPolicy request; None: AWS's default rules).
iam_account_settings = Table(
    "iam_account_settings", metadata,
    Column("account_id", String(12), primary_key=True),
    Column("alias", String(63), unique=True),
    Column("password_policy", JSON),
    Column("credential_report", Text),  # the CSV GenerateCredentialReport made last, and when
    Column("credential_report_at", UtcDateTime),
    Column("sts_token_version", String(8)),  # SetSecurityTokenServicePreferences: v1Token (None) or v2Token
)

# A user's console password (never stored as such: a salted scrypt hash), and the hashes it replaced, newest first,
# for PasswordReusePrevention.
iam_login_profiles = Table(
    "iam_login_profiles", metadata,
    Column("user_id", String(128), primary_key=True),
    Column("password_hash", String(256), nullable=False),
    Column("previous_hashes", JSON, nullable=False),
    Column("reset_required", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("changed_at", UtcDateTime),  # when the password was last set (None: not since it was created)
    Column("max_signin_session_duration", Integer),  # None: unset
)

# Virtual MFA devices: the TOTP seed they share with the authenticator app, the user they are enabled for, and the
# time step of the last code accepted (a code is good once).
iam_mfa_devices = Table(
    "iam_mfa_devices", metadata,
    Column("serial_number", String(256), primary_key=True),
    Column("id", String(32), nullable=False, unique=True),  # what its tags are stored under
    Column("account_id", String(12), nullable=False),
    Column("seed", String(64), nullable=False),
    Column("user_id", String(128)),
    Column("enabled_at", UtcDateTime),
    Column("last_step", Integer),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_iam_mfa_devices_user", "user_id"),
)

# OpenID Connect identity providers a role's trust policy can name as Federated principals.
iam_oidc_providers = Table(
    "iam_oidc_providers", metadata,
    Column("arn", String(2048), primary_key=True),
    Column("id", String(32), nullable=False, unique=True),  # what its tags are stored under
    Column("account_id", String(12), nullable=False),
    Column("url", String(255), nullable=False),
    Column("client_ids", JSON, nullable=False),
    Column("thumbprints", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("context_provider", JSON),  # trusted identity propagation
    Column("identity_center_instance_arn", String(1224)),
)

iam_saml_providers = Table(
    "iam_saml_providers", metadata,
    Column("arn", String(2048), primary_key=True),
    Column("id", String(32), nullable=False, unique=True),  # what its tags are stored under
    Column("account_id", String(12), nullable=False),
    Column("name", String(128), nullable=False),
    Column("metadata_document", Text, nullable=False),
    Column("valid_until", UtcDateTime),
    Column("uuid", String(64), nullable=False),
    Column("assertion_encryption_mode", String(16)),
    Column("private_keys", JSON, nullable=False),  # [{KeyId, Timestamp}]: the keys themselves are not kept
    Column("context_provider", JSON),
    Column("identity_center_instance_arn", String(1224)),
    Column("created_at", UtcDateTime, nullable=False),
)

# An IAM user's credentials besides access keys: SSH public keys (kind "ssh"), signing certificates ("signing") and
# service-specific credentials ("service"). Service passwords are not kept: IAM shows them once.
iam_user_credentials = Table(
    "iam_user_credentials", metadata,
    Column("id", String(128), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("account_id", String(12), nullable=False),
    Column("user_id", String(128), nullable=False),
    Column("status", String(16), nullable=False),
    Column("body", Text),  # the SSH public key (OpenSSH form) or the certificate (PEM)
    Column("fingerprint", String(128)),  # what makes two uploads the same key or certificate
    Column("service_name", String(64)),
    Column("expires_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_iam_user_credentials_user", "user_id", "kind"),
    Index("ix_iam_user_credentials_fingerprint", "account_id", "kind", "fingerprint"),
)

iam_server_certificates = Table(  # the private key is checked at upload, not kept
    "iam_server_certificates", metadata,
    Column("id", String(32), primary_key=True),  # ASCA…, what its tags are stored under
    Column("account_id", String(12), nullable=False),
    Column("name", String(128), nullable=False),
    Column("name_key", String(128), nullable=False),  # names are unique per account whatever their case
    Column("path", String(512), nullable=False),
    Column("arn", String(2048), nullable=False),
    Column("body", Text, nullable=False),
    Column("chain", Text),
    Column("expiration", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("account_id", "name_key", name="uq_iam_server_certificates_name"),
)

iam_access_reports = Table(  # service last accessed reports, as made
    "iam_access_reports", metadata,
    Column("job_id", String(36), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("arn", String(2048), nullable=False),
    Column("granularity", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("services", JSON, nullable=False),  # ServicesLastAccessed, times as ISO text
    Column("entities", JSON, nullable=False),  # namespace → EntityDetailsList
    Index("ix_iam_access_reports_account", "account_id", "created_at"),
)

# Outbound identity federation: whether an account's principals may get JWTs (sts:GetWebIdentityToken), and the
# keys that sign them (the account's issuer publishes their public halves).
iam_outbound_federation = Table(
    "iam_outbound_federation", metadata,
    Column("account_id", String(12), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("rsa_key", Text, nullable=False),  # PKCS#8 PEM; never answered, logged or audited
    Column("ec_key", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
