"""Checking an OpenID Connect ID token for AssumeRoleWithWebIdentity, as STS does: the issuer is an OIDC provider
of the role's account, the audience one of its client ids, the signature made by one of the issuer's published
keys (its ``jwks_uri``, found through ``/.well-known/openid-configuration``), the token within its lifetime.

The issuer is reached over HTTPS. A certificate the system's CAs vouch for is accepted; otherwise the server's
certificate must be one the provider's ``ThumbprintList`` names (the SHA-1 of its DER form): what the thumbprints
are for, and how an issuer with a self-signed certificate (a Kubernetes cluster's, a test's) is trusted. Published
keys are kept ten minutes per issuer and thumbprint list (new thumbprints are a new decision). PyJWT, and the
``cryptography`` it loads, is imported at the first token rather than at start-up.
"""

from __future__ import annotations

import hashlib
import ssl
import threading
import time
import urllib.parse
from datetime import datetime
from http.client import HTTPSConnection
from typing import TYPE_CHECKING, Any

from profilestack import jsontext
from profilestack.gateway.errors import AwsError

if TYPE_CHECKING:
    import jwt

ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512"]
KEYS_KEPT_SECONDS = 600.0
FAILURE_KEPT_SECONDS = 30.0
_TIMEOUT = 3.0
_MAX_DOCUMENT_BYTES = 1_000_000


def unverified_claims(token: str) -> dict[str, Any]:
    import jwt

    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise AwsError("InvalidIdentityToken", "The ID token is not a valid JSON Web Token.") from exc
    if not isinstance(claims.get("iss"), str):
        raise AwsError("InvalidIdentityToken", "The ID token has no issuer (iss).")
    return claims


def audiences(claims: dict[str, Any]) -> list[str]:
    aud = claims.get("aud")
    return [aud] if isinstance(aud, str) else [item for item in aud or [] if isinstance(item, str)]


def verified_claims(token: str, issuer: str, thumbprints: list[str], now: datetime) -> dict[str, Any]:
    """The token's claims once its signature, issuer and lifetime are checked (the audience is the caller's to
    check against the provider's client ids)."""
    import jwt

    keys = _published_keys(issuer, thumbprints)
    try:
        header = jwt.get_unverified_header(token)
        key = next((item for item in keys.keys if header.get("kid") in (None, item.key_id)), None)
        if key is None:
            raise AwsError("InvalidIdentityToken", "The ID token's signing key (kid) is not among the keys the "
                                                       f"issuer {issuer} publishes.")
        claims = jwt.decode(token, key.key, algorithms=ALGORITHMS, issuer=issuer,
                            options={"verify_aud": False, "verify_exp": False, "verify_nbf": False})
    except jwt.InvalidSignatureError as exc:
        raise AwsError("InvalidIdentityToken", "The ID token's signature could not be verified.") from exc
    except jwt.PyJWTError as exc:
        raise AwsError("InvalidIdentityToken", f"The ID token is not valid: {exc}.") from exc
    _check_lifetime(claims, now)
    return claims


def _check_lifetime(claims: dict[str, Any], now: datetime) -> None:
    stamp = now.timestamp()
    expires = claims.get("exp")
    if not isinstance(expires, int | float):
        raise AwsError("InvalidIdentityToken", "The ID token has no expiration time (exp).")
    if expires <= stamp:
        raise AwsError("ExpiredTokenException", f"Token expired: current date/time {int(stamp)} must be before "
                                                    f"the expiration date/time {int(expires)}")
    not_before = claims.get("nbf")
    if isinstance(not_before, int | float) and not_before > stamp + 300:
        raise AwsError("InvalidIdentityToken", "The ID token is not valid yet (nbf).")


_cache: dict[tuple[str, frozenset[str]], tuple[float, jwt.PyJWKSet]] = {}  # (issuer, thumbprints) → its keys
# An issuer that could not be read is not asked again for a while: on SQLite requests are served on one thread,
# which waits while the issuer is asked.
_failures: dict[tuple[str, frozenset[str]], tuple[float, AwsError]] = {}
_lock = threading.Lock()


def _published_keys(issuer: str, thumbprints: list[str]) -> jwt.PyJWKSet:
    import jwt

    cache_key = (issuer, frozenset(thumbprint.lower() for thumbprint in thumbprints))
    with _lock:
        kept = _cache.get(cache_key)
        failed = _failures.get(cache_key)
    if kept is not None and time.monotonic() - kept[0] < KEYS_KEPT_SECONDS:
        return kept[1]
    if failed is not None and time.monotonic() - failed[0] < FAILURE_KEPT_SECONDS:
        raise failed[1]
    try:
        discovery = _fetch_json(issuer.rstrip("/") + "/.well-known/openid-configuration", thumbprints)
        jwks_uri = discovery.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise AwsError("IDPCommunicationError",
                               f"The issuer {issuer}'s OpenID configuration names no jwks_uri.")
        try:
            keys = jwt.PyJWKSet.from_dict(_fetch_json(jwks_uri, thumbprints))
        except jwt.PyJWTError as exc:
            raise AwsError("IDPCommunicationError",
                               f"The issuer {issuer} publishes no usable keys: {exc}.") from exc
    except AwsError as refused:
        with _lock:
            _failures[cache_key] = (time.monotonic(), refused)
        raise
    with _lock:
        _cache[cache_key] = (time.monotonic(), keys)
        _failures.pop(cache_key, None)
    return keys


def _fetch_json(url: str, thumbprints: list[str]) -> dict[str, Any]:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise AwsError("IDPCommunicationError", f"{url} is not an https URL.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        try:
            body = _get(parts.hostname, parts.port or 443, path, ssl.create_default_context(), thumbprints=None)
        except ssl.SSLCertVerificationError:  # not vouched for by a CA: the provider's thumbprints decide
            unverified = ssl.create_default_context()
            unverified.check_hostname = False
            unverified.verify_mode = ssl.CERT_NONE
            body = _get(parts.hostname, parts.port or 443, path, unverified, thumbprints=thumbprints)
        document = jsontext.loads(body)
    except (OSError, ValueError) as exc:
        raise AwsError("IDPCommunicationError", f"Could not read {url}: {exc}") from exc
    if not isinstance(document, dict):
        raise AwsError("IDPCommunicationError", f"{url} did not answer a JSON object.")
    return document


def _get(host: str, port: int, path: str, context: ssl.SSLContext, thumbprints: list[str] | None) -> bytes:
    connection = HTTPSConnection(host, port, timeout=_TIMEOUT, context=context)
    try:
        connection.connect()
        if thumbprints is not None:
            certificate = connection.sock.getpeercert(binary_form=True) if connection.sock else None
            seen = hashlib.sha1(certificate or b"", usedforsecurity=False).hexdigest()
            if seen not in {thumbprint.lower() for thumbprint in thumbprints}:
                raise AwsError("IDPCommunicationError",
                                   f"The certificate of {host} is neither signed by a trusted authority nor one the "
                                   f"OpenID Connect provider's thumbprints name (its thumbprint is {seen}).")
        connection.request("GET", path, headers={"Accept": "application/json"})
        response = connection.getresponse()
        body = response.read(_MAX_DOCUMENT_BYTES + 1)
        if response.status != 200 or len(body) > _MAX_DOCUMENT_BYTES:
            raise AwsError("IDPCommunicationError", f"https://{host}:{port}{path} answered HTTP {response.status}.")
        return body
    except TimeoutError as exc:
        raise AwsError("IDPCommunicationError", f"https://{host}:{port}{path} did not answer in time.") from exc
    finally:
        connection.close()
