"""Authenticate a request: SigV4 (header or presigned) against the key's secret → Principal.

Error codes follow the service's family: query-protocol services (IAM, STS,
CloudWatch) answer ``InvalidClientTokenId``/``SignatureDoesNotMatch``/…, JSON and
REST services answer ``UnrecognizedClientException``/``InvalidSignatureException``/….
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from profilestack.gateway import sigv4
from profilestack.gateway.errors import AwsError
from profilestack.gateway.http import HttpRequest
from profilestack.identity.credentials import Credential, CredentialResolver
from profilestack.identity.principal import Principal
from profilestack.regions import is_region_name
from profilestack.runtime import Clock

SKEW = timedelta(minutes=15)

_QUERY_FAMILY = {
    "unknown_key": "InvalidClientTokenId",
    "bad_signature": "SignatureDoesNotMatch",
    "missing": "MissingAuthenticationToken",
    "expired_token": "ExpiredToken",
    "incomplete": "IncompleteSignature",
    "expired_request": "RequestExpired",
}
_JSON_FAMILY = {
    "unknown_key": "UnrecognizedClientException",
    "bad_signature": "InvalidSignatureException",
    "missing": "MissingAuthenticationTokenException",
    "expired_token": "ExpiredTokenException",
    "incomplete": "IncompleteSignatureException",
    "expired_request": "RequestExpired",
}

INVALID_TOKEN = "The security token included in the request is invalid."
BAD_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)


class AuthenticationFailed(AwsError):
    """A rejected signature; ``principal`` is known when the access key was, so the attempt can be audited."""

    def __init__(self, code: str, message: str, status: int, principal: Principal | None = None,
                 region: str | None = None) -> None:
        super().__init__(code, message, status)
        self.principal = principal
        self.region = region


@lru_cache(maxsize=256)  # consecutive requests mostly carry the same few seconds
def _parse_amz_date(text: str) -> datetime:
    """``20261126T004500Z`` (strptime is ten times slower, and this runs on every request)."""
    if len(text) != 16 or text[8] != "T" or text[15] != "Z":
        raise ValueError(text)
    return datetime(int(text[0:4]), int(text[4:6]), int(text[6:8]), int(text[9:11]), int(text[11:13]),
                    int(text[13:15]), tzinfo=UTC)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


_REFUSALS = {"unknown_key": INVALID_TOKEN, "expired_token": "The security token included in the request is expired"}


def token_refusal(credential: Credential, token: str | None, now: datetime) -> str | None:
    """Why a known, active credential cannot be used with this session token now ("unknown_key" for a wrong or
    missing token, "expired_token"), or None when it can."""
    if credential.session_token is None:
        return "unknown_key" if token else None
    if token is None or not hmac.compare_digest(token.encode(), credential.session_token.encode()):
        return "unknown_key"
    if credential.expires_at is not None and now >= credential.expires_at:
        return "expired_token"
    return None


class Authenticator:
    def __init__(self, credentials: CredentialResolver, clock: Clock) -> None:
        self.credentials = credentials
        self.clock = clock

    def authenticate(self, request: HttpRequest, query_family: bool,
                     signing_name: str | None = None) -> tuple[Principal, str]:
        """The caller and the region it signed for; ``signing_name``: the service the request reached, which its
        credential scope must name."""
        codes = _QUERY_FAMILY if query_family else _JSON_FAMILY
        principal: Principal | None = None  # set once the key is recognised; fail() reads it when called
        region: str | None = None

        def fail(kind: str, message: str, status: int = 403) -> AuthenticationFailed:
            return AuthenticationFailed(codes[kind], message, status, principal, region)

        if not sigv4.has_auth(request):
            message = "Request is missing Authentication Token" if query_family else "Missing Authentication Token"
            raise fail("missing", message)
        try:
            signed = sigv4.parse(request)
        except sigv4.UnsupportedAlgorithm as exc:
            raise fail("incomplete", f"Unsupported AWS 'algorithm': '{exc}'. Only {sigv4.ALGORITHM} is supported.",
                       400) from exc
        except sigv4.SignatureFormatError as exc:
            raise fail("incomplete", str(exc), 400) from exc

        credential = self.credentials.lookup(signed.access_key)
        if credential is None or not credential.active:
            raise fail("unknown_key", INVALID_TOKEN)
        principal, region = credential.principal, signed.region
        now = self.clock.now()
        refusal = token_refusal(credential, signed.security_token, now)
        if refusal is not None:
            raise fail(refusal, _REFUSALS[refusal])

        try:
            signed_at = _parse_amz_date(signed.amz_date)
        except ValueError as exc:
            raise fail("incomplete", f"Invalid X-Amz-Date value '{signed.amz_date}'.", 400) from exc
        day = signed.amz_date[:8]
        if signed.date != day:  # else a signing key derived for one day would sign requests of every later day
            raise fail("bad_signature", f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                                        f"date from HTTP: '{signed.date}' != '{day}', from '{signed.amz_date}'.")
        if signing_name is not None and signed.service != signing_name:  # nor one derived for another service
            raise fail("bad_signature", f"Credential should be scoped to correct service: '{signing_name}'.")
        if not is_region_name(signed.region):
            region = None  # no region to file the attempt under
            raise fail("bad_signature", f"Credential should be scoped to a valid region, not '{signed.region}'.")
        if not sigv4.signature_matches(request, signed, credential.secret):
            raise fail("bad_signature", BAD_SIGNATURE)
        self._check_time(signed, signed_at, now, fail)
        return credential.principal, signed.region

    def _check_time(self, signed: sigv4.SignedRequest, signed_at: datetime, now: datetime, fail) -> None:
        # Presigned URLs too: one dated ahead would otherwise be good from now until its date plus its lifetime,
        # far past the seven days a lifetime may have.
        if signed_at > now + SKEW:
            raise fail("bad_signature", f"Signature not yet current: {signed.amz_date} is still later than "
                                        f"{_stamp(now + SKEW)} ({_stamp(now)} + 15 min.)")
        if signed.presigned:
            if now > signed_at + timedelta(seconds=signed.expires or 0):
                raise fail("expired_request", f"Request has expired. Signed at {signed.amz_date}, valid for "
                                              f"{signed.expires} seconds, now {_stamp(now)}.")
        elif signed_at < now - SKEW:
            raise fail("bad_signature", f"Signature expired: {signed.amz_date} is now earlier than "
                                        f"{_stamp(now - SKEW)} ({_stamp(now)} - 15 min.)")
