"""The account's password policy and users' console passwords (login profiles), as IAM keeps them.

profilestack has no console to sign in to: a login profile is kept, checked against the policy and changeable,
so that code managing users behaves as on AWS. Passwords are stored only as salted scrypt hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import string
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.identity.principal import IAM_USER
from profilestack.services.iam import entities
from profilestack.services.iam.account_settings import save_settings, settings_of
from profilestack.services.iam.entities import USER
from profilestack.services.iam.errors import already_exists, no_such_entity
from profilestack.services.iam.service import iam
from profilestack.services.iam.signin_sessions import show_signin_duration, signin_duration_change
from profilestack.services.iam.tables import iam_login_profiles
from profilestack.services.iam.users import target_user

_POLICY_DEFAULTS: dict[str, Any] = {
    "MinimumPasswordLength": 6, "RequireSymbols": False, "RequireNumbers": False,
    "RequireUppercaseCharacters": False, "RequireLowercaseCharacters": False, "AllowUsersToChangePassword": False,
}
_OPTIONAL = ("MaxPasswordAge", "PasswordReusePrevention", "HardExpiry")
_SYMBOLS = set("!@#$%^&*()_+-=[]{}|'")
_CLASSES = {  # the character classes a policy can require, and AWS's default rule counts
    "RequireUppercaseCharacters": lambda text: any(c in string.ascii_uppercase for c in text),
    "RequireLowercaseCharacters": lambda text: any(c in string.ascii_lowercase for c in text),
    "RequireNumbers": lambda text: any(c in string.digits for c in text),
    "RequireSymbols": lambda text: any(c in _SYMBOLS for c in text),
}
_SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}


def _hash(password: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    return f"scrypt${salt.hex()}${hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT).hex()}"


def _matches(password: str, stored: str) -> bool:
    _, salt, _ = stored.split("$")
    return hmac.compare_digest(_hash(password, bytes.fromhex(salt)), stored)


def password_policy(db: Connection, account: str) -> dict[str, Any] | None:
    settings = settings_of(db, account)
    return None if settings is None else settings.password_policy


def _violation() -> AwsError:
    return AwsError("PasswordPolicyViolation", "Password does not conform to the account password policy.", 400)


def _check(db: Connection, account: str, password: str, previous: list[str]) -> None:
    """The account's policy, or AWS's default one: eight characters and three of the four kinds."""
    policy = password_policy(db, account)
    if policy is None:
        if len(password) < 8 or sum(test(password) for test in _CLASSES.values()) < 3:
            raise _violation()
        return
    if len(password) < policy["MinimumPasswordLength"]:
        raise _violation()
    if any(policy[name] and not test(password) for name, test in _CLASSES.items()):
        raise _violation()
    if any(_matches(password, stored) for stored in previous[:policy.get("PasswordReusePrevention", 0)]):
        raise _violation()


@iam.operation("UpdateAccountPasswordPolicy")
def update_account_password_policy(ctx: CallContext, params: dict[str, Any]) -> None:
    """Members left out take their defaults again, as on AWS."""
    policy = {**_POLICY_DEFAULTS, **{name: params[name] for name in _POLICY_DEFAULTS if name in params}}
    policy.update({name: params[name] for name in _OPTIONAL if name in params})
    save_settings(ctx.db, ctx.account, password_policy=policy)


def _require_policy(ctx: CallContext) -> dict[str, Any]:
    policy = password_policy(ctx.db, ctx.account)
    if policy is None:
        raise no_such_entity(f"The Password Policy with domain name {ctx.account} cannot be found.")
    return policy


@iam.operation("GetAccountPasswordPolicy")
def get_account_password_policy(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    policy = _require_policy(ctx)
    return {"PasswordPolicy": {**policy, "ExpirePasswords": bool(policy.get("MaxPasswordAge"))}}


@iam.operation("DeleteAccountPasswordPolicy")
def delete_account_password_policy(ctx: CallContext, params: dict[str, Any]) -> None:
    _require_policy(ctx)
    save_settings(ctx.db, ctx.account, password_policy=None)


def login_profile_of(db: Connection, user_id: str) -> Row[Any] | None:
    return db.execute(select(iam_login_profiles).where(iam_login_profiles.c.user_id == user_id)).first()


def _require_profile(ctx: CallContext, user: Row[Any]) -> Row[Any]:
    profile = login_profile_of(ctx.db, user.id)
    if profile is None:
        raise no_such_entity(f"Login Profile for User {user.name} cannot be found.")
    return profile


def _profile_shape(user: Row[Any], profile: Row[Any]) -> dict[str, Any]:
    return {"LoginProfile": show_signin_duration({"UserName": user.name, "CreateDate": profile.created_at,
                                                  "PasswordResetRequired": profile.reset_required}, profile)}


@iam.operation("CreateLoginProfile")
def create_login_profile(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("Password") is None:  # optional in the model only for AssumeRoot sessions, which are not offered
        raise AwsError("ValidationError", "1 validation error detected: Value null at 'password' failed to satisfy "
                       "constraint: Member must not be null", 400)
    user = target_user(ctx, params)
    if login_profile_of(ctx.db, user.id) is not None:
        raise already_exists(f"Login Profile for user {user.name} already exists.")
    _check(ctx.db, ctx.account, params["Password"], [])
    ctx.db.execute(insert(iam_login_profiles).values(
        user_id=user.id, password_hash=_hash(params["Password"]), previous_hashes=[],
        reset_required=bool(params.get("PasswordResetRequired")), created_at=ctx.now(),
        max_signin_session_duration=params.get("MaxSigninSessionDuration")))
    return _profile_shape(user, login_profile_of(ctx.db, user.id))


@iam.operation("GetLoginProfile")
def get_login_profile(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    user = target_user(ctx, params)
    return _profile_shape(user, _require_profile(ctx, user))


def _set_password(ctx: CallContext, profile: Row[Any], password: str, reset_required: bool) -> None:
    previous = [profile.password_hash, *profile.previous_hashes]
    _check(ctx.db, ctx.account, password, previous)
    ctx.db.execute(update(iam_login_profiles).where(iam_login_profiles.c.user_id == profile.user_id).values(
        password_hash=_hash(password), previous_hashes=previous[:24], reset_required=reset_required,
        changed_at=ctx.now()))


@iam.operation("UpdateLoginProfile")
def update_login_profile(ctx: CallContext, params: dict[str, Any]) -> None:
    user = target_user(ctx, params)
    profile = _require_profile(ctx, user)
    signin = signin_duration_change(params)
    reset = params.get("PasswordResetRequired", profile.reset_required)
    if params.get("Password") is not None:
        _set_password(ctx, profile, params["Password"], reset)  # which sets reset_required too
    if params.get("Password") is None or signin:
        ctx.db.execute(update(iam_login_profiles).where(iam_login_profiles.c.user_id == user.id)
                       .values(reset_required=reset, **signin))


@iam.operation("DeleteLoginProfile")
def delete_login_profile(ctx: CallContext, params: dict[str, Any]) -> None:
    user = target_user(ctx, params)
    _require_profile(ctx, user)
    ctx.db.execute(delete(iam_login_profiles).where(iam_login_profiles.c.user_id == user.id))


@iam.operation("ChangePassword")
def change_password(ctx: CallContext, params: dict[str, Any]) -> None:
    """A user changing its own password; the account's root and role sessions have none to change."""
    if ctx.principal.kind != IAM_USER or ctx.principal.name is None:
        raise AwsError("InvalidUserType", "Only IAM users can change their own password.", 400)
    user = entities.require(ctx.db, USER, ctx.account, ctx.principal.name)
    profile = _require_profile(ctx, user)
    if not _matches(params["OldPassword"], profile.password_hash):
        raise AwsError("AccessDenied", "The old password is incorrect.", 403)
    _set_password(ctx, profile, params["NewPassword"], reset_required=False)


def self_service_statements(db: Connection, account: str, user_arn: str) -> list[dict[str, Any]]:
    """What AllowUsersToChangePassword grants every user without a policy: changing its own password and reading
    the rules it must follow."""
    policy = password_policy(db, account)
    if not policy or not policy.get("AllowUsersToChangePassword"):
        return []
    return [{"Effect": "Allow", "Action": "iam:ChangePassword", "Resource": user_arn},
            {"Effect": "Allow", "Action": "iam:GetAccountPasswordPolicy", "Resource": "*"}]
