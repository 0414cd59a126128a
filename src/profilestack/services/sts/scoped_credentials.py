"""GetScopedCredentials: the caller's temporary credentials again, narrowed by a scope-down policy (up to three
layers, each of which must allow) or a shorter lifetime, its identity kept."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.identity.principal import ASSUMED_ROLE, AWS_SERVICE, FEDERATED_USER
from profilestack.services.sts.handlers import (
    credentials_shape,
    grown_token,
    session_policy,
    sts,
    temporary_credentials,
)
from profilestack.services.sts.tables import sts_scoped_credentials, sts_sessions

MAX_SCOPE_POLICIES = 3
MAX_TOKEN_BYTES = 4096  # MinimumSessionTokenSize's maximum, and what SessionTokenUtilization is a percentage of


@sts.operation("GetScopedCredentials", writes=True)
def get_scoped_credentials(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    principal = ctx.principal
    temporary = principal.kind in (ASSUMED_ROLE, FEDERATED_USER) or principal.session_token
    if not temporary or principal.kind == AWS_SERVICE or not principal.access_key:
        raise AwsError("InvalidSubjectCredentials", "GetScopedCredentials narrows temporary security credentials (a "
                       "role session's, a federated user's, GetSessionToken's): the request was signed with "
                       "long-term credentials. Call GetSessionToken first to scope down a user's.", 400)
    policy, duration = params.get("Policy"), params.get("DurationSeconds")
    if policy is None and duration is None:
        raise AwsError("ValidationError", "A request must provide at least one of Policy or DurationSeconds.", 400)
    scopes = list(principal.scope_policies)
    if policy is not None:
        if len(scopes) >= MAX_SCOPE_POLICIES:
            raise AwsError("AccessDenied", f"User: {principal.arn} is not authorized to perform: "
                           "sts:GetScopedCredentials because the session already has three scope-down policies, "
                           "the most a session can have.", 403)
        scopes.append(session_policy(policy))
    now = ctx.now()
    calling = ctx.app.credentials.lookup(principal.access_key)
    expires = calling.expires_at if calling is not None and calling.expires_at is not None else now
    if duration is not None:
        remaining = int((expires - now).total_seconds())
        if duration > remaining:
            raise AwsError("InsufficientSessionLifetime", f"The requested DurationSeconds ({duration}) is longer "
                           f"than the calling session's remaining lifetime ({remaining} seconds).", 400)
        expires = now + timedelta(seconds=duration)
    key, secret, token = temporary_credentials(ctx)
    token = _sized(ctx, token, scopes, params.get("MinimumSessionTokenSize") or 0)
    base = principal.scoped_from or principal.access_key
    ctx.db.execute(insert(sts_scoped_credentials).values(
        access_key_id=key, account_id=principal.account, secret=secret, session_token=token,
        base_access_key_id=base, scope_policies=scopes, description=params.get("ScopedSessionDescription"),
        mfa_at=principal.mfa_at, created_at=now, expires_at=expires))
    size = len(token.encode())
    result: dict[str, Any] = {
        "Credentials": credentials_shape(key, secret, token, expires),
        "SessionInfo": {"ScopedSessionId": principal.principal_id, "Arn": principal.arn},
        "SessionTokenSize": size, "SessionTokenUtilization": min(100, -(-size * 100 // MAX_TOKEN_BYTES)),
        "ScopedPoliciesCount": len(scopes)}
    source_identity = ctx.db.execute(select(sts_sessions.c.source_identity).where(
        sts_sessions.c.access_key_id == base)).scalar()
    if source_identity:
        result["SourceIdentity"] = source_identity
    return result


def _sized(ctx: CallContext, token: str, scopes: list[str], minimum: int) -> str:
    """The token grown as AWS's grows with the policies packed into it (their text's length here), then to
    ``minimum``; PackedPolicyTooLarge beyond the most a session token may take."""
    packed = sum(len(scope) for scope in scopes)
    if len(token) + packed > MAX_TOKEN_BYTES:
        raise AwsError("PackedPolicyTooLarge", f"The session token would take {len(token) + packed} bytes with its "
                       f"scope-down policies, over the maximum of {MAX_TOKEN_BYTES}.", 400)
    return grown_token(ctx, token, max(len(token) + packed, minimum))
