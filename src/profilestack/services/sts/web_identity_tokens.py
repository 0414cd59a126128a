"""GetWebIdentityToken: a JWT naming the caller, signed with its account's key (outbound identity federation,
iam/outbound_federation.py), for external services that trust the account's issuer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.services.iam.outbound_federation import federation_of, issuer_url
from profilestack.services.sts.handlers import sts

DEFAULT_DURATION = 300
MAX_TOKEN_BYTES = 16_384  # the JWT's payload; JWTPayloadSizeExceededException beyond


@sts.operation("GetWebIdentityToken", writes=False)
def get_web_identity_token(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    import jwt

    row = federation_of(ctx.db, ctx.account)
    if row is None or not row.enabled:
        raise AwsError("OutboundWebIdentityFederationDisabledException",
                       "Outbound identity federation is disabled for this account: enable it with IAM's "
                       "EnableOutboundWebIdentityFederation.", 403)
    now = ctx.now()
    expires = now + timedelta(seconds=params.get("DurationSeconds") or DEFAULT_DURATION)
    algorithm = params.get("SigningAlgorithm") or "RS256"
    if algorithm not in ("RS256", "ES384"):
        raise AwsError("ValidationError", "SigningAlgorithm must be RS256 or ES384.", 400)
    token_type = params.get("TokenType")
    if token_type and (params.get("SubjectMode") or params.get("Scope")):
        raise AwsError("ValidationError", "TokenType cannot be combined with SubjectMode or Scope.", 400)
    if token_type == "JWT_SVID":  # IAM workload identity providers are not implemented: no session has one
        raise AwsError("ValidationError", "A JWT_SVID token is issued only to a role session that has a workload "
                                          "identity; this session has none.", 400)
    if params.get("SubjectMode") == "OriginIdentity":  # sessions here carry no trusted identity propagation context
        raise AwsError("ValidationError", "SubjectMode OriginIdentity needs the calling session's trusted identity "
                                          "propagation context to hold aws:OriginIdentity/Subject; this one holds "
                                          "none.", 400)
    principal = ctx.principal
    audiences = params["Audience"]
    claims: dict[str, Any] = {
        "iss": issuer_url(ctx.app.settings, ctx.account), "sub": principal.role_arn or principal.arn,
        "aud": audiences[0] if len(audiences) == 1 else audiences, "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()), "exp": int(expires.timestamp()), "jti": ctx.app.ids.hex32(),
        "https://sts.amazonaws.com/": {"aws_account": ctx.account, "principal_id": principal.arn,
                                       **({"request_tags": {tag["Key"]: tag["Value"] for tag in params["Tags"]}}
                                          if params.get("Tags") else {})},
    }
    if params.get("Scope"):
        claims["scope"] = params["Scope"]
    key = row.rsa_key if algorithm == "RS256" else row.ec_key
    token = jwt.encode(claims, key, algorithm=algorithm, headers={"kid": f"{row.key_id}-{algorithm.lower()}"})
    if len(token) > MAX_TOKEN_BYTES:
        raise AwsError("JWTPayloadSizeExceededException", "The token's claims are too large.", 400)
    return {"WebIdentityToken": token, "Expiration": expires}
