"""Console sign-in: a cookie that the credential itself vouches for.

The cookie carries the access key, the session token of temporary credentials, an expiry and an HMAC of those
made with the key's secret. Nothing is kept on the server, so any server process sharing the database accepts
it, and it stops working as soon as the key does (deleted, deactivated, expired).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta

from profilestack import jsontext
from profilestack.gateway.authn import Authenticator, token_refusal
from profilestack.identity.credentials import Credential
from profilestack.identity.principal import Principal

COOKIE = "profilestack-console"
LIFETIME = timedelta(hours=1)


def _mac(secret: str, access_key: str, token: str | None, expires: int) -> str:
    message = f"profilestack-console|{access_key}|{token or ''}|{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _in_force(authenticator: Authenticator, access_key: str, token: str | None, now: datetime) -> Credential | None:
    """The access key's credential, if it is known, active, and takes this session token now."""
    credential = authenticator.credentials.lookup(access_key)
    if credential is None or not credential.active or token_refusal(credential, token, now) is not None:
        return None
    return credential


def sign_in(authenticator: Authenticator, access_key: str, secret: str, token: str | None, now: datetime
            ) -> str | None:
    """The cookie value for a key pair (and session token) that is in force; None otherwise."""
    credential = _in_force(authenticator, access_key, token, now)
    if credential is None or not hmac.compare_digest(credential.secret.encode(), secret.encode()):
        return None
    expires = now + LIFETIME
    if credential.expires_at is not None:
        expires = min(expires, credential.expires_at)
    stamp = int(expires.timestamp())
    fields = [access_key, token or "", stamp, _mac(credential.secret, access_key, token, stamp)]
    return base64.urlsafe_b64encode(json.dumps(fields).encode()).decode()


def signed_in(authenticator: Authenticator, cookie: str | None, now: datetime) -> Principal | None:
    """Who the cookie stands for, while it and the credential behind it hold."""
    if not cookie:
        return None
    try:
        access_key, token, stamp, mac = jsontext.loads(base64.urlsafe_b64decode(cookie.encode()))
        stamp = int(stamp)
    except (ValueError, TypeError):
        return None
    if not all(isinstance(field, str) for field in (access_key, token, mac)) or now.timestamp() >= stamp:
        return None  # a cookie not of our making (its fields' types)
    credential = _in_force(authenticator, access_key, token or None, now)
    if credential is None or not hmac.compare_digest(_mac(credential.secret, access_key, token or None, stamp).encode(),
                                                     mac.encode()):
        return None
    return credential.principal
