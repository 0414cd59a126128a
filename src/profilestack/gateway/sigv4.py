"""AWS Signature Version 4, verified from the server's side.

Pure functions over an ``HttpRequest``: parse the Authorization header or the
presigned query parameters, rebuild the canonical request the client signed, and
compare signatures in constant time. Signing keys are cached per secret and scope.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, unquote

from profilestack.gateway.http import HttpRequest

ALGORITHM = "AWS4-HMAC-SHA256"
MOST_PRESIGNED_SECONDS = 604_800
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


class SignatureFormatError(ValueError):
    """The request carries SigV4 information that cannot be read."""


class UnsupportedAlgorithm(SignatureFormatError):
    pass


@dataclass(slots=True)
class SignedRequest:
    access_key: str
    date: str  # yyyymmdd of the credential scope
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    amz_date: str  # yyyymmddThhmmssZ
    presigned: bool
    expires: int | None  # presigned lifetime in seconds
    security_token: str | None

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


def credential_scope_service(request: HttpRequest) -> str | None:
    """The signing name a request was signed for, even when its signature information is incomplete."""
    try:
        return parse(request).service
    except SignatureFormatError:
        pass
    credential = None
    header = request.header("authorization")
    if header and "Credential=" in header:
        credential = header.split("Credential=", 1)[1].split(",", 1)[0].strip()
    elif "X-Amz-Credential" in request.query_string:
        credential = dict(request.query).get("X-Amz-Credential")
    if not credential:
        return None
    parts = credential.split("/")
    return parts[3] if len(parts) == 5 else None


def has_auth(request: HttpRequest) -> bool:
    return request.header("authorization") is not None or "X-Amz-Signature" in request.query_string


def parse(request: HttpRequest) -> SignedRequest:
    """The request's SigV4 information (parsed once: routing and authentication both read it)."""
    if request.signed is None:
        header = request.header("authorization")
        request.signed = _parse_header(request, header) if header is not None else _parse_presigned(request)
    return request.signed


