"""An account's alias, and GetAccountSummary: the account's IAM entities counted against their quotas."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update

from profilestack.gateway.context import CallContext
from profilestack.services.iam.access_keys import KEYS_PER_USER
from profilestack.services.iam.attachments import POLICIES_PER_ENTITY
from profilestack.services.iam.entities import GROUP, INSTANCE_PROFILE, ROLE, USER
from profilestack.services.iam.errors import already_exists, no_such_entity
from profilestack.services.iam.groups import GROUPS_PER_USER
from profilestack.services.iam.paging import page
from profilestack.services.iam.policies import MANAGED_POLICY_SIZE, MAX_VERSIONS, POLICIES_PER_ACCOUNT
from profilestack.services.iam.roles import TRUST_POLICY_LIMIT
from profilestack.services.iam.server_certificates import PER_ACCOUNT as SERVER_CERTIFICATES_PER_ACCOUNT
from profilestack.services.iam.service import iam
from profilestack.services.iam.tables import (
    iam_account_settings,
    iam_mfa_devices,
    iam_oidc_providers,
    iam_policies,
    iam_policy_versions,
    iam_saml_providers,
    iam_server_certificates,
)


def settings_of(db: Connection, account: str) -> Row[Any] | None:
    return db.execute(select(iam_account_settings).where(iam_account_settings.c.account_id == account)).first()


def save_settings(db: Connection, account: str, **values: Any) -> None:
    """Set some of the account's settings, creating its row the first time."""
    if settings_of(db, account) is None:
        db.execute(insert(iam_account_settings).values(account_id=account, **values))
    else:
        db.execute(update(iam_account_settings).where(iam_account_settings.c.account_id == account).values(**values))


@iam.operation("CreateAccountAlias")
def create_account_alias(ctx: CallContext, params: dict[str, Any]) -> None:
    """An account has one alias: a new one replaces it. Another account's alias cannot be taken."""
    alias = params["AccountAlias"]
    owner = ctx.db.execute(select(iam_account_settings.c.account_id)
                           .where(iam_account_settings.c.alias == alias)).scalar()
    if owner is not None and owner != ctx.account:
        raise already_exists(f"The account alias {alias} already exists.")
    save_settings(ctx.db, ctx.account, alias=alias)


@iam.operation("DeleteAccountAlias")
def delete_account_alias(ctx: CallContext, params: dict[str, Any]) -> None:
    settings = settings_of(ctx.db, ctx.account)
    if settings is None or settings.alias != params["AccountAlias"]:
        raise no_such_entity(f"The account alias {params['AccountAlias']} cannot be found.")
    save_settings(ctx.db, ctx.account, alias=None)


@iam.operation("ListAccountAliases")
def list_account_aliases(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    settings = settings_of(ctx.db, ctx.account)
    # an account has one alias at most; the listing still reads its Marker, refusing one it never gave
    return page([settings.alias] if settings is not None and settings.alias else [], params, "AccountAliases")


def _count(db: Connection, table: Any, account: str, *conditions: Any) -> int:
    return db.execute(select(func.count()).select_from(table).where(table.c.account_id == account, *conditions)
                      ).scalar_one()


@iam.operation("GetAccountSummary")
def get_account_summary(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    db, account = ctx.db, ctx.account
    versions = db.execute(select(func.count()).select_from(iam_policy_versions).join(
        iam_policies, iam_policies.c.id == iam_policy_versions.c.policy_id)
        .where(iam_policies.c.account_id == account)).scalar_one()
    settings = settings_of(db, account)
    root_keys = int(ctx.app.settings.has_root_keys(account))
    summary = {
        "Users": _count(db, USER.table, account), "UsersQuota": USER.quota,
        "Groups": _count(db, GROUP.table, account), "GroupsQuota": GROUP.quota,
        "Roles": _count(db, ROLE.table, account), "RolesQuota": ROLE.quota,
        "InstanceProfiles": _count(db, INSTANCE_PROFILE.table, account),
        "InstanceProfilesQuota": INSTANCE_PROFILE.quota,
        "Policies": _count(db, iam_policies, account), "PoliciesQuota": POLICIES_PER_ACCOUNT,
        "PolicyVersionsInUse": versions, "PolicyVersionsInUseQuota": POLICIES_PER_ACCOUNT * MAX_VERSIONS,
        "VersionsPerPolicyQuota": MAX_VERSIONS, "PolicySizeQuota": MANAGED_POLICY_SIZE,
        "UserPolicySizeQuota": USER.inline_size_limit, "GroupPolicySizeQuota": GROUP.inline_size_limit,
        "RolePolicySizeQuota": ROLE.inline_size_limit, "AssumeRolePolicySizeQuota": TRUST_POLICY_LIMIT,
        "AccessKeysPerUserQuota": KEYS_PER_USER, "GroupsPerUserQuota": GROUPS_PER_USER,
        "AttachedPoliciesPerUserQuota": POLICIES_PER_ENTITY, "AttachedPoliciesPerGroupQuota": POLICIES_PER_ENTITY,
        "AttachedPoliciesPerRoleQuota": POLICIES_PER_ENTITY,
        "AccountAccessKeysPresent": root_keys, "AccountMFAEnabled": 0, "AccountPasswordPresent": 0,
        "AccountSigningCertificatesPresent": 0, "MFADevices": _count(db, iam_mfa_devices, account),
        "MFADevicesInUse": _count(db, iam_mfa_devices, account, iam_mfa_devices.c.user_id.is_not(None)),
        "Providers": _count(db, iam_oidc_providers, account) + _count(db, iam_saml_providers, account),
        "ServerCertificates": _count(db, iam_server_certificates, account),
        "ServerCertificatesQuota": SERVER_CERTIFICATES_PER_ACCOUNT, "SigningCertificatesPerUserQuota": 2,
        "GlobalEndpointTokenVersion": 2 if settings is not None and settings.sts_token_version == "v2Token" else 1,
    }
    return {"SummaryMap": summary}


@iam.operation("SetSecurityTokenServicePreferences")
def set_security_token_service_preferences(ctx: CallContext, params: dict[str, Any]) -> None:
    """Which tokens STS's global endpoint issues (``GetAccountSummary``'s ``GlobalEndpointTokenVersion``);
    profilestack's tokens are valid in every region either way."""
    save_settings(ctx.db, ctx.account, sts_token_version=params["GlobalEndpointTokenVersion"])
