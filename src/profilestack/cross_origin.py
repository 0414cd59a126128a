"""Calls from web pages of other origins (CORS): what lets the AWS SDK for JavaScript work in a browser.

A browser asks first (a preflight ``OPTIONS`` request) before it sends a signed call from a page of another origin,
and lets the page read the answer only when that answer names the page's origin. Pages on this machine
(``localhost``, loopback addresses), the server's own pages and the origins configured in
``PROFILESTACK_CORS_ORIGINS`` may call; a call that a page of any other origin makes (a script's, a form's, an
image's) is refused before it is authenticated, so that a web site a developer happens to visit cannot drive a
local server with the well-known ``test``/``test`` key pair (docs/decisions.md, "Calls from web pages"); nor
can one that points its own name at this machine (``ServedNames``).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from profilestack.gateway.http import HttpRequest, HttpResponse

ANY_ORIGIN = "*"
ALLOWED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE"
PREFLIGHT_MAX_AGE_SECONDS = 7200  # the most Chromium keeps a preflight's answer
# Headers a page reads without being told it may (the Fetch standard's CORS-safelisted response headers).
_SAFELISTED = frozenset({"cache-control", "content-language", "content-length", "content-type", "expires",
                         "last-modified", "pragma"})
# Added by the HTTP server after the application answered; the SDKs read Date to correct a skewed clock.
_ADDED_BY_SERVER = ("date",)
_FROM_ANOTHER_PAGE = frozenset({"cross-site", "same-site"})  # Sec-Fetch-Site's values for another origin's page
_PASSED_KEPT = 64  # allowed Host values remembered (a name with each port it was reached on)


def is_preflight(request: HttpRequest) -> bool:
    return request.method == "OPTIONS" and "access-control-request-method" in request.headers


def page_origin(headers: dict[str, str]) -> str | None:
    """The origin of the web page that sent a request; None when no page of another origin did (a client that is
    not a browser, an address typed into one, the server's own page).

    Browsers send ``Origin`` with every call a script makes, but not with an image's or a link's ``GET``; those
    carry ``Sec-Fetch-Site`` instead, and the page is then the ``Referer``'s origin, or an unknown one ("null")."""
    origin = headers.get("origin")
    if origin is not None:
        return origin
    if headers.get("sec-fetch-site") not in _FROM_ANOTHER_PAGE:
        return None
    referer = headers.get("referer")
    if not referer:
        return "null"
    try:
        parts = urlsplit(referer)
    except ValueError:
        return "null"
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else "null"


class CrossOriginPolicy:
    """Which web pages' origins may call: ``configured`` is a comma-separated list of origins
    (``https://app.example.com``), ``*`` for all."""

    def __init__(self, configured: str | None) -> None:
        origins = {origin.strip().rstrip("/").lower() for origin in (configured or "").split(",") if origin.strip()}
        self.any_origin = ANY_ORIGIN in origins
        self.origins = frozenset(origins - {ANY_ORIGIN})

    def allows(self, origin: str, host: str | None) -> bool:
        """Whether a page of ``origin`` may call a server that the request reached as ``host``."""
        origin = origin.strip().lower()
        if self.any_origin or origin in self.origins:
            return True
        try:
            parts = urlsplit(origin)
            hostname = parts.hostname
        except ValueError:  # "http://[bad" and the like
            return False
        if parts.scheme not in ("http", "https") or not hostname:
            return False  # "null" (a file or a sandboxed frame) unless configured
        return same_origin(origin, host) or on_this_machine(hostname)

    @staticmethod
    def preflight(request: HttpRequest, origin: str) -> HttpResponse:
        """The answer to a browser's preflight from a page that may call: the methods and headers it may use."""
        headers = [("access-control-allow-origin", origin), ("vary", "Origin"),
                   ("access-control-allow-methods", ALLOWED_METHODS),
                   ("access-control-max-age", str(PREFLIGHT_MAX_AGE_SECONDS))]
        asked = request.header("access-control-request-headers")
        if asked:  # the SDK's signing headers, X-Amz-Target, Content-Type, …: SigV4 is what protects a call
            headers.append(("access-control-allow-headers", asked))
        if request.header("access-control-request-private-network") == "true":
            headers.append(("access-control-allow-private-network", "true"))  # a public page calling this machine
        return HttpResponse(200, headers)

    @staticmethod
    def label(response: HttpResponse, origin: str) -> None:
        """Let the page read ``response``, errors included, with every header it carries (the request id, the
        error type, the protocol header the SDKs check)."""
        exposed = [name for name, _ in response.headers if name.lower() not in _SAFELISTED]
        response.headers = [*response.headers, ("access-control-allow-origin", origin), ("vary", "Origin"),
                            ("access-control-expose-headers", ", ".join([*exposed, *_ADDED_BY_SERVER]))]


def same_origin(origin: str, host: str | None) -> bool:
    """Whether ``origin`` is the server's own, as the request reached it (``Host``): the console's pages."""
    try:
        netloc = urlsplit(origin.strip()).netloc
    except ValueError:
        return False
    return bool(netloc) and host is not None and netloc.lower() == host.strip().lower()


def on_this_machine(hostname: str) -> bool:
    """Whether a name or address is this machine's: ``localhost``, ``*.localhost`` (RFC 6761), a loopback
    address, with or without an IPv6 address's brackets."""
    hostname = hostname.strip("[]").lower()
    if hostname == "localhost" or hostname.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


class ServedNames:
    """The names a server listening on this machine alone may be reached by (DNS rebinding).

    A web site can point its own name at 127.0.0.1 once its page is open: the page's calls then reach the local
    server as calls of the server's own pages, with that name in ``Host``, no ``Origin`` on a ``GET`` and, over
    plain HTTP, no ``Sec-Fetch-Site`` either — nothing else tells them from a client's. Such a server therefore
    answers only requests naming it as this machine (``localhost``, ``*.localhost``, a loopback address), the host
    of ``public_url``, or one of ``allowed`` (comma-separated; ``*`` for any name). A server listening beyond
    this machine is reached by whatever names its network gives it, and checks none."""

    def __init__(self, listen_host: str, public_url: str | None, allowed: str | None) -> None:
        names = {name.strip().lower() for name in (allowed or "").split(",") if name.strip()}
        self.checked = on_this_machine(listen_host) and ANY_ORIGIN not in names
        if public_url:
            names.add((urlsplit(public_url).hostname or "").lower())
        self.names = frozenset(names)
        self._passed: set[str] = set()  # Host values already allowed: a request's check is then one lookup

    def refused(self, host: str | None) -> str | None:
        """The name a request reached the server by, when the server may not answer to it; None otherwise (no
        ``Host`` is HTTP/1.0's, which browsers do not speak)."""
        if not self.checked or not host or host in self._passed:
            return None
        try:
            hostname = urlsplit(f"//{host.strip()}").hostname or ""
        except ValueError:  # "[bad" and the like
            return host[:200]
        if on_this_machine(hostname) or hostname in self.names:
            if len(self._passed) < _PASSED_KEPT:
                self._passed.add(host)
            return None
        return hostname[:200]
