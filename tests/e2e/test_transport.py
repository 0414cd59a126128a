"""How calls arrive: HTTPS served by profilestack itself (--tls-cert/--tls-key), and reverse proxies trusted to say
who the client is (--trusted-proxy) — which is what aws:SecureTransport and aws:SourceIp see."""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import SSLError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from profilestack.testing import free_port
from tests.conftest import Server, dedicated_server
from tests.e2e.cli import profilestack
from tests.e2e.errors import refused
from tests.e2e.identities import allow, deny, document, make_user
from tests.e2e.waiting import wait_for
from tests.e2e.wire import NoRedirects, sent_with


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "profilestack test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = Path(tmp_path_factory.mktemp("tls"))
    cert, key = self_signed(data_dir)
    instance = Server(endpoint=f"https://127.0.0.1:{free_port()}", data_dir=data_dir, ca_bundle=str(cert),
                      extra_env={"PROFILESTACK_TLS_CERT": str(cert), "PROFILESTACK_TLS_KEY": str(key)})
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()


@pytest.fixture(scope="module")
def proxied_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A plain-HTTP server that believes what a proxy on 127.0.0.1 forwards."""
    with dedicated_server(Path(tmp_path_factory.mktemp("proxied")),
                          PROFILESTACK_TRUSTED_PROXIES="127.0.0.1") as instance:
        yield instance


def only_over_tls(server: Server):
    """A user allowed everything IAM reads, except over plain HTTP: the usual aws:SecureTransport guard."""
    return make_user(server, document(allow(["iam:Get*", "iam:List*"]),
                                      deny(Condition={"Bool": {"aws:SecureTransport": "false"}})))


def test_https_is_served_and_aws_secure_transport_is_true(tls_server: Server) -> None:
    assert tls_server.client("sts").get_caller_identity()["Account"] == "000000000000"
    user = only_over_tls(tls_server)
    assert user.client("iam").get_user(UserName=user.name)["User"]["Arn"] == user.arn


def test_over_plain_http_the_same_policy_denies(server: Server) -> None:
    user = only_over_tls(server)
    code, message = refused(user.client("iam").get_user, UserName=user.name)
    assert code == "AccessDenied" and "with an explicit deny in an identity-based policy" in message


def test_a_client_that_does_not_trust_the_certificate_is_refused(tls_server: Server) -> None:
    with pytest.raises(SSLError):
        tls_server.client("sts", verify=True).get_caller_identity()


def test_the_urls_handed_out_are_https(tls_server: Server) -> None:
    profiles = tls_server.client("customer-profiles")
    profiles.create_domain(DomainName="tls", DefaultExpirationDays=5)
    job = profiles.create_upload_job(DomainName="tls", DisplayName="people", DataExpiry=7,
                                     Fields={"email": {"Source": "_source.email", "Target": "_profile.EmailAddress"}},
                                     UniqueKey="email")["JobId"]
    url = profiles.get_upload_job_path(DomainName="tls", JobId=job)["Url"]
    assert url.startswith(f"{tls_server.endpoint}/")
    context = ssl.create_default_context(cafile=tls_server.ca_bundle)
    upload = urllib.request.Request(url, data=b"email\na@example.com\n", method="PUT")
    with urllib.request.urlopen(upload, context=context, timeout=10) as answer:
        assert answer.status == 200


def test_a_trusted_proxy_gives_the_clients_address_and_scheme(proxied_server: Server) -> None:
    user = make_user(proxied_server, document(
        allow("iam:GetUser", Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"},
                                        "Bool": {"aws:SecureTransport": "true"}})))
    direct = user.client("iam")
    assert refused(direct.get_user, UserName=user.name)[0] == "AccessDenied"
    assert refused(sent_with(user.client("iam"), **{"X-Forwarded-For": "203.0.113.9"}).get_user,
                   UserName=user.name)[0] == "AccessDenied"  # not over TLS to the proxy
    through_proxy = sent_with(user.client("iam"), **{"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
    assert through_proxy.get_user(UserName=user.name)["User"]["UserName"] == user.name

    trail = proxied_server.client("cloudtrail")

    def addresses() -> list[str]:
        events = trail.lookup_events(LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": user.name}],
                                     MaxResults=50)["Events"]
        return sorted({json.loads(event["CloudTrailEvent"])["sourceIPAddress"] for event in events
                       if event["EventName"] == "GetUser"})

    assert wait_for(lambda: addresses() if len(addresses()) == 2 else None) == ["127.0.0.1", "203.0.113.9"]


def test_a_proxy_not_trusted_is_not_believed(tls_server: Server) -> None:
    """The TLS server trusts no proxy: a client's own X-Forwarded-For changes nothing."""
    user = make_user(tls_server, document(allow("iam:GetUser", Condition={
        "IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})))
    client = sent_with(user.client("iam"), **{"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
    assert refused(client.get_user, UserName=user.name)[0] == "AccessDenied"


NOT_A_PAIR = "are not a PEM certificate and its unencrypted private key"


@pytest.mark.parametrize(("flags", "message"), [
    (["--tls-cert", "cert.pem"], "tls_cert is set without tls_key"),
    (["--tls-cert", "missing.pem", "--tls-key", "missing.pem"], "tls_cert: missing.pem is not a readable file"),
    (["--tls-cert", "junk.pem", "--tls-key", "junk.pem"],
     f"tls_cert, tls_key: junk.pem and junk.pem {NOT_A_PAIR}: they do not read as PEM, or the key is encrypted"),
    (["--tls-cert", "mine/cert.pem", "--tls-key", "theirs/key.pem"],
     f"tls_cert, tls_key: mine/cert.pem and theirs/key.pem {NOT_A_PAIR}: the key is another certificate's"),
    (["--tls-cert", "mine/cert.pem", "--tls-key", "locked.pem"], f"{NOT_A_PAIR}: they do not read as PEM, or the "
                                                                 "key is encrypted"),
], ids=["no-key", "missing-files", "not-pem", "another-certificates-key", "encrypted-key"])
def test_tls_settings_that_cannot_serve_stop_the_server_with_the_reason(tmp_path: Path, flags: list[str],
                                                                        message: str) -> None:
    """Before the server says it listens: a certificate it could not load once said it listened, then stopped
    on "[SSL] PEM lib"."""
    (tmp_path / "cert.pem").write_text("")
    (tmp_path / "junk.pem").write_text("not a certificate")
    for directory in ("mine", "theirs"):
        (tmp_path / directory).mkdir()
        self_signed(tmp_path / directory)
    key = serialization.load_pem_private_key((tmp_path / "mine" / "key.pem").read_bytes(), password=None)
    (tmp_path / "locked.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")))
    result = profilestack("serve", "--port", str(free_port()), "--data-dir", str(tmp_path / "data"), *flags,
                          cwd=tmp_path, timeout=30)
    assert (result.returncode, "listening on" in result.stdout) == (1, False)
    assert message in result.stderr and "Traceback" not in result.stderr


def test_the_consoles_cookie_is_secure_over_https(tls_server: Server) -> None:
    context = ssl.create_default_context(cafile=tls_server.ca_bundle)
    form = urllib.parse.urlencode({"access_key": "test", "secret_key": "test", "session_token": ""}).encode()
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), NoRedirects)
    try:
        opener.open(urllib.request.Request(f"{tls_server.endpoint}/_profilestack/console/login", data=form),
                    timeout=10)
    except urllib.error.HTTPError as redirect:  # 303 to the console's home, not followed
        assert redirect.code == 303
        cookie = redirect.headers["set-cookie"]
    else:
        raise AssertionError("signing in did not redirect")
    assert "; Secure" in cookie and "HttpOnly" in cookie


def test_the_trail_records_how_a_call_came_over_tls(tls_server: Server, proxied_server: Server) -> None:
    def details(server: Server) -> list[dict | None]:
        server.client("iam").list_users()
        trail = server.client("cloudtrail")

        def recorded() -> list[dict | None] | None:
            events = trail.lookup_events(LookupAttributes=[{"AttributeKey": "EventName",
                                                            "AttributeValue": "ListUsers"}])["Events"]
            return [json.loads(event["CloudTrailEvent"]).get("tlsDetails") for event in events] or None

        return wait_for(recorded)

    [over_tls, *_] = details(tls_server)
    assert over_tls["tlsVersion"] in ("TLSv1.2", "TLSv1.3") and over_tls["cipherSuite"]
    assert over_tls["clientProvidedHostHeader"] == tls_server.endpoint.removeprefix("https://")
    assert details(proxied_server)[0] is None  # plain HTTP: no TLS details
