"""Bodies over the server's limit (PROFILESTACK_MAX_REQUEST_BYTES) are refused unread: 413 in the client's protocol.
Bodies received in parts at once are held to a budget together (PROFILESTACK_MAX_BUFFERED_REQUEST_BYTES): 503."""

from __future__ import annotations

import gzip
import http.client
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server, dedicated_server
from tests.e2e.wire import FORM, IDENTITY, identity_request_bytes, send, signed_request

LIMIT = 4096
BUDGET = 6144  # bodies being received at once, in all


@pytest.fixture(scope="module")
def small_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with dedicated_server(Path(tmp_path_factory.mktemp("small")), PROFILESTACK_MAX_REQUEST_BYTES=str(LIMIT),
                          PROFILESTACK_MAX_BUFFERED_REQUEST_BYTES=str(BUDGET)) as server:
        yield server


def test_a_rest_json_body_over_the_limit_is_413_in_rest_json(small_server: Server) -> None:
    profiles = small_server.client("customer-profiles")
    profiles.create_domain(DomainName="sized", DefaultExpirationDays=5)
    profiles.create_profile(DomainName="sized", AdditionalInformation="x" * 1000)  # under the limit: served
    with pytest.raises(ClientError) as caught:
        profiles.create_profile(DomainName="sized", Attributes={f"k{i}": "v" * 200 for i in range(30)})
    response = caught.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert response["Error"] == {"Code": "RequestEntityTooLarge",
                                 "Message": f"The request body is larger than the {LIMIT}-byte limit."}
    assert profiles.get_domain(DomainName="sized")["Stats"]["ProfileCount"] == 1  # nothing of it was done


def test_a_query_body_over_the_limit_is_413_in_xml(small_server: Server) -> None:
    body = "Action=GetCallerIdentity&Version=2011-06-15&Padding=" + "x" * LIMIT
    status, headers, payload = send(signed_request(f"{small_server.endpoint}/", "sts", "us-east-1", body=body,
                                                   headers=FORM))
    assert status == 413
    error = ElementTree.fromstring(payload).find("{*}Error")
    assert (error.findtext("{*}Code"), error.findtext("{*}Type")) == ("RequestEntityTooLarge", "Sender")
    assert headers["x-amzn-requestid"]


def test_a_chunked_body_is_refused_once_it_passes_the_limit(small_server: Server) -> None:
    """Without a Content-Length the body is counted as it arrives."""
    request = signed_request(f"{small_server.endpoint}/", "monitoring", "us-east-1", body=b"{}", headers={
        "X-Amz-Target": "GraniteServiceVersion20100801.ListMetrics", "Content-Type": "application/x-amz-json-1.0",
        "x-amzn-query-mode": "true"})
    headers = {name: value for name, value in request.headers.items() if name.lower() != "content-length"}
    connection = http.client.HTTPConnection("127.0.0.1", int(small_server.endpoint.rsplit(":", 1)[1]), timeout=10)
    connection.request("POST", "/", body=iter([b"{" + b" " * 1000] * 8 + [b"}"]), headers=headers,
                       encode_chunked=True)
    response = connection.getresponse()
    assert (response.status, response.getheader("x-amzn-query-error")) == (413, "RequestEntityTooLarge;Sender")
    connection.close()


def test_a_declared_length_over_the_limit_is_refused_before_the_body_arrives(small_server: Server) -> None:
    """Content-Length says 10 MB; the first kilobyte is all that is sent, and the answer comes without the rest."""
    port = int(small_server.endpoint.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"PUT /domains/sized/profiles/objects HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 10000000\r\n\r\n" + b" " * 1024)
        head = sock.recv(65536).decode("latin-1")
    assert head.startswith("HTTP/1.1 413 ")
    assert "x-amzn-errortype: requestentitytoolarge" in head.lower()


def test_a_compressed_body_is_held_to_the_limit_once_inflated(small_server: Server) -> None:
    """A small gzip body that inflates past the limit (a zip bomb, at scale) is refused, and so is one that fits
    only while compressed; one that inflates within the limit is served."""
    cloudwatch = {"X-Amz-Target": "GraniteServiceVersion20100801.ListMetrics", "x-amzn-query-mode": "true",
                  "Content-Type": "application/x-amz-json-1.0", "Content-Encoding": "gzip"}
    bomb = gzip.compress(b"{" + b" " * 1_000_000 + b"}")
    assert len(bomb) < LIMIT
    status, headers, _ = send(signed_request(f"{small_server.endpoint}/", "monitoring", "us-east-1", body=bomb,
                                             headers=cloudwatch))
    assert (status, headers["x-amzn-query-error"]) == (413, "RequestEntityTooLarge;Sender")
    fits = gzip.compress(b"{" + b" " * (LIMIT - 100) + b"}")
    status, _, body = send(signed_request(f"{small_server.endpoint}/", "monitoring", "us-east-1", body=fits,
                                          headers=cloudwatch))
    assert (status, json.loads(body)["Metrics"]) == (200, [])


def _identity_in_two_parts(server: Server, size: int) -> tuple[socket.socket, bytes]:
    """A signed GetCallerIdentity with a body of ``size`` bytes: its head and first kilobyte sent on a new
    connection, the rest returned for the caller to send."""
    body = f"{IDENTITY}&Padding="
    raw = identity_request_bytes(server.endpoint, body=body + "x" * (size - len(body)))
    split = raw.index(b"\r\n\r\n") + 4 + 1024
    sock = socket.create_connection(("127.0.0.1", int(server.endpoint.rsplit(":", 1)[1])), timeout=10)
    sock.sendall(raw[:split])
    time.sleep(0.3)  # read, as a part of its own
    return sock, raw[split:]


def test_bodies_received_at_once_past_their_budget_are_refused_503_until_one_ends(small_server: Server) -> None:
    port = int(small_server.endpoint.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as holding:
        holding.sendall(b"PUT /domains/sized/profiles/objects HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        b"Content-Type: application/json\r\nContent-Length: 4000\r\n\r\n" + b" " * 3500)
        time.sleep(0.3)  # 3,500 bytes of the budget held, the body not complete
        sock, rest = _identity_in_two_parts(small_server, 3000)  # 1,024 more: within the budget so far
        with sock:
            sock.sendall(rest)  # the rest would take the bodies being received past 6,144 bytes
            refused = sock.recv(65536)
    assert refused.startswith(b"HTTP/1.1 503 ")
    assert b"<Code>ServiceUnavailable</Code>" in refused
    sock, rest = _identity_in_two_parts(small_server, 3000)  # the held body gone: room again
    with sock:
        sock.sendall(rest)
        answered = sock.recv(65536)
    assert answered.startswith(b"HTTP/1.1 200 ")
    assert b"<Account>" in answered
    assert "the request bodies being received fill the 6144-byte budget" in small_server.logs()
