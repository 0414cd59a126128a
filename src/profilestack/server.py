"""The ASGI application: health, the AWS endpoint, nothing else in between."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from profilestack import internal_api, logs
from profilestack.app import App
from profilestack.config import Settings
from profilestack.cross_origin import CrossOriginPolicy, ServedNames, is_preflight, page_origin
from profilestack.gateway.content_coding import too_large
from profilestack.gateway.errors import AwsError, ServiceUnavailable
from profilestack.gateway.http import HttpRequest, HttpResponse
from profilestack.http_protocol import TLS_EXTENSION, set_read_timeout
from profilestack.stack_dumps import dump_stacks_on_sigusr1

# How long a thread may hold the interpreter lock while another waits for it. The event loop answers requests while
# the audit writer, the outbox worker and the WAL checkpointer run Python beside it; at CPython's 5 ms a call could
# wait that long behind them. 1 ms took GetCallerIdentity's p99 under load from about 9 to 6 ms, GetRole's from 9.4
# to 7, throughput and CPU per call within the machine's noise (docs/decisions.md).
SWITCH_INTERVAL_SECONDS = 0.001

log = logging.getLogger(__name__)


class _ClientGone(Exception):
    """The client closed its connection before its request's body arrived in full."""


class _Unread(Exception):
    """A request body refused before it was read in full: ``error`` is the answer."""

    def __init__(self, error: AwsError) -> None:
        super().__init__(error.message)
        self.error = error


class AsgiApp:
    def __init__(self, app: App) -> None:
        self.app = app
        self.cross_origin = CrossOriginPolicy(app.settings.cors_origins)
        self.served_names = ServedNames(app.settings.host, app.settings.public_url, app.settings.allowed_hosts)
        dump_stacks_on_sigusr1()
        set_read_timeout(app.settings.request_read_seconds)
        # Requests are served on the event loop, unless the database makes them wait on the network: then
        # several run at once in threads (store/database.py), all but reads that wait once or twice
        # (Gateway.answers_at_once).
        threads = app.database.threads
        self._threads = ThreadPoolExecutor(threads, thread_name_prefix="request") if threads > 1 else None
        # Bodies arriving in parts are gathered before the request is authenticated: their bytes, over every
        # connection at once, are held to a budget (touched on the event loop only).
        self._buffered = 0
        self._over_budget = logs.Recurring(log)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        refusal = None
        try:
            body = await self._body(scope, receive)
        except _ClientGone:  # half a request: nobody to answer, and no call to serve or record
            return
        except _Unread as unread:
            body, refusal = b"", unread.error
        request = _request(scope, body)
        internal = request.raw_path.startswith(internal_api.PREFIX)
        # None unless a browser sent it for a page. An image's or a link's GET is judged by its page too, but not
        # under /_profilestack/, whose GETs change nothing: a link from another site to the console must work.
        origin = request.headers.get("origin") if internal else page_origin(request.headers)
        stranger = self.served_names.refused(request.headers.get("host"))
        if stranger is not None:
            early = self._refuse_name(request, stranger, internal)
        else:
            early = None if origin is None else self._cross_origin_answer(request, origin, internal)
        if early is not None:
            response = early
        elif refusal is not None:
            response = self.app.gateway.refuse(request, refusal)
        elif self._threads is None or self.app.gateway.answers_at_once(request):
            response = self._handle(request)
        else:
            response = await asyncio.get_running_loop().run_in_executor(self._threads, self._handle, request)
        if origin is not None and early is None:
            self.cross_origin.label(response, origin)
        await send({
            "type": "http.response.start",
            "status": response.status,
            "headers": [(name.encode(), value.encode()) for name, value in response.headers]
            + [(b"content-length", str(len(response.body)).encode())],
        })
        await send({"type": "http.response.body", "body": response.body})

    async def _body(self, scope: dict[str, Any], receive: Any) -> bytes:
        """The request's body. _Unread, and not read further, when it is over the size limit or the bodies being
        gathered would go over their budget; _ClientGone when the client left before sending all of it."""
        limit = self.app.settings.max_request_bytes
        message = await _received(receive)
        body = message.get("body", b"")
        if not message.get("more_body"):  # the whole body at once: what nearly every request sends
            if len(body) > limit:
                raise _Unread(too_large(limit))
            return body
        if _declared_length(scope) > limit:
            raise _Unread(too_large(limit))
        parts = bytearray()
        try:
            while True:
                if len(parts) + len(body) > limit:
                    raise _Unread(too_large(limit))
                if self._buffered + len(body) > self.app.settings.max_buffered_request_bytes:
                    self._over_budget.warning("refusing calls: the request bodies being received fill the %d-byte "
                                              "budget", self.app.settings.max_buffered_request_bytes)
                    raise _Unread(ServiceUnavailable())
                parts += body
                self._buffered += len(body)
                if not message.get("more_body"):
                    return bytes(parts)
                message = await _received(receive)
                body = message.get("body", b"")
        finally:
            self._buffered -= len(parts)

    def _cross_origin_answer(self, request: HttpRequest, origin: str, internal: bool) -> HttpResponse | None:
        """The answer to a browser's preflight, or the refusal of a page's origin (``internal``: a page under
        /_profilestack/, refused in plain JSON); None for a call to serve."""
        if not self.cross_origin.allows(origin, request.headers.get("host")):
            log.info("refused a call from a web page of %r, an origin not allowed", origin[:200])
            return self._refused(request, internal, AwsError(
                "AccessDenied", f"Web pages of origin {origin[:200]} may not call this server (allow them with "
                                "--cors-origin or PROFILESTACK_CORS_ORIGINS).", 403))
        return self.cross_origin.preflight(request, origin) if is_preflight(request) else None

    def _refuse_name(self, request: HttpRequest, name: str, internal: bool) -> HttpResponse:
        log.info("refused a call that reached this server as %r, not a name of this machine", name)
        return self._refused(request, internal, AwsError(
            "AccessDenied", f"This server listens on this machine only, and answers to localhost and loopback "
                            f"addresses, not to {name}: a web page of another site reaching it by its own name (DNS "
                            "rebinding) looks so. Allow a name with --allowed-host or PROFILESTACK_ALLOWED_HOSTS.",
            403))

    def _refused(self, request: HttpRequest, internal: bool, refusal: AwsError) -> HttpResponse:
        """A refusal before the call is authenticated: in the protocol it spoke, or in plain JSON under
        /_profilestack/ (``internal``)."""
        return internal_api.json_error(refusal) if internal else self.app.gateway.refuse(request, refusal)

    def _handle(self, request: HttpRequest) -> HttpResponse:
        if request.raw_path.startswith(internal_api.PREFIX):
            return internal_api.handle(self.app, request)
        return self.app.gateway.handle_http(request)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.app.start()
                self.app.warm_up()
                # Models and tables loaded at start live forever: keep the collector from rescanning them.
                gc.freeze()
                sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._threads is not None:
                    self._threads.shutdown()
                self.app.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

