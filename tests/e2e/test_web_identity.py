"""AssumeRoleWithWebIdentity: an OpenID Connect issuer on 127.0.0.1 (HTTPS, a self-signed certificate trusted by
the provider's thumbprint) signs ID tokens; unsigned requests exchange them for role sessions the role's trust
policy admits."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import jwt
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.conftest import Server
from tests.e2e.cli import AwsCli
from tests.e2e.identities import ACCOUNT, allow, document, unique

CLIENT_ID = "contact-center-app"
SUBJECT = "system:serviceaccount:contact:agent-app"


@dataclass
class Issuer:
    url: str  # https://127.0.0.1:<port>
    thumbprint: str
    key: rsa.RSAPrivateKey
    documents: dict[str, bytes]  # what it serves, by path

    @property
    def host(self) -> str:
        return self.url.removeprefix("https://")

    def token(self, subject: str = SUBJECT, audience: str = CLIENT_ID, lifetime: int = 300,
              key: rsa.RSAPrivateKey | None = None, **claims: object) -> str:
        now = int(time.time())
        return jwt.encode({"iss": self.url, "sub": subject, "aud": audience, "iat": now, "exp": now + lifetime,
                           **claims}, key or self.key, algorithm="RS256", headers={"kid": "k1"})


def _self_signed(key: rsa.RSAPrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Issuer]:
    signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tls_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = _self_signed(tls_key)
    folder = tmp_path_factory.mktemp("issuer")
    (folder / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(tls_key.private_bytes(serialization.Encoding.PEM,
                                                           serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()))
    documents: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = documents.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body or b"{}")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(Path(folder / "cert.pem"), Path(folder / "key.pem"))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    url = f"https://127.0.0.1:{server.server_address[1]}"
    jwk = {**jwt.algorithms.RSAAlgorithm.to_jwk(signing_key.public_key(), as_dict=True), "kid": "k1", "use": "sig"}
    documents["/.well-known/openid-configuration"] = json.dumps({"issuer": url, "jwks_uri": f"{url}/keys"}).encode()
    documents["/keys"] = json.dumps({"keys": [jwk]}).encode()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Issuer(url, hashlib.sha1(certificate.public_bytes(serialization.Encoding.DER)).hexdigest(), signing_key,
                 documents)
    server.shutdown()


def _unsigned_sts(server: Server):
    return boto3.client("sts", endpoint_url=server.endpoint, region_name="us-east-1",
                        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))


def _trusting_role(server: Server, issuer: Issuer, provider_arn: str, subject: str = SUBJECT) -> str:
    iam = server.client("iam")
    name = unique("webid")
    trust = document({"Effect": "Allow", "Principal": {"Federated": provider_arn},
                      "Action": "sts:AssumeRoleWithWebIdentity",
                      "Condition": {"StringEquals": {f"{issuer.host}:aud": CLIENT_ID, f"{issuer.host}:sub": subject}}})
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="profiles", PolicyDocument=document(allow("profile:ListDomains")))
    return arn


@pytest.fixture
def provider(server: Server, issuer: Issuer) -> Iterator[str]:
    iam = server.client("iam")
    arn = iam.create_open_id_connect_provider(Url=issuer.url, ClientIDList=[CLIENT_ID],
                                              ThumbprintList=[issuer.thumbprint])["OpenIDConnectProviderArn"]
    yield arn
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)


def _refused(call, **params) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_a_token_its_trust_policy_admits_assumes_the_role(server: Server, issuer: Issuer, provider: str) -> None:
    role_arn = _trusting_role(server, issuer, provider)
    answer = _unsigned_sts(server).assume_role_with_web_identity(
        RoleArn=role_arn, RoleSessionName="agent", WebIdentityToken=issuer.token(), DurationSeconds=900)
    assert (answer["SubjectFromWebIdentityToken"], answer["Audience"], answer["Provider"]) == (
        SUBJECT, CLIENT_ID, issuer.url)
    role_name = role_arn.rsplit("/", 1)[1]
    assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/agent"
    credentials = answer["Credentials"]
    session = boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                            aws_secret_access_key=credentials["SecretAccessKey"],
                            aws_session_token=credentials["SessionToken"], region_name="us-east-1")
    assert session.client("sts", endpoint_url=server.endpoint).get_caller_identity()["Arn"] == (
        answer["AssumedRoleUser"]["Arn"])
    session.client("customer-profiles", endpoint_url=server.endpoint).list_domains()  # the role's policy allows it

    # the AWS CLI sends the call unsigned too
    cli = AwsCli(server.endpoint)("sts", "assume-role-with-web-identity", "--role-arn", role_arn,
                                  "--role-session-name", "cli", "--web-identity-token", issuer.token())
    assert cli["SubjectFromWebIdentityToken"] == SUBJECT

    events = server.client("cloudtrail").lookup_events(LookupAttributes=[
        {"AttributeKey": "EventName", "AttributeValue": "AssumeRoleWithWebIdentity"}])["Events"]
    record = json.loads(events[0]["CloudTrailEvent"])
    assert record["userIdentity"]["type"] == "WebIdentityUser"
    assert (record["userIdentity"]["userName"], record["userIdentity"]["identityProvider"]) == (SUBJECT, issuer.host)
    assert record["requestParameters"]["webIdentityToken"] == "HIDDEN_DUE_TO_SECURITY_REASONS"


def test_tokens_that_cannot_be_trusted_are_refused(server: Server, issuer: Issuer, provider: str) -> None:
    role_arn = _trusting_role(server, issuer, provider)
    sts = _unsigned_sts(server)

    def refused(token: str, role: str = role_arn) -> tuple[str, str, int]:
        return _refused(sts.assume_role_with_web_identity, RoleArn=role, RoleSessionName="probe",
                        WebIdentityToken=token)

    code, message, status = refused(issuer.token(subject="system:serviceaccount:other:app"))
    assert (code, message, status) == ("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", 403)
    assert refused(issuer.token(audience="someone-else"))[:2] == ("InvalidIdentityToken", "Incorrect token audience")
    code, message, status = refused(issuer.token(lifetime=-60))
    assert (code, status) == ("ExpiredTokenException", 400) and message.startswith("Token expired:")
    forged = issuer.token(key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    assert refused(forged)[:2] == ("InvalidIdentityToken", "The ID token's signature could not be verified.")
    assert refused("not-a-token")[0] == "InvalidIdentityToken"
    stranger = jwt.encode({"iss": "https://127.0.0.1:1", "sub": SUBJECT, "aud": CLIENT_ID,
                           "exp": int(time.time()) + 300}, issuer.key, algorithm="RS256")
    assert refused(stranger)[:2] == ("InvalidIdentityToken",
                                     "No OpenIDConnect provider found in your account for https://127.0.0.1:1")

    # a provider whose thumbprints do not name the issuer's certificate does not trust it
    server.client("iam").update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=provider,
                                                                    ThumbprintList=["0" * 40])
    code, message, status = refused(issuer.token())
    assert (code, status) == ("IDPCommunicationError", 400) and issuer.thumbprint in message


def test_an_issuer_answering_json_nested_too_deep_is_a_communication_error(server: Server, issuer: Issuer) -> None:
    """Once a 500: Python's JSON reader gives up on deep nesting with a RecursionError, not a ValueError."""
    url = f"{issuer.url}/nested"
    issuer.documents["/nested/.well-known/openid-configuration"] = b"[" * 3000 + b"]" * 3000
    iam = server.client("iam")
    provider = iam.create_open_id_connect_provider(Url=url, ClientIDList=[CLIENT_ID],
                                                   ThumbprintList=[issuer.thumbprint])["OpenIDConnectProviderArn"]
    try:
        role_arn = _trusting_role(server, issuer, provider)
        code, message, status = _refused(_unsigned_sts(server).assume_role_with_web_identity, RoleArn=role_arn,
                                         RoleSessionName="probe", WebIdentityToken=issuer.token(iss=url))
        assert (code, status) == ("IDPCommunicationError", 400) and "nested too deeply" in message
    finally:
        iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=provider)


