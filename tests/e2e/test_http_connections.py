"""HTTP connections end to end over raw sockets: pipelined requests, many connections at once, and
``Connection: close`` — what the held writes of http_protocol.py must keep intact — and clients too slow to
send their requests."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from tests.conftest import Server, dedicated_server, server_on
from tests.e2e.wire import identity_request_bytes, query_request_bytes


def read_responses(sock: socket.socket, count: int) -> tuple[list[tuple[int, dict[str, str], bytes]], bytes]:
    """``count`` whole responses, and the bytes already received past them."""
    buffer, responses = b"", []
    while len(responses) < count:
        head_end = buffer.find(b"\r\n\r\n")
        if head_end >= 0:
            head = buffer[:head_end].decode("latin-1").split("\r\n")
            headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in head[1:])}
            end = head_end + 4 + int(headers["content-length"])
            if len(buffer) >= end:
                responses.append((int(head[0].split()[1]), headers, buffer[head_end + 4:end]))
                buffer = buffer[end:]
                continue
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {len(responses)} of {count} responses"
        buffer += chunk
    return responses, buffer


def read_until_quiet(sock: socket.socket, wait: float = 0.5) -> bytes:
    """What the peer sends until it closes the connection or stays silent for ``wait`` seconds."""
    previous = sock.gettimeout()
    sock.settimeout(wait)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except TimeoutError:
        pass
    finally:
        sock.settimeout(previous)
    return received


def connect(endpoint: str) -> socket.socket:
    parts = urlsplit(endpoint)
    return socket.create_connection((parts.hostname, parts.port), timeout=10)


def test_pipelined_requests_are_answered_in_order_on_one_connection(server) -> None:
    with connect(server.endpoint) as sock:
        sock.sendall(identity_request_bytes(server.endpoint) * 3)
        responses, received_past_them = read_responses(sock, 3)
        rest = received_past_them + read_until_quiet(sock)
        sock.sendall(identity_request_bytes(server.endpoint))  # the connection is still open for more
        (status, _, _), = read_responses(sock, 1)[0]
        assert status == 200
    assert [status for status, _, _ in responses] == [200, 200, 200]
    ids = [headers["x-amzn-requestid"] for _, headers, _ in responses]
    assert len(set(ids)) == 3
    for (_, _, body), request_id in zip(responses, ids, strict=True):
        assert b"<Account>000000000000</Account>" in body
        assert re.search(rb"<RequestId>([^<]+)</RequestId>", body).group(1).decode() == request_id
    assert rest == b""  # three answers, nothing more


def test_many_connections_at_once_each_get_their_own_answer(server) -> None:
    def one_connection(_: int) -> list[str]:
        with connect(server.endpoint) as sock:
            answers = []
            for _ in range(5):
                sock.sendall(identity_request_bytes(server.endpoint))
                (status, headers, body), = read_responses(sock, 1)[0]
                assert status == 200 and headers["x-amzn-requestid"].encode() in body
                answers.append(headers["x-amzn-requestid"])
            return answers

    with ThreadPoolExecutor(16) as pool:
        ids = [request_id for answers in pool.map(one_connection, range(32)) for request_id in answers]
    assert len(ids) == len(set(ids)) == 160


def test_connection_close_gets_the_whole_answer_then_the_end_of_the_stream(server) -> None:
    with connect(server.endpoint) as sock:
        sock.sendall(identity_request_bytes(server.endpoint, {"Connection": "close"}))
        (status, headers, body), = read_responses(sock, 1)[0]
        assert sock.recv(1) == b""  # closed by the server once the answer was out
    assert status == 200
    assert headers["connection"] == "close"
    assert b"<Account>000000000000</Account>" in body


def test_expect_100_continue_is_answered_before_the_body_is_sent(server) -> None:
    raw_request = identity_request_bytes(server.endpoint, {"Expect": "100-continue"})
    head, _, body = raw_request.partition(b"\r\n\r\n")
    with connect(server.endpoint) as sock:
        sock.sendall(head + b"\r\n\r\n")
        interim = b""
        while not interim.endswith(b"\r\n\r\n"):
            chunk = sock.recv(1)
            assert chunk, "connection closed before 100 Continue"
            interim += chunk
        assert interim.startswith(b"HTTP/1.1 100 ")
        sock.sendall(body)
        (status, _, answer), = read_responses(sock, 1)[0]
    assert status == 200
    assert b"<Account>000000000000</Account>" in answer


def test_an_idle_connection_outlives_a_pause_between_calls(server) -> None:
    """A client polling every few seconds (a job's status, say) reuses its connection: the server does not close it
    after uvicorn's five idle seconds."""
    if server.backend != "sqlite":
        pytest.skip("the HTTP layer is the same on every backend: its six idle seconds are waited once")
    with connect(server.endpoint) as sock:
        sock.sendall(identity_request_bytes(server.endpoint))
        assert read_responses(sock, 1)[0][0][0] == 200
        time.sleep(6)
        sock.sendall(identity_request_bytes(server.endpoint))
        assert read_responses(sock, 1)[0][0][0] == 200


# Slow clients: the read timeout (http_protocol.py), one second here. The HTTP layer is the same on every backend.
READ_SECONDS = 1
TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\n"


@pytest.fixture(scope="module")
def impatient_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with server_on("sqlite", tmp_path_factory.mktemp("impatient"),
                   PROFILESTACK_REQUEST_READ_SECONDS=str(READ_SECONDS)) as instance:
        yield instance


def closed_within(sock: socket.socket, seconds: float) -> tuple[bytes, float]:
    """What the server sends until it closes the connection, and after how long; fails if it is still open."""
    started, received = time.monotonic(), b""
    sock.settimeout(seconds)
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except TimeoutError:
        pytest.fail(f"the connection was still open after {seconds} s, having sent {received!r}")
    return received, time.monotonic() - started


def identity_calls(server: Server) -> int:
    trail = server.client("cloudtrail")
    return len(trail.lookup_events(LookupAttributes=[{"AttributeKey": "EventName",
                                                      "AttributeValue": "GetCallerIdentity"}])["Events"])


def test_a_connection_that_sends_nothing_is_closed_unanswered(impatient_server: Server) -> None:
    with connect(impatient_server.endpoint) as sock:
        received, after = closed_within(sock, READ_SECONDS + 3)
    assert received == b""  # a 408 could be taken for the answer to a request sent just then
    assert after > READ_SECONDS - 0.2
    assert "no request within 1 s" in impatient_server.logs()


def test_half_a_head_gets_408_and_the_server_serves_others_meanwhile(impatient_server: Server) -> None:
    with connect(impatient_server.endpoint) as stalled, connect(impatient_server.endpoint) as other:
        stalled.sendall(identity_request_bytes(impatient_server.endpoint)[:40])
        other.sendall(identity_request_bytes(impatient_server.endpoint))
        assert read_responses(other, 1)[0][0][0] == 200
        received, _ = closed_within(stalled, READ_SECONDS + 3)
    assert received.startswith(TIMED_OUT)
    assert b"connection: close" in received
    assert received.endswith(b"The request was not sent in full within 1 s.")


def test_a_head_sent_a_little_at_a_time_must_be_complete_within_the_timeout(impatient_server: Server) -> None:
    head = identity_request_bytes(impatient_server.endpoint).partition(b"\r\n\r\n")[0]
    with connect(impatient_server.endpoint) as sock:
        started = time.monotonic()
        try:
            for offset in range(0, len(head), 20):  # never silent for long, but never done either
                sock.sendall(head[offset:offset + 20])
                time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            pass
        received, _ = closed_within(sock, READ_SECONDS + 3)
    assert time.monotonic() - started < READ_SECONDS + 1.5
    assert received.startswith(TIMED_OUT)


def test_a_stalled_body_gets_408_and_no_call_is_served(impatient_server: Server) -> None:
    before = identity_calls(impatient_server)
    with connect(impatient_server.endpoint) as sock:
        sock.sendall(identity_request_bytes(impatient_server.endpoint)[:-5])
        received, _ = closed_within(sock, READ_SECONDS + 3)
    assert received.startswith(TIMED_OUT)
    time.sleep(0.5)  # the audit writer's interval, many times over
    assert identity_calls(impatient_server) == before


def test_a_client_gone_before_its_body_arrived_is_neither_answered_nor_recorded(impatient_server: Server) -> None:
    """Half a body is no call: served, it would at best fail its signature and leave a call in the trail that
    nobody made."""
    before = identity_calls(impatient_server)
    with connect(impatient_server.endpoint) as sock:
        sock.sendall(identity_request_bytes(impatient_server.endpoint)[:-5])
        time.sleep(0.2)
    impatient_server.client("sts").get_caller_identity()  # the one call made
    time.sleep(0.5)
    assert identity_calls(impatient_server) == before + 1


def test_a_body_that_keeps_coming_may_take_longer_than_the_timeout(impatient_server: Server) -> None:
    head, _, body = identity_request_bytes(impatient_server.endpoint).partition(b"\r\n\r\n")
    with connect(impatient_server.endpoint) as sock:
        sock.sendall(head + b"\r\n\r\n")
        started = time.monotonic()
        for offset in range(0, len(body), len(body) // 3 + 1):  # pauses shorter than the timeout, longer in all
            time.sleep(READ_SECONDS * 0.6)
            sock.sendall(body[offset:offset + len(body) // 3 + 1])
        (status, _, answer), = read_responses(sock, 1)[0]
    assert time.monotonic() - started > READ_SECONDS
    assert status == 200 and b"<Account>000000000000</Account>" in answer


def test_a_head_over_64_kib_gets_431_and_is_not_read_further(impatient_server: Server) -> None:
    with connect(impatient_server.endpoint) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Big: ")
        try:
            for _ in range(64):  # a header that would go on for 16 MiB
                sock.sendall(b"a" * 256 * 1024)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused on the way, as it should be
        received, _ = closed_within(sock, 5)
    assert received.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
    assert received.endswith(b"The request's line and headers are over 65536 bytes.")


def test_a_large_head_within_the_limit_and_a_long_pipelined_burst_are_served(impatient_server: Server) -> None:
    large = identity_request_bytes(impatient_server.endpoint, {"X-Notes": "n" * 60_000})  # signed with it
    with connect(impatient_server.endpoint) as sock:
        sock.sendall(large)
        (status, _, answer), = read_responses(sock, 1)[0]
        assert status == 200 and b"<Account>000000000000</Account>" in answer
        burst = identity_request_bytes(impatient_server.endpoint) * 400  # each head small, together far over the limit
        assert len(burst) > 2 * 64 * 1024
        sock.sendall(burst)
        answers, _ = read_responses(sock, 400)
    assert [status for status, _, _ in answers] == [200] * 400


def test_every_process_of_a_multi_process_server_keeps_the_read_timeout(tmp_path) -> None:
    with dedicated_server(tmp_path, PROFILESTACK_WORKERS="2",
                          PROFILESTACK_REQUEST_READ_SECONDS=str(READ_SECONDS)) as server:
        stalled = [connect(server.endpoint) for _ in range(6)]  # taken by either process
        try:
            for sock in stalled:
                sock.sendall(identity_request_bytes(server.endpoint)[:40])
            answers = [closed_within(sock, READ_SECONDS + 3)[0] for sock in stalled]
        finally:
            for sock in stalled:
                sock.close()
    assert all(answer.startswith(TIMED_OUT) for answer in answers)


def test_a_client_that_stops_reading_its_answers_is_disconnected(impatient_server: Server) -> None:
    """Answers fill the connection's buffers and the client takes none of them for the timeout: the server drops
    the connection (and the answer it held) instead of waiting for ever, and serves others meanwhile."""
    body = json.dumps({"widgets": [{"type": "text", "properties": {"markdown": "x" * 500_000}}]})
    impatient_server.client("cloudwatch").put_dashboard(DashboardName="big", DashboardBody=body)
    dashboard = query_request_bytes(impatient_server.endpoint, "monitoring",
                                    "Action=GetDashboard&Version=2010-08-01&DashboardName=big")
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting: a small window
        sock.settimeout(10)
        address = urlsplit(impatient_server.endpoint)
        sock.connect((address.hostname, address.port))
        sock.sendall(dashboard * 20)  # ten megabytes of answers, more than the buffers hold
        time.sleep(READ_SECONDS + 2)
        with connect(impatient_server.endpoint) as other:
            other.sendall(identity_request_bytes(impatient_server.endpoint))
            assert read_responses(other, 1)[0][0][0] == 200
        received = 0
        with contextlib.suppress(ConnectionResetError):  # what the kernel still held for it, then the end
            while chunk := sock.recv(65536):
                received += len(chunk)
    assert received < 20 * 500_000  # not every answer came: the rest went with the connection
    assert "its answers not read for 1 s" in impatient_server.logs()


def test_a_client_slow_to_read_its_answers_gets_them_all(impatient_server: Server) -> None:
    """Taking its answers in bursts, more slowly than they are written, for longer than the timeout, is not
    stopping: each answer here waits on the client for longer than the timeout, while the client takes some of it
    within every timeout."""
    body = json.dumps({"widgets": [{"type": "text", "properties": {"markdown": "y" * 4_000_000}}]})
    impatient_server.client("cloudwatch").put_dashboard(DashboardName="slow", DashboardBody=body)
    drops_before = impatient_server.logs().count("answers not read")
    dashboard = query_request_bytes(impatient_server.endpoint, "monitoring",
                                    "Action=GetDashboard&Version=2010-08-01&DashboardName=slow")
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 18)
        sock.settimeout(10)
        address = urlsplit(impatient_server.endpoint)
        sock.connect((address.hostname, address.port))
        sock.sendall(dashboard * 3)
        buffer = b""
        for _ in range(6):  # a megabyte at a time, then a pause shorter than the timeout
            burst = len(buffer) + (1 << 20)
            while len(buffer) < burst:
                chunk = sock.recv(burst - len(buffer))
                assert chunk, f"closed after {len(buffer)} bytes"
                buffer += chunk
            time.sleep(READ_SECONDS * 0.6)
        while buffer.count(b"</GetDashboardResponse>") < 3:
            chunk = sock.recv(1 << 20)
            assert chunk, f"closed after {buffer.count(b'</GetDashboardResponse>')} answers, {len(buffer)} bytes"
            buffer += chunk
    assert impatient_server.logs().count("answers not read") == drops_before
