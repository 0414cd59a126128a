"""uvicorn's httptools protocol, with a connection's writes held to the end of the event loop's turn.

uvicorn writes a response's head and its body separately, each the moment the application sends it, and on a
busy server every write wakes the client anew. Here the writes of every connection wait until the callbacks
already queued on the event loop (the other requests that arrived together) have run, then leave one write
per connection: one system call per response instead of two, and the client woken once for the batch. On this
project's benchmark machine that served 13 to 35% more requests per second (docs/decisions.md). uvicorn takes the
protocol by ``IMPORT_STRING`` (``--http`` on its command line).
"""

from __future__ import annotations

import asyncio
from typing import Any
from weakref import WeakKeyDictionary

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

TLS_CLOSE_GRACE_SECONDS = 2.0
TLS_EXTENSION = "profilestack.tls"  # not ASGI's "tls" extension, whose members are numbers and certificates


class _Turn:
    """The connections of one event loop whose writes wait for the end of the loop's current turn."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._waiting: list[HeldWrites] = []

    def hold(self, connection: HeldWrites) -> None:
        if not self._waiting:  # queued behind the callbacks already due, i.e. the requests read in this turn
            self.loop.call_soon(self._write_out)
        self._waiting.append(connection)

    def _write_out(self) -> None:
        waiting, self._waiting = self._waiting, []
        for connection in waiting:
            connection.write_out()


_turns: WeakKeyDictionary[asyncio.AbstractEventLoop, _Turn] = WeakKeyDictionary()


def _turn_of(loop: asyncio.AbstractEventLoop) -> _Turn:
    turn = _turns.get(loop)
    if turn is None:
        turn = _turns[loop] = _Turn(loop)
    return turn


class HeldWrites:
    """A transport whose writes are gathered and written out together at the end of the loop's turn (or
    before it closes); everything else goes straight to the transport."""

    __slots__ = ("_chunks", "_transport", "_turn")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._turn = _turn_of(loop)
        self._chunks: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._chunks:
            self._turn.hold(self)
        self._chunks.append(data)

    def write_out(self) -> None:
        chunks, self._chunks = self._chunks, []
        if chunks and not self._transport.is_closing():
            self._transport.write(chunks[0] if len(chunks) == 1 else b"".join(chunks))

    def close(self) -> None:
        self.write_out()
        self._transport.close()
        if self._transport.get_extra_info("sslcontext") is not None:
            # Closing TLS waits for the client's close_notify, which an idle keep-alive client sends only when it
            # next reads: up to 30 s, holding a server that is stopping. Once what was written had time to leave,
            # the connection is dropped instead, as web servers drop idle TLS connections.
            self._turn.loop.call_later(TLS_CLOSE_GRACE_SECONDS, self._transport.abort)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class HeldWritesProtocol(HttpToolsProtocol):
    """Also tells the application, over TLS, the version and cipher suite the connection negotiated: the ASGI
    scope's ``extensions`` carry them as ``TLS_EXTENSION`` (CloudTrail records them as ``tlsDetails``)."""

    _tls: dict[str, str] | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(HeldWrites(transport, self.loop))  # type: ignore[arg-type]
        connection = transport.get_extra_info("ssl_object")
        if connection is not None:  # the handshake is over by now
            cipher = connection.cipher()
            self._tls = {"version": connection.version() or "", "cipher": cipher[0] if cipher else ""}

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._tls is not None:
            self.scope["extensions"] = {TLS_EXTENSION: self._tls}  # type: ignore[typeddict-unknown-key]


IMPORT_STRING = f"{__name__}:{HeldWritesProtocol.__name__}"