def test_an_sdk_trades_its_token_file_by_itself(server: Server, issuer: Issuer, provider: str, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    role_arn = _trusting_role(server, issuer, provider)
    token_file = tmp_path / "token"
    token_file.write_text(issuer.token())
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ROLE_ARN", role_arn)
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token_file))
    monkeypatch.setenv("AWS_ROLE_SESSION_NAME", "from-file")
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.endpoint)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    sts = boto3.Session(region_name="us-east-1").client("sts")
    assert sts.get_caller_identity()["Arn"].endswith(f"/{role_arn.rsplit('/', 1)[1]}/from-file")


def test_a_tokens_session_tags_need_the_trust_policys_leave(server: Server, issuer: Issuer, provider: str) -> None:
    iam = server.client("iam")
    tagged = {"principal_tags": {"team": ["agents"]}, "transitive_tag_keys": ["team"]}

    def role(actions: list[str]) -> str:
        name = unique("tagged")
        trust = document({"Effect": "Allow", "Principal": {"Federated": provider}, "Action": actions})
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        iam.put_role_policy(RoleName=name, PolicyName="team", PolicyDocument=document(allow(
            "profile:ListDomains", Condition={"StringEquals": {"aws:PrincipalTag/team": "agents"}})))
        return arn

    strict = role(["sts:AssumeRoleWithWebIdentity"])
    code, message, _ = _refused(_unsigned_sts(server).assume_role_with_web_identity, RoleArn=strict,
                                RoleSessionName="tagged", WebIdentityToken=issuer.token(**{
                                    "https://aws.amazon.com/tags": tagged}))
    assert (code, message) == ("AccessDenied", "Not authorized to perform sts:TagSession")
    allowing = role(["sts:AssumeRoleWithWebIdentity", "sts:TagSession"])
    credentials = _unsigned_sts(server).assume_role_with_web_identity(
        RoleArn=allowing, RoleSessionName="tagged",
        WebIdentityToken=issuer.token(**{"https://aws.amazon.com/tags": tagged}))["Credentials"]
    session = boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                            aws_secret_access_key=credentials["SecretAccessKey"],
                            aws_session_token=credentials["SessionToken"], region_name="us-east-1")
    session.client("customer-profiles", endpoint_url=server.endpoint).list_domains()  # the session is tagged
