"""Calls from web pages (CORS): a browser's preflight, the headers that let a page read an answer, and the refusal
of pages of origins that may not call — before anything is authenticated or changed."""

from __future__ import annotations

import http.client
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cbor2
import pytest
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ClientError

from profilestack.testing import free_port
from tests.conftest import Server, dedicated_server
from tests.e2e.cli import PROFILESTACK
from tests.e2e.errors import refused
from tests.e2e.identities import unique
from tests.e2e.waiting import wait_for
from tests.e2e.wire import FORM, raw, send, sent_with, signed_request

LOCAL_PAGE = "http://localhost:5173"  # a development server's page on the developer's machine
FOREIGN_PAGE = "https://evil.example"
SDK_HEADERS = "amz-sdk-invocation-id,amz-sdk-request,authorization,content-type,x-amz-date,x-amz-user-agent"


@pytest.fixture(scope="module")
def served(shared_servers) -> Server:
    return shared_servers("sqlite")  # decided before storage is touched: one backend is enough


def from_page(client: Any, origin: str) -> Any:
    """The client's calls as a browser sends them for a page of ``origin``."""
    return sent_with(client, Origin=origin)


def preflight(server: Server, path: str, origin: str, method: str = "POST") -> tuple[int, dict[str, str], bytes]:
    return raw(f"{server.endpoint}{path}", method="OPTIONS", headers={
        "Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": SDK_HEADERS})


def exposed(headers: dict[str, str]) -> set[str]:
    return {name.strip().lower() for name in headers["access-control-expose-headers"].split(",")}


@pytest.mark.parametrize(("path", "method"), [("/", "POST"), ("/domains/sales/profiles/search", "POST"),
                                              ("/domains/sales", "DELETE")])
def test_a_preflight_from_a_page_on_this_machine_gets_what_the_sdk_sends(served: Server, path: str,
                                                                         method: str) -> None:
    status, headers, body = preflight(served, path, LOCAL_PAGE, method)
    assert status == 200 and body == b""
    assert headers["access-control-allow-origin"] == LOCAL_PAGE
    assert method in [name.strip() for name in headers["access-control-allow-methods"].split(",")]
    assert headers["access-control-allow-headers"] == SDK_HEADERS
    assert headers["vary"] == "Origin"
    assert int(headers["access-control-max-age"]) > 0


def test_a_preflight_from_a_page_of_another_origin_is_refused(served: Server) -> None:
    status, headers, _ = preflight(served, "/", FOREIGN_PAGE)
    assert status == 403
    assert "access-control-allow-origin" not in headers


def test_a_page_on_this_machine_reads_answers_and_their_headers(served: Server) -> None:
    sts = from_page(served.client("sts"), LOCAL_PAGE)  # query protocol
    answer = sts.get_caller_identity()
    headers = answer["ResponseMetadata"]["HTTPHeaders"]
    assert answer["Account"] == "000000000000"
    assert headers["access-control-allow-origin"] == LOCAL_PAGE
    assert {"x-amzn-requestid", "date"} <= exposed(headers)

    status, headers, _ = send(signed_request(  # Smithy RPC v2 CBOR
        f"{served.endpoint}/service/GraniteServiceVersion20100801/operation/ListMetrics", "monitoring", "us-east-1",
        body=cbor2.dumps({"Namespace": "Nothing/Here"}),
        headers={"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor", "Origin": LOCAL_PAGE}))
    assert status == 200 and headers["access-control-allow-origin"] == LOCAL_PAGE
    assert "smithy-protocol" in exposed(headers)  # the SDK checks it before it reads the body

    profiles = from_page(served.client("customer-profiles"), LOCAL_PAGE)  # REST-JSON, an error
    with pytest.raises(ClientError) as caught:
        profiles.get_domain(DomainName="no-such-domain-for-pages")
    headers = caught.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert headers["access-control-allow-origin"] == LOCAL_PAGE
    assert {"x-amzn-errortype", "x-amzn-requestid"} <= exposed(headers)  # where the SDK reads the error's type


