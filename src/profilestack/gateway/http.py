"""Plain HTTP request/response values passed between the ASGI layer and the gateway."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, unquote_plus


def parse_form(text: str) -> list[tuple[str, str]]:
    """URL-encoded ``name=value&…`` pairs, read as ``parse_qsl(text, keep_blank_values=True)`` reads them.

    Written out because it runs on every query-protocol request, where parse_qsl's generality costs
    more than the rest of the routing.
    """
    pairs = []
    for pair in text.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        if "%" in pair or "+" in pair:
            name, value = unquote_plus(name), unquote_plus(value)
        pairs.append((name, value))
    return pairs


@dataclass(slots=True)
class HttpRequest:
    method: str
    raw_path: str  # the path exactly as sent, still percent-encoded
    query_string: str  # raw, without the '?'
    headers: dict[str, str]  # lower-case names; repeated headers joined with ','
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    secure: bool = False
    raw_headers: list[tuple[str, str]] | None = None  # original-case names, when the transport kept them
    _query: list[tuple[str, str]] | None = field(default=None, repr=False)
    form: dict[str, str] | None = field(default=None, repr=False)  # query-protocol params, once parsed
    signed: Any = field(default=None, repr=False)  # its SigV4 information, once parsed (gateway.sigv4)
    sent_body: bytes | None = field(default=None, repr=False)  # the body as sent, when it arrived compressed
    tls: dict[str, str] | None = None  # over TLS: the connection's "version" and "cipher" (http_protocol)
    route: Any = field(default=None, repr=False)  # the operation it asks for, once routed (gateway.routing.Route)

    @property
    def signed_body(self) -> bytes:
        """The bytes the client's signature covers: the body as it was sent."""
        return self.body if self.sent_body is None else self.sent_body

    @property
    def path(self) -> str:
        return unquote(self.raw_path)

    @property
    def query(self) -> list[tuple[str, str]]:
        if self._query is None:
            self._query = parse_form(self.query_string)
        return self._query

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name, default)

    def tls_details(self) -> dict[str, str] | None:
        """CloudTrail's ``tlsDetails`` of a call that came over TLS."""
        if self.tls is None:
            return None
        return {"tlsVersion": self.tls["version"], "cipherSuite": self.tls["cipher"],
                "clientProvidedHostHeader": self.header("host") or ""}


@dataclass(slots=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class RawBody:
    """An answer sent as it is rather than in the protocol the request spoke: GetMetricWidgetImage's image/png,
    which AWS offers to hand-made HTTP requests."""

    content_type: str
    body: bytes