async def _received(receive: Any) -> dict[str, Any]:
    """The next part of the request's body; _ClientGone if the connection closed instead."""
    message: dict[str, Any] = await receive()
    if message["type"] == "http.disconnect":
        raise _ClientGone
    return message


def _declared_length(scope: dict[str, Any]) -> int:
    """The request's Content-Length, 0 when it has none (chunked) or one that is not a number."""
    for name, value in scope["headers"]:
        if name.lower() == b"content-length":
            return int(value) if value.isdigit() else 0
    return 0


def _request(scope: dict[str, Any], body: bytes) -> HttpRequest:
    raw_headers = scope["headers"]
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in raw_headers}
    if len(headers) != len(raw_headers):  # a repeated header: join its values as HTTP allows
        headers = {}
        for raw_name, raw_value in raw_headers:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]},{value}" if name in headers else value
    raw_path = scope.get("raw_path") or scope["path"].encode()
    client = scope.get("client") or ("127.0.0.1", 0)
    return HttpRequest(
        method=scope["method"],
        raw_path=raw_path.decode("latin-1").split("?", 1)[0],
        query_string=scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
        body=body,
        source_ip=client[0],
        secure=scope.get("scheme") == "https",
        tls=(scope.get("extensions") or {}).get(TLS_EXTENSION),
    )


def create_app() -> AsgiApp:
    """Factory for uvicorn (used when running several worker processes): settings from the environment."""
    settings = Settings.from_env()
    logs.configure(settings.log_level)  # a process of its own: the parent's logging is not inherited
    return AsgiApp(App(settings))
