"""AssumeRoleWithSAML: a test identity provider signs SAML responses with the certificate its metadata (registered
as an IAM SAML provider) publishes; unsigned requests trade them for sessions of the roles they offer."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from dataclasses import dataclass

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import XMLSigner

from tests.conftest import Server
from tests.e2e.identities import ACCOUNT, allow, document, unique

ENTITY = "https://idp.contact-center.test/metadata"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
EXCLUSIVE = "http://www.w3.org/2001/10/xml-exc-c14n#"  # the canonical form SAML signatures use


@dataclass
class IdentityProvider:
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @property
    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def metadata(self) -> str:
        der = base64.b64encode(self.certificate.public_bytes(serialization.Encoding.DER)).decode()
        return (f'<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{ENTITY}">'
                '<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
                '<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data>'
                f'<X509Certificate>{der}</X509Certificate></X509Data></KeyInfo></KeyDescriptor>'
                '<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
                'Location="https://idp.contact-center.test/sso"/></IDPSSODescriptor></EntityDescriptor>')

    def response(self, roles: list[str], session_name: str | None = "agent-7", subject: str = "agent7@example.test",
                 lifetime: int = 300, audience: str = "urn:amazon:webservices", issuer: str = ENTITY,
                 key: rsa.RSAPrivateKey | None = None, duration: int | None = None,
                 attributes: dict[str, list[str]] | None = None, time_format: str = "%Y-%m-%dT%H:%M:%SZ",
                 until: str | None = None) -> str:
        """``time_format``: how its times are written (in UTC); ``until``: its NotOnOrAfter, written as given."""
        now = dt.datetime.now(dt.UTC)
        stamp = now.strftime(time_format)
        until = until or (now + dt.timedelta(seconds=lifetime)).strftime(time_format)
        statements = "".join(
            f'<saml:Attribute Name="{name}">' + "".join(f"<saml:AttributeValue>{value}</saml:AttributeValue>"
                                                        for value in values) + "</saml:Attribute>"
            for name, values in [("https://aws.amazon.com/SAML/Attributes/Role", roles),
                                 ("https://aws.amazon.com/SAML/Attributes/RoleSessionName",
                                  [session_name] if session_name else []),
                                 ("https://aws.amazon.com/SAML/Attributes/SessionDuration",
                                  [str(duration)] if duration else []),
                                 *(attributes or {}).items()] if values)
        assertion_id = f"_{uuid.uuid4().hex}"
        assertion = etree.fromstring(
            f'<saml:Assertion xmlns:saml="{SAML}" ID="{assertion_id}" Version="2.0" IssueInstant="{stamp}">'
            f"<saml:Issuer>{issuer}</saml:Issuer>"
            '<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">'
            f"{subject}</saml:NameID>"
            '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
            f'<saml:SubjectConfirmationData NotOnOrAfter="{until}" '
            'Recipient="https://signin.aws.amazon.com/saml"/></saml:SubjectConfirmation></saml:Subject>'
            f'<saml:Conditions NotBefore="{stamp}" NotOnOrAfter="{until}"><saml:AudienceRestriction>'
            f"<saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>"
            f'<saml:AuthnStatement AuthnInstant="{stamp}"><saml:AuthnContext><saml:AuthnContextClassRef>'
            "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>"
            f"</saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement>{statements}"
            "</saml:AttributeStatement></saml:Assertion>")
        signing_key = (key or self.key).private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption())
        signed = XMLSigner(signature_algorithm="rsa-sha256", digest_algorithm="sha256", c14n_algorithm=EXCLUSIVE).sign(
            assertion, key=signing_key, cert=self.certificate_pem, reference_uri=f"#{assertion_id}",
            id_attribute="ID")
        response = etree.fromstring(
            f'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_{uuid.uuid4().hex}" '
            f'Version="2.0" IssueInstant="{stamp}" Destination="https://signin.aws.amazon.com/saml">'
            f'<saml:Issuer xmlns:saml="{SAML}">{issuer}</saml:Issuer><samlp:Status><samlp:StatusCode '
            'Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:Response>')
        response.append(signed)
        return base64.b64encode(etree.tostring(response)).decode()


def _identity_provider() -> IdentityProvider:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.contact-center.test")])
    now = dt.datetime.now(dt.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
                   .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))
    return IdentityProvider(key, certificate)


@pytest.fixture(scope="module")
def idp() -> IdentityProvider:
    return _identity_provider()


@pytest.fixture
def federation(server: Server, idp: IdentityProvider) -> tuple[str, str]:
    """A SAML provider for the identity provider, and a role trusting it."""
    iam = server.client("iam")
    provider = iam.create_saml_provider(Name=unique("idp"), SAMLMetadataDocument=idp.metadata())["SAMLProviderArn"]
    name = unique("agents")
    trust = document({"Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithSAML",
                      "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}})
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="profiles", PolicyDocument=document(allow("profile:ListDomains")))
    return provider, role


def _sts(server: Server):
    return boto3.client("sts", endpoint_url=server.endpoint, region_name="us-east-1",
                        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))


def test_a_signed_assertion_offering_the_role_assumes_it(server: Server, idp: IdentityProvider,
                                                         federation: tuple[str, str]) -> None:
    provider, role = federation
    answer = _sts(server).assume_role_with_saml(
        RoleArn=role, PrincipalArn=provider, SAMLAssertion=idp.response([f"{role},{provider}"], duration=1800))
    role_name = role.rsplit("/", 1)[1]
    assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/agent-7"
    assert (answer["Subject"], answer["SubjectType"], answer["Issuer"], answer["Audience"]) == (
        "agent7@example.test", "persistent", ENTITY, "https://signin.aws.amazon.com/saml")
    assert answer["NameQualifier"]
    credentials = answer["Credentials"]
    lifetime = credentials["Expiration"] - dt.datetime.now(dt.UTC)
    assert dt.timedelta(minutes=25) < lifetime <= dt.timedelta(minutes=30)  # the assertion's SessionDuration
    session = boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                            aws_secret_access_key=credentials["SecretAccessKey"],
                            aws_session_token=credentials["SessionToken"], region_name="us-east-1")
    session.client("customer-profiles", endpoint_url=server.endpoint).list_domains()

    events = server.client("cloudtrail").lookup_events(LookupAttributes=[
        {"AttributeKey": "EventName", "AttributeValue": "AssumeRoleWithSAML"}])["Events"]
    record = json.loads(events[0]["CloudTrailEvent"])
    assert (record["userIdentity"]["type"], record["userIdentity"]["userName"]) == ("SAMLUser", "agent7@example.test")
    assert record["requestParameters"]["sAMLAssertion"] == "HIDDEN_DUE_TO_SECURITY_REASONS"


def test_assertions_that_cannot_be_trusted_are_refused(server: Server, idp: IdentityProvider,
                                                       federation: tuple[str, str]) -> None:
    provider, role = federation
    offered = [f"{role},{provider}"]

    def refused(assertion: str, role_arn: str = role) -> tuple[str, str, int]:
        with pytest.raises(ClientError) as caught:
            _sts(server).assume_role_with_saml(RoleArn=role_arn, PrincipalArn=provider, SAMLAssertion=assertion)
        error = caught.value.response["Error"]
        return error["Code"], error["Message"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]

    forged = idp.response(offered, key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    assert refused(forged)[0] == "InvalidIdentityToken"
    assert refused(idp.response(offered, lifetime=-600))[0] == "ExpiredTokenException"
    assert refused(idp.response(offered, audience="https://elsewhere.test"))[0] == "InvalidIdentityToken"
    assert refused(idp.response(offered, issuer="https://other-idp.test"))[0] == "InvalidIdentityToken"
    assert refused(idp.response(offered, session_name=None))[0] == "InvalidIdentityToken"
    other_role = server.client("iam").create_role(RoleName=unique("other"), AssumeRolePolicyDocument=document(
        {"Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithSAML"}))["Role"]["Arn"]
    assert refused(idp.response(offered), role_arn=other_role) == (
        "AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML", 403)  # not offered by the assertion
    assert refused(base64.b64encode(b"<not-saml/>").decode())[0] == "InvalidIdentityToken"
    assert refused(idp.response(offered, until="soon")) == (  # a 500 before
        "InvalidIdentityToken", "The assertion's time 'soon' is not an ISO 8601 date and time.", 400)


def test_an_assertions_times_without_an_offset_are_utc(server: Server, idp: IdentityProvider,
                                                       federation: tuple[str, str]) -> None:
    """xs:dateTime allows a time without a zone; it is read as UTC (comparing it with the server's time, which
    has one, answered a 500 before)."""
    provider, role = federation
    assertion = idp.response([f"{role},{provider}"], time_format="%Y-%m-%dT%H:%M:%S")
    answer = _sts(server).assume_role_with_saml(RoleArn=role, PrincipalArn=provider, SAMLAssertion=assertion)
    assert answer["AssumedRoleUser"]["Arn"].endswith("/agent-7")


def test_an_assertions_tags_and_source_identity_reach_the_session(server: Server, idp: IdentityProvider) -> None:
    iam = server.client("iam")
    provider = iam.create_saml_provider(Name=unique("idp"), SAMLMetadataDocument=idp.metadata())["SAMLProviderArn"]
    name = unique("tagged")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=document(
        {"Effect": "Allow", "Principal": {"Federated": provider},
         "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession", "sts:SetSourceIdentity"]}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="team", PolicyDocument=document(allow(
        "profile:ListDomains", Condition={"StringEquals": {"aws:PrincipalTag/team": "agents"}})))
    answer = _sts(server).assume_role_with_saml(RoleArn=role, PrincipalArn=provider, SAMLAssertion=idp.response(
        [f"{role},{provider}"], attributes={"https://aws.amazon.com/SAML/Attributes/PrincipalTag:team": ["agents"],
                                            "https://aws.amazon.com/SAML/Attributes/SourceIdentity": ["agent7"]}))
    assert answer["SourceIdentity"] == "agent7"
    credentials = answer["Credentials"]
    session = boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                            aws_secret_access_key=credentials["SecretAccessKey"],
                            aws_session_token=credentials["SessionToken"], region_name="us-east-1")
    session.client("customer-profiles", endpoint_url=server.endpoint).list_domains()  # the session is tagged