def test_calls_from_a_page_of_another_origin_are_refused_and_change_nothing(served: Server) -> None:
    name = unique("made-by-a-page")
    iam = from_page(served.client("iam"), FOREIGN_PAGE)
    code, message = refused(iam.create_user, UserName=name)
    assert code == "AccessDenied"
    assert FOREIGN_PAGE in message and "PROFILESTACK_CORS_ORIGINS" in message
    assert refused(served.client("iam").get_user, UserName=name)[0] == "NoSuchEntity"

    profiles = from_page(served.client("customer-profiles"), FOREIGN_PAGE)
    with pytest.raises(ClientError) as caught:
        profiles.create_domain(DomainName=name, DefaultExpirationDays=5)
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"  # as JSON services spell it
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "access-control-allow-origin" not in caught.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert refused(served.client("customer-profiles").get_domain, DomainName=name)[0] == "ResourceNotFoundException"


def test_a_signed_form_a_foreign_page_posts_without_asking_is_refused(served: Server) -> None:
    """A form post needs no preflight: a page could send one signed with the well-known test key pair."""
    name = unique("posted-by-a-form")

    def form_from(origin: str) -> AWSRequest:
        return signed_request(f"{served.endpoint}/", "iam", "us-east-1",
                              body=f"Action=CreateUser&UserName={name}&Version=2010-05-08",
                              headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": origin})

    status, _, body = send(form_from(FOREIGN_PAGE))
    assert status == 403 and b"<Code>AccessDenied</Code>" in body
    assert refused(served.client("iam").get_user, UserName=name)[0] == "NoSuchEntity"
    status, headers, _ = send(form_from(LOCAL_PAGE))  # the same form from a page that may call
    assert status == 200 and headers["access-control-allow-origin"] == LOCAL_PAGE
    assert served.client("iam").get_user(UserName=name)["User"]["UserName"] == name


def test_a_presigned_link_a_foreign_page_loads_as_an_image_is_refused(served: Server) -> None:
    """An image's or a link's GET carries no Origin: the browser's Sec-Fetch-Site and Referer tell whose page it is."""
    iam = served.client("iam")

    def load(user: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
        url = iam.generate_presigned_url("create_user", Params={"UserName": user}, ExpiresIn=60, HttpMethod="GET")
        return raw(url, method="GET", headers=headers)

    foreign, local, typed = unique("linked-by-a-foreign-page"), unique("linked-by-a-local-page"), unique("typed")
    status, _, body = load(foreign, **{"Sec-Fetch-Site": "cross-site", "Referer": FOREIGN_PAGE})
    assert status == 403 and b"<Code>AccessDenied</Code>" in body
    status, _, _ = load(foreign, **{"Sec-Fetch-Site": "cross-site"})  # no Referer: an unknown page
    assert status == 403
    assert refused(iam.get_user, UserName=foreign)[0] == "NoSuchEntity"
    assert load(local, **{"Sec-Fetch-Site": "cross-site", "Referer": f"{LOCAL_PAGE}/"})[0] == 200
    assert load(typed, **{"Sec-Fetch-Site": "none"})[0] == 200  # an address typed into the browser
    assert iam.get_user(UserName=typed)["User"]["UserName"] == typed


def test_a_link_from_another_site_to_the_console_opens_it(served: Server) -> None:
    status, _, body = raw(f"{served.endpoint}/_profilestack/console/login", method="GET",
                          headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"})
    assert status == 200 and b"<form" in body


def test_a_page_that_points_its_own_name_at_this_machine_is_refused(served: Server) -> None:
    """DNS rebinding: once a site's page is open, the site points its name at 127.0.0.1, and the page's calls reach
    the local server as the server's own pages' would — ``Host`` the site's name, no ``Origin`` on a ``GET``, no
    ``Sec-Fetch-Site`` over plain HTTP. Only the name tells them apart."""
    iam = served.client("iam")
    rebound = unique("rebound")
    url = iam.generate_presigned_url("create_user", Params={"UserName": rebound}, ExpiresIn=60, HttpMethod="GET")
    status, _, body = raw(url, method="GET", headers={"Host": f"rebound.example:{served.port}"})
    assert status == 403 and b"<Code>AccessDenied</Code>" in body
    assert b"not to rebound.example: a web page of another site reaching it by its own name" in body
    assert refused(iam.get_user, UserName=rebound)[0] == "NoSuchEntity"
    status, _, body = raw(f"{served.endpoint}/_profilestack/health", method="GET",
                          headers={"Host": f"rebound.example:{served.port}", "Origin": f"http://rebound.example:{served.port}"})
    assert status == 403 and json.loads(body)["__type"] == "AccessDeniedException"
    for name in ("localhost", "profiles.localhost", "127.0.0.2", "[::1]"):  # names of this machine
        request = signed_request(f"http://{name}:{served.port}/", "sts", "us-east-1", headers=FORM,
                                 body="Action=GetCallerIdentity&Version=2011-06-15")
        connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
        connection.request("POST", "/", body=request.body,
                           headers={**request.headers, "Host": f"{name}:{served.port}"})
        assert connection.getresponse().status == 200, name
        connection.close()


@pytest.fixture(scope="module")
def configured_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir: Path = tmp_path_factory.mktemp("cors")
    with dedicated_server(data_dir, PROFILESTACK_CORS_ORIGINS="https://agents.example.com",
                          PROFILESTACK_ALLOWED_HOSTS="profiles.internal") as instance:
        yield instance


def test_configured_origins_may_call_and_others_still_may_not(configured_server: Server) -> None:
    sts = from_page(configured_server.client("sts"), "https://agents.example.com")
    headers = sts.get_caller_identity()["ResponseMetadata"]["HTTPHeaders"]
    assert headers["access-control-allow-origin"] == "https://agents.example.com"
    assert preflight(configured_server, "/", "https://agents.example.com")[0] == 200
    assert preflight(configured_server, "/", LOCAL_PAGE)[0] == 200
    assert refused(from_page(configured_server.client("sts"), "https://other.example.com").get_caller_identity
                   )[0] == "AccessDenied"
    assert preflight(configured_server, "/", "https://other.example.com")[0] == 403


def test_calls_without_an_origin_are_not_labelled(served: Server) -> None:
    headers = served.client("sts").get_caller_identity()["ResponseMetadata"]["HTTPHeaders"]
    assert not any(name.startswith("access-control-") for name in headers)


def test_the_servers_own_pages_may_call_it_by_an_allowed_name(configured_server: Server) -> None:
    host = f"profiles.internal:{configured_server.port}"
    status, headers, body = raw(f"{configured_server.endpoint}/_profilestack/health", method="GET",
                                headers={"Host": host, "Origin": f"http://{host}"})
    assert status == 200 and json.loads(body)["status"] == "ok"
    assert headers["access-control-allow-origin"] == f"http://{host}"
    status, headers, body = raw(f"{configured_server.endpoint}/_profilestack/health", method="GET",
                                headers={"Host": host, "Origin": FOREIGN_PAGE})
    assert status == 403 and json.loads(body)["__type"] == "AccessDeniedException"
    assert raw(f"{configured_server.endpoint}/_profilestack/health", method="GET",
               headers={"Host": f"elsewhere.example:{configured_server.port}"})[0] == 403


def test_allowed_host_is_a_flag_of_serve(tmp_path) -> None:
    port = free_port()
    server = subprocess.Popen([*PROFILESTACK, "serve", "--port", str(port), "--data-dir", str(tmp_path),
                               "--allowed-host", "profiles.internal", "--allowed-host", "crm.internal"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        health = f"http://127.0.0.1:{port}/_profilestack/health"
        wait_for(lambda: _answers(health), timeout=60)
        assert raw(health, method="GET", headers={"Host": f"crm.internal:{port}"})[0] == 200
        assert raw(health, method="GET", headers={"Host": f"Profiles.Internal:{port}"})[0] == 200
        assert raw(health, method="GET", headers={"Host": f"elsewhere.internal:{port}"})[0] == 403
    finally:
        server.terminate()
        server.wait(timeout=30)


def _answers(url: str) -> bool:
    try:
        return raw(url, method="GET")[0] == 200
    except OSError:
        return False