def _parse_header(request: HttpRequest, header: str) -> SignedRequest:
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise UnsupportedAlgorithm(algorithm)
    fields: dict[str, str] = {}
    for part in rest.split(","):
        key, sep, value = part.strip().partition("=")
        if sep:
            fields[key] = value.strip()
    missing = [name for name in ("Credential", "SignedHeaders", "Signature") if name not in fields]
    if missing:
        raise SignatureFormatError(
            " ".join(f"Authorization header requires '{name}' parameter." for name in missing)
        )
    amz_date = request.header("x-amz-date") or _from_http_date(request.header("date"))
    if not amz_date:
        raise SignatureFormatError(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    return _signed(fields["Credential"], fields["SignedHeaders"], fields["Signature"], amz_date, False, None,
                   request.header("x-amz-security-token"))


def _parse_presigned(request: HttpRequest) -> SignedRequest:
    params = dict(request.query)
    algorithm = params.get("X-Amz-Algorithm", "")
    if algorithm != ALGORITHM:
        raise UnsupportedAlgorithm(algorithm)
    needed = ("X-Amz-Credential", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Date")
    missing = [name for name in needed if name not in params]
    if missing:
        raise SignatureFormatError(f"Presigned request is missing {', '.join(missing)}.")
    try:
        expires = int(params.get("X-Amz-Expires", "900"))
    except ValueError as exc:
        raise SignatureFormatError("X-Amz-Expires must be a whole number of seconds.") from exc
    if not 1 <= expires <= MOST_PRESIGNED_SECONDS:  # a signing key lasts seven days (SigV4)
        raise SignatureFormatError(f"X-Amz-Expires must be from 1 to {MOST_PRESIGNED_SECONDS} seconds (seven days).")
    return _signed(params["X-Amz-Credential"], params["X-Amz-SignedHeaders"], params["X-Amz-Signature"],
                   params["X-Amz-Date"], True, expires, params.get("X-Amz-Security-Token"))


def _signed(credential: str, signed_headers: str, signature: str, amz_date: str, presigned: bool,
            expires: int | None, token: str | None) -> SignedRequest:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise SignatureFormatError(
            f"Credential should be scoped to a valid region and service, not '{credential}'."
        )
    headers = tuple(signed_headers.lower().split(";"))
    if "host" not in headers and ":authority" not in headers:  # else the request could be sent to another host
        raise SignatureFormatError("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
    return SignedRequest(
        access_key=parts[0], date=parts[1], region=parts[2], service=parts[3],
        signed_headers=headers, signature=signature.lower(),
        amz_date=amz_date, presigned=presigned, expires=expires, security_token=token,
    )


def _from_http_date(value: str | None) -> str | None:
    if not value:
        return None
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(value).strftime("%Y%m%dT%H%M%SZ")
    except (TypeError, ValueError):
        return None


def _uri_encode(text: str, safe: str = "-_.~") -> str:
    return quote(text, safe=safe)


@lru_cache(maxsize=4096)
def canonical_uri(raw_path: str) -> str:
    # Non-S3 services sign the already-encoded path encoded once more.
    segments = []
    for segment in (raw_path or "/").split("/"):
        if segment == ".":
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    path = "/".join(segments)
    if not path.startswith("/"):
        path = "/" + path
    if raw_path.endswith("/") and not path.endswith("/"):
        path += "/"
    return _uri_encode(path, safe="/~")


def canonical_query(query_string: str, drop_signature: bool) -> str:
    if not query_string:
        return ""
    pairs = []
    for part in query_string.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        key, value = unquote(key.replace("+", " ")), unquote(value.replace("+", " "))
        if drop_signature and key == "X-Amz-Signature":
            continue
        pairs.append((_uri_encode(key), _uri_encode(value)))
    pairs.sort()
    return "&".join(f"{key}={value}" for key, value in pairs)


def canonical_request(request: HttpRequest, signed: SignedRequest, payload_hash: str) -> str:
    headers = []
    for name in signed.signed_headers:
        value = request.headers.get(name, "")
        headers.append(f"{name}:{' '.join(value.split())}\n")
    return "\n".join([
        request.method.upper(),
        canonical_uri(request.raw_path),
        canonical_query(request.query_string, signed.presigned),
        "".join(headers),
        ";".join(signed.signed_headers),
        payload_hash,
    ])


def string_to_sign(signed: SignedRequest, canonical: str) -> str:
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    return f"{ALGORITHM}\n{signed.amz_date}\n{signed.scope}\n{digest}"


class _KeyedHash:
    """HMAC-SHA256 under one key, with the key's padded blocks hashed once (RFC 2104): each message then costs
    two hash copies and updates. Not ``hmac.new`` (its Python wrapper costs three times the hashing) nor
    ``hmac.digest`` (its one-shot C path releases the GIL on every call, and under load the request thread then
    waits for the background threads to hand it back)."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes) -> None:
        block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in block))
        self._outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in block))

    def digest(self, message: str) -> bytes:
        inner = self._inner.copy()
        inner.update(message.encode())
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


@lru_cache(maxsize=4096)
def signing_key(secret: str, date: str, region: str, service: str) -> _KeyedHash:
    key = _hmac(f"AWS4{secret}".encode(), date)
    key = _hmac(key, region)
    key = _hmac(key, service)
    return _KeyedHash(_hmac(key, "aws4_request"))


def _hmac(key: bytes, message: str) -> bytes:
    return _KeyedHash(key).digest(message)


def payload_hashes(request: HttpRequest, signed: SignedRequest) -> list[str]:
    """The payload hashes the client may have signed, most likely first."""
    declared = request.header("x-amz-content-sha256")
    body_hash = hashlib.sha256(request.signed_body).hexdigest()
    if declared:
        # A declared hash is what was signed; it must also describe the body that arrived.
        return [declared] if declared in (UNSIGNED_PAYLOAD, body_hash) else []
    return [UNSIGNED_PAYLOAD, body_hash] if signed.presigned else [body_hash]


def signature_matches(request: HttpRequest, signed: SignedRequest, secret: str) -> bool:
    key = signing_key(secret, signed.date, signed.region, signed.service)
    for payload_hash in payload_hashes(request, signed):
        to_sign = string_to_sign(signed, canonical_request(request, signed, payload_hash))
        expected = key.digest(to_sign).hex()
        if hmac.compare_digest(expected.encode(), signed.signature.encode()):  # bytes: a header may be non-ASCII
            return True
    return False
