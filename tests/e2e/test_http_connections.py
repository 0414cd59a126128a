"""HTTP connections end to end over raw sockets: pipelined requests, many connections at once, and
``Connection: close`` — what the held writes of http_protocol.py must keep intact."""

from __future__ import annotations

import re
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from tests.e2e.wire import FORM, signed_request

IDENTITY = "Action=GetCallerIdentity&Version=2011-06-15"


def request_bytes(endpoint: str, extra_headers: dict[str, str] | None = None) -> bytes:
    request = signed_request(f"{endpoint}/", "sts", "us-east-1", body=IDENTITY, headers={**FORM,
                                                                                         **(extra_headers or {})})
    body = request.body if isinstance(request.body, bytes) else request.body.encode()
    host = urlsplit(endpoint).netloc
    lines = ["POST / HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in request.headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


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
        sock.sendall(request_bytes(server.endpoint) * 3)
        responses, received_past_them = read_responses(sock, 3)
        rest = received_past_them + read_until_quiet(sock)
        sock.sendall(request_bytes(server.endpoint))  # the connection is still open for more
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
                sock.sendall(request_bytes(server.endpoint))
                (status, headers, body), = read_responses(sock, 1)[0]
                assert status == 200 and headers["x-amzn-requestid"].encode() in body
                answers.append(headers["x-amzn-requestid"])
            return answers

    with ThreadPoolExecutor(16) as pool:
        ids = [request_id for answers in pool.map(one_connection, range(32)) for request_id in answers]
    assert len(ids) == len(set(ids)) == 160


def test_connection_close_gets_the_whole_answer_then_the_end_of_the_stream(server) -> None:
    with connect(server.endpoint) as sock:
        sock.sendall(request_bytes(server.endpoint, {"Connection": "close"}))
        (status, headers, body), = read_responses(sock, 1)[0]
        assert sock.recv(1) == b""  # closed by the server once the answer was out
    assert status == 200
    assert headers["connection"] == "close"
    assert b"<Account>000000000000</Account>" in body


def test_expect_100_continue_is_answered_before_the_body_is_sent(server) -> None:
    raw_request = request_bytes(server.endpoint, {"Expect": "100-continue"})
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
        sock.sendall(request_bytes(server.endpoint))
        assert read_responses(sock, 1)[0][0][0] == 200
        time.sleep(6)
        sock.sendall(request_bytes(server.endpoint))
        assert read_responses(sock, 1)[0][0][0] == 200
