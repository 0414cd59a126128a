"""uvicorn's httptools protocol, with a connection's writes held to the end of the event loop's turn, and a
limit on how long a client may take to send a request.

uvicorn writes a response's head and its body separately, each the moment the application sends it, and on a
busy server every write wakes the client anew. Here the writes of every connection wait until the callbacks
already queued on the event loop (the other requests that arrived together) have run, then leave one write
per connection: one system call per response instead of two, and the client woken once for the batch. On this
project's benchmark machine that served 13 to 35% more requests per second (docs/decisions.md). uvicorn takes the
protocol by ``IMPORT_STRING`` (``--http`` on its command line).

uvicorn closes a connection idle between requests, but waits forever for one that opened and said nothing, or
stopped halfway through a request: every such client would hold a connection (and a file descriptor) for good.
Here, as web servers do, a request's head must arrive within the read timeout of its first byte, and its body
may pause no longer than that between reads; otherwise the answer is 408 and the connection is closed. A new
connection that sends nothing for as long is closed unanswered. A request's head (its line and headers) may take
``MAX_HEAD_BYTES``: httptools gathers a header in memory however long it grows, and uvicorn the URL.

The other way round, uvicorn waits forever for a client that stopped reading its answers once they fill the
connection's buffers, holding the answer in memory: such a connection is dropped (nothing more can reach that
client) when the timeout passes without the client taking any of what waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import sys
from typing import Any, ClassVar
from weakref import WeakKeyDictionary

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

if sys.platform == "linux":
    import fcntl
    import termios

    _KERNEL_OUTQ: int | None = termios.TIOCOUTQ  # SIOCOUTQ: a TCP socket's bytes not yet taken by its peer
else:
    _KERNEL_OUTQ = None

log = logging.getLogger(__name__)

TLS_CLOSE_GRACE_SECONDS = 2.0
READ_TIMEOUT_SECONDS = 60.0  # as nginx's client_header_timeout and client_body_timeout
# a presigned URL with a long session token and policy is a few KiB; nginx takes 32 KiB, API Gateway 10 KiB
MAX_HEAD_BYTES = 64 * 1024
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
    """Held writes and the read timeout (above). Also tells the application, over TLS, the version and cipher suite
    the connection negotiated: the ASGI scope's ``extensions`` carry them as ``TLS_EXTENSION`` (CloudTrail records
    them as ``tlsDetails``)."""

    read_timeout: ClassVar[float] = READ_TIMEOUT_SECONDS  # the server's setting (set_read_timeout)
    _tls: dict[str, str] | None = None
    _read_deadline = 0.0  # while a request is awaited or being read, when the client's time is up; else 0
    _began = False  # a request's first byte has come
    _head_read = False
    _head_bytes = 0  # received since the last head was read in full: at most MAX_HEAD_BYTES until the next is
    _read_timer: asyncio.TimerHandle | None = None
    _write_timer: asyncio.TimerHandle | None = None  # while writing is paused: when to look for the client's progress
    _unsent = 0  # bytes waiting to be sent when the write timer was set

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(HeldWrites(transport, self.loop))  # type: ignore[arg-type]
        self._read_deadline = self.loop.time() + self.read_timeout  # for its first request's first byte
        self._read_timer = self.loop.call_at(self._read_deadline, self._check_reading)
        connection = transport.get_extra_info("ssl_object")
        if connection is not None:  # the handshake is over by now
            cipher = connection.cipher()
            self._tls = {"version": connection.version() or "", "cipher": cipher[0] if cipher else ""}

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        for timer in (self._read_timer, self._write_timer):
            if timer is not None:
                timer.cancel()
        self._read_timer = self._write_timer = None

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._write_timer is None:
            self._watch_writing()

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None

    def _watch_writing(self) -> None:
        self._unsent = self._unsent_bytes()
        self._write_timer = self.loop.call_later(self.read_timeout, self._check_writing)

    def _check_writing(self) -> None:
        self._write_timer = None
        if not self.flow.write_paused or self.transport.is_closing():
            return
        if self._unsent_bytes() < self._unsent:  # slow, but taking its answers
            self._watch_writing()
            return
        log.info("closed a connection from %s: its answers not read for %g s",
                 self.client[0] if self.client else "?", self.read_timeout)
        self.transport.abort()

    def data_received(self, data: bytes) -> None:
        if not (self._began and self._head_read):  # not in a body: bytes of a head, perhaps after a request's end
            self._head_bytes += len(data)
        super().data_received(data)
        # on_headers_complete starts the count again, so only a head still unfinished can be over the limit here
        if self._head_bytes > MAX_HEAD_BYTES and not self.transport.is_closing():
            log.info("closed a connection from %s: a request's head over %d bytes",
                     self.client[0] if self.client else "?", MAX_HEAD_BYTES)
            self._refuse(b"431 Request Header Fields Too Large",
                         f"The request's line and headers are over {MAX_HEAD_BYTES} bytes.")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._tls is not None:
            self.scope["extensions"] = {TLS_EXTENSION: self._tls}  # type: ignore[typeddict-unknown-key]
        self._began, self._head_read = True, False
        self._read_deadline = self.loop.time() + self.read_timeout
        if self._read_timer is None:  # one timer per connection, moved on only when it fires (_check_reading)
            self._read_timer = self.loop.call_at(self._read_deadline, self._check_reading)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._head_read, self._head_bytes = True, 0
        self._read_deadline = self.loop.time() + self.read_timeout

    def on_body(self, body: bytes) -> None:
        super().on_body(body)
        self._read_deadline = self.loop.time() + self.read_timeout

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._read_deadline, self._began = 0.0, False

    def _check_reading(self) -> None:
        self._read_timer = None
        if not self._read_deadline or self.transport.is_closing():
            return
        left = self._read_deadline - self.loop.time()
        # Reading paused: the server has not taken what came yet (a request queued behind another), so the wait
        # is not the client's.
        if left > 0 or self.flow.read_paused or not self._answered_before():
            self._read_timer = self.loop.call_later(left if left > 0 else self.read_timeout, self._check_reading)
            return
        log.info("closed a connection from %s: %s within %g s", self.client[0] if self.client else "?",
                 "a request not sent in full" if self._began else "no request", self.read_timeout)
        # A connection opened ahead of its first request is closed unanswered: a 408 would reach its client as the
        # answer to the request it may be sending just now.
        if self._began and (not self._head_read or not self.cycle.response_started):
            self._refuse(b"408 Request Timeout", f"The request was not sent in full within {self.read_timeout:g} s.")
        else:
            self.transport.close()

    def _unsent_bytes(self) -> int:
        """What waits to reach the client: in the transport's buffer and, where the system tells, in the kernel's
        (which the transport refills only once a good part of it is free: megabytes, on a fast link)."""
        unsent = self.transport.get_write_buffer_size()
        sock = self.transport.get_extra_info("socket")
        if _KERNEL_OUTQ is not None and sock is not None:
            with contextlib.suppress(OSError):
                unsent += struct.unpack("i", fcntl.ioctl(sock.fileno(), _KERNEL_OUTQ, b"\0\0\0\0"))[0]
        return unsent

    def _refuse(self, status: bytes, reason: str) -> None:
        """Answer the request being read, in plain text (its protocol may not be known yet), and close."""
        body = reason.encode()
        self.transport.write(b"HTTP/1.1 %s\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
                             b"content-length: %d\r\n\r\n%s" % (status, len(body), body))
        self.transport.close()

    def _answered_before(self) -> bool:
        """Whether every request before the one being read has its answer (a pipelined one may not yet)."""
        if self._head_read:
            return True  # the request being read is the cycle's own: nothing comes before it here
        return self.cycle is None or self.cycle.response_complete


def set_read_timeout(seconds: float) -> None:
    """How long a client may take to send a request's head, pause in its body, or leave its answers untaken (the
    server's setting)."""
    HeldWritesProtocol.read_timeout = seconds


IMPORT_STRING = f"{__name__}:{HeldWritesProtocol.__name__}"
