"""Held writes (http_protocol.py): a connection's writes leave together, at the end of the event loop's turn."""

from __future__ import annotations

import asyncio

import uvloop

from profilestack.http_protocol import HeldWrites


class RecordingTransport:
    """Stands in for the event loop's socket transport: records what reaches it."""

    def __init__(self, log: list[tuple[str, object]], name: str) -> None:
        self.log, self.name, self.closing = log, name, False

    def write(self, data: bytes) -> None:
        self.log.append((self.name, data))

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True
        self.log.append((self.name, "closed"))

    def get_extra_info(self, name: str, default: object = None) -> object:
        return ("127.0.0.1", 4566) if name == "sockname" else default


def run_in_turns(steps) -> list[tuple[str, object]]:
    """Run ``steps(loop, log)`` as a callback of a fresh uvloop loop, then one more turn; what was written."""
    loop = uvloop.new_event_loop()
    log: list[tuple[str, object]] = []
    try:
        async def main() -> None:
            steps(loop, log)
            log.append(("steps", "done"))
            await asyncio.sleep(0)
            await asyncio.sleep(0)

        loop.run_until_complete(main())
    finally:
        loop.close()
    return log


def test_a_responses_head_and_body_leave_in_one_write_after_the_turn() -> None:
    def steps(loop, log):
        connection = HeldWrites(RecordingTransport(log, "a"), loop)
        connection.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        connection.write(b"ok")

    assert run_in_turns(steps) == [("steps", "done"), ("a", b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")]


def test_connections_written_in_one_turn_leave_together_in_order() -> None:
    def steps(loop, log):
        first = HeldWrites(RecordingTransport(log, "a"), loop)
        second = HeldWrites(RecordingTransport(log, "b"), loop)
        first.write(b"1")
        second.write(b"2")
        loop.call_soon(log.append, ("queued after the first write", "ran"))  # queued after it: runs after it
        first.write(b"3")

    assert run_in_turns(steps) == [("steps", "done"), ("a", b"13"), ("b", b"2"),
                                   ("queued after the first write", "ran")]


def test_close_writes_what_is_held_first_and_nothing_is_written_twice() -> None:
    def steps(loop, log):
        connection = HeldWrites(RecordingTransport(log, "a"), loop)
        connection.write(b"last response")
        connection.close()

    assert run_in_turns(steps) == [("a", b"last response"), ("a", "closed"), ("steps", "done")]


def test_a_transport_closed_by_the_peer_is_not_written_to() -> None:
    def steps(loop, log):
        transport = RecordingTransport(log, "a")
        connection = HeldWrites(transport, loop)
        connection.write(b"too late")
        transport.closing = True

    assert run_in_turns(steps) == [("steps", "done")]


def test_writes_after_a_write_out_start_a_new_one() -> None:
    def steps(loop, log):
        connection = HeldWrites(RecordingTransport(log, "a"), loop)
        connection.write(b"first")
        loop.call_soon(connection.write, b"second")  # runs after the first write-out was queued

    assert run_in_turns(steps) == [("steps", "done"), ("a", b"first"), ("a", b"second")]


def test_everything_else_goes_to_the_transport() -> None:
    transport = RecordingTransport([], "a")
    loop = uvloop.new_event_loop()
    try:
        connection = HeldWrites(transport, loop)
        assert connection.get_extra_info("sockname") == ("127.0.0.1", 4566)
        assert connection.is_closing() is False
    finally:
        loop.close()
