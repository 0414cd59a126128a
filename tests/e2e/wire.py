"""Raw HTTP requests signed by botocore, for the cases a boto3 client will not produce."""

from __future__ import annotations

import http.client
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def signed_request(url: str, service: str, region: str, body: bytes | str = b"", method: str = "POST",
                   headers: dict[str, str] | None = None, access_key: str = "test", secret: str = "test",
                   token: str | None = None, at: datetime | None = None) -> AWSRequest:
    request = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    signer = SigV4Auth(Credentials(access_key, secret, token), service, region)
    if at is None:
        signer.add_auth(request)
    else:
        # botocore reads the signing time from its own clock; pin it to sign in the past or future.
        with patch("botocore.auth.get_current_datetime", return_value=at):
            signer.add_auth(request)
    return request


@contextmanager
def signed_later(days: float) -> Iterator[None]:
    """boto3 clients sign as of a server clock moved ``days`` ahead (botocore signs with the real one otherwise)."""
    with patch("botocore.auth.get_current_datetime", return_value=datetime.now(UTC) + timedelta(days=days)):
        yield


def send(request: AWSRequest, body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    """Send as signed; ``body`` replaces the signed body (to tamper with it)."""
    parts = urlsplit(request.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    if body is None:
        body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
    connection.request(request.method, path, body=body, headers=dict(request.headers.items()))
    response = connection.getresponse()
    data = response.read()
    headers = {name.lower(): value for name, value in response.getheaders()}
    connection.close()
    return response.status, headers, data


def raw(url: str, method: str = "POST", body: bytes = b"", headers: dict[str, str] | None = None
        ) -> tuple[int, dict[str, str], bytes]:
    return send(AWSRequest(method=method, url=url, data=body, headers=headers or {}))


FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
IDENTITY = "Action=GetCallerIdentity&Version=2011-06-15"


def identity_request_bytes(endpoint: str, extra_headers: dict[str, str] | None = None, body: str = IDENTITY
                           ) -> bytes:
    """A signed query-protocol STS call (GetCallerIdentity unless ``body`` says otherwise) as the bytes of an
    HTTP/1.1 request, for a socket to send whole, in parts or many at once."""
    return query_request_bytes(endpoint, "sts", body, extra_headers)


def query_request_bytes(endpoint: str, service: str, body: str, extra_headers: dict[str, str] | None = None
                        ) -> bytes:
    """A signed call of a query-protocol service (``body`` its form) as the bytes of an HTTP/1.1 request."""
    request = signed_request(f"{endpoint}/", service, "us-east-1", body=body,
                             headers={**FORM, **(extra_headers or {})})
    payload = request.body if isinstance(request.body, bytes) else request.body.encode()
    lines = ["POST / HTTP/1.1", f"Host: {urlsplit(endpoint).netloc}", f"Content-Length: {len(payload)}"]
    lines += [f"{name}: {value}" for name, value in request.headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


def sent_with(client: Any, **headers: str) -> Any:
    """The client's requests with ``headers`` added after signing, as a proxy or a browser adds them."""
    client.meta.events.register("before-send", lambda request, **_: request.headers.update(headers))
    return client


class NoRedirects(urllib.request.HTTPRedirectHandler):
    """For urllib openers: a redirect is answered as it is (an HTTPError with its status), not followed."""

    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None
