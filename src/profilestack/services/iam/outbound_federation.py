"""Outbound identity federation: an account's switch for sts:GetWebIdentityToken, its issuer and signing keys.

Enabling it gives the account an issuer URL served by profilestack itself
(``<public URL>/_profilestack/issuers/<account>``) with the OpenID Connect discovery document and the JWKS of the
account's two signing keys (RSA for RS256, P-384 for ES384), made when it is first enabled and kept across
disabling. The private keys stay in the database; nothing answers, logs or audits them. ``cryptography`` is
imported when keys are made or used.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, insert, select, update

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.services.iam.service import iam
from profilestack.services.iam.tables import iam_outbound_federation

if TYPE_CHECKING:
    from profilestack.config import Settings

ISSUER_PATH = "/_profilestack/issuers/"
ALGORITHMS = ("RS256", "ES384")
_table = iam_outbound_federation.c


def issuer_url(settings: Settings, account: str) -> str:
    return f"{settings.base_url}{ISSUER_PATH}{account}"


def federation_of(db: Connection, account: str) -> Row[Any] | None:
    return db.execute(select(iam_outbound_federation).where(_table.account_id == account)).first()


def _new_keys() -> tuple[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    def pem(key: Any) -> str:
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode()

    return pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)), pem(ec.generate_private_key(
        ec.SECP384R1()))


@iam.operation("EnableOutboundWebIdentityFederation")
def enable_outbound_federation(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = federation_of(ctx.db, ctx.account)
    if row is not None and row.enabled:
        raise AwsError("FeatureEnabled", "Outbound identity federation is already enabled for this account.", 409)
    if row is None:
        rsa_key, ec_key = _new_keys()
        ctx.db.execute(insert(iam_outbound_federation).values(
            account_id=ctx.account, enabled=True, key_id=ctx.app.ids.hex32(), rsa_key=rsa_key, ec_key=ec_key,
            created_at=ctx.now()))
    else:
        ctx.db.execute(update(iam_outbound_federation).where(_table.account_id == ctx.account).values(enabled=True))
    return {"IssuerIdentifier": issuer_url(ctx.app.settings, ctx.account)}


def _require_enabled(ctx: CallContext) -> Row[Any]:
    row = federation_of(ctx.db, ctx.account)
    if row is None or not row.enabled:
        raise AwsError("FeatureDisabled", "Outbound identity federation is disabled for this account.", 404)
    return row


@iam.operation("DisableOutboundWebIdentityFederation")
def disable_outbound_federation(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    _require_enabled(ctx)
    ctx.db.execute(update(iam_outbound_federation).where(_table.account_id == ctx.account).values(enabled=False))
    return {}


@iam.operation("GetOutboundWebIdentityFederationInfo")
def get_outbound_federation_info(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    _require_enabled(ctx)
    return {"IssuerIdentifier": issuer_url(ctx.app.settings, ctx.account), "JwtVendingEnabled": True}


def _b64(number: int, size: int) -> str:
    return base64.urlsafe_b64encode(number.to_bytes(size, "big")).rstrip(b"=").decode()


def public_keys(row: Row[Any]) -> list[dict[str, Any]]:
    """The account's verification keys, as a JWKS lists them."""
    from cryptography.hazmat.primitives import serialization

    rsa_public = serialization.load_pem_private_key(row.rsa_key.encode(), None).public_key().public_numbers()
    ec_public = serialization.load_pem_private_key(row.ec_key.encode(), None).public_key().public_numbers()
    return [
        {"kty": "RSA", "kid": f"{row.key_id}-rs256", "use": "sig", "alg": "RS256",
         "n": _b64(rsa_public.n, (rsa_public.n.bit_length() + 7) // 8), "e": _b64(rsa_public.e, 3)},
        {"kty": "EC", "kid": f"{row.key_id}-es384", "use": "sig", "alg": "ES384", "crv": "P-384",
         "x": _b64(ec_public.x, 48), "y": _b64(ec_public.y, 48)},
    ]


def discovery(settings: Settings, account: str) -> dict[str, Any]:
    issuer = issuer_url(settings, account)
    return {"issuer": issuer, "jwks_uri": f"{issuer}/.well-known/jwks.json", "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": list(ALGORITHMS)}
