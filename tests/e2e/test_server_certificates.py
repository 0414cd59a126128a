"""IAM server certificates: uploaded with a private key that must match (and is not kept), read back with their
chain, listed by path, renamed, tagged and deleted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.e2e.identities import ACCOUNT, unique


def _refused(call, **params) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    error = caught.value.response
    return error["Error"]["Code"], error["Error"]["Message"], error["ResponseMetadata"]["HTTPStatusCode"]


def _pair(name: str, days: int = 90) -> tuple[str, str, datetime]:
    """A certificate (PEM), its private key (PEM) and its expiry."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    start = datetime.now(UTC).replace(microsecond=0)
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(start - timedelta(days=1))
                   .not_valid_after(start + timedelta(days=days)).sign(key, hashes.SHA256()))
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return certificate.public_bytes(serialization.Encoding.PEM).decode(), private, start + timedelta(days=days)


def test_a_server_certificate_from_upload_to_deletion(client) -> None:
    iam = client("iam")
    name = unique("cc-web")
    body, key, expiry = _pair("cc.example.com")
    chain = _pair("Example CA")[0]
    uploaded = iam.upload_server_certificate(ServerCertificateName=name, Path="/contact-center/",
                                             CertificateBody=body, PrivateKey=key, CertificateChain=chain,
                                             Tags=[{"Key": "team", "Value": "web"}])
    meta = uploaded["ServerCertificateMetadata"]
    assert meta["Arn"] == f"arn:aws:iam::{ACCOUNT}:server-certificate/contact-center/{name}"
    assert meta["ServerCertificateId"].startswith("ASCA") and meta["Expiration"] == expiry
    assert uploaded["Tags"] == [{"Key": "team", "Value": "web"}]
    got = iam.get_server_certificate(ServerCertificateName=name)["ServerCertificate"]
    assert (got["CertificateBody"], got["CertificateChain"], got["ServerCertificateMetadata"]) == (body, chain, meta)
    assert "PRIVATE KEY" not in str(got)
    listed = iam.list_server_certificates(PathPrefix="/contact-center/")["ServerCertificateMetadataList"]
    assert [item["ServerCertificateName"] for item in listed] == [name]
    assert iam.list_server_certificates(PathPrefix="/elsewhere/")["ServerCertificateMetadataList"] == []
    count = iam.get_account_summary()["SummaryMap"]["ServerCertificates"]
    assert count >= 1

    renamed = unique("cc-web-2026")
    iam.update_server_certificate(ServerCertificateName=name, NewServerCertificateName=renamed, NewPath="/cc/")
    assert _refused(iam.get_server_certificate, ServerCertificateName=name)[:2] == (
        "NoSuchEntity", f"The Server Certificate with name {name} cannot be found.")
    moved = iam.get_server_certificate(ServerCertificateName=renamed)["ServerCertificate"]["ServerCertificateMetadata"]
    assert moved["Arn"] == f"arn:aws:iam::{ACCOUNT}:server-certificate/cc/{renamed}"
    assert moved["ServerCertificateId"] == meta["ServerCertificateId"]
    iam.untag_server_certificate(ServerCertificateName=renamed, TagKeys=["team"])
    assert iam.list_server_certificate_tags(ServerCertificateName=renamed)["Tags"] == []
    iam.delete_server_certificate(ServerCertificateName=renamed)
    assert iam.get_account_summary()["SummaryMap"]["ServerCertificates"] == count - 1


def test_what_an_upload_refuses(client) -> None:
    iam = client("iam")
    body, key, _ = _pair("a.example.com")
    other_body, other_key, _ = _pair("b.example.com")
    name = unique("cert")
    assert _refused(iam.upload_server_certificate, ServerCertificateName=name, CertificateBody=body,
                    PrivateKey=other_key) == (
        "KeyPairMismatch", "The public key in the certificate does not match the private key.", 400)
    assert _refused(iam.upload_server_certificate, ServerCertificateName=name, CertificateBody="not a certificate",
                    PrivateKey=key)[0] == "MalformedCertificate"
    assert _refused(iam.upload_server_certificate, ServerCertificateName=name, CertificateBody=body,
                    PrivateKey="-----BEGIN PRIVATE KEY-----\nbm9wZQ==\n-----END PRIVATE KEY-----\n")[0] == (
        "MalformedCertificate")
    assert _refused(iam.upload_server_certificate, ServerCertificateName=name, CertificateBody=body, PrivateKey=key,
                    CertificateChain="junk")[0] == "MalformedCertificate"
    iam.upload_server_certificate(ServerCertificateName=name, CertificateBody=body, PrivateKey=key)
    try:
        assert _refused(iam.upload_server_certificate, ServerCertificateName=name.upper(),
                        CertificateBody=other_body, PrivateKey=other_key)[::2] == ("EntityAlreadyExists", 409)
    finally:
        iam.delete_server_certificate(ServerCertificateName=name)
