"""IAM users' SSH public keys, signing certificates and service-specific credentials: uploaded or made, read,
listed, switched off and deleted as IAM does, each kind within its quota, and in the way of DeleteUser."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import time
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from tests.e2e.identities import ACCOUNT, allow, document, make_user, unique
from tests.e2e.wire import signed_later


def _refused(call, **params) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    error = caught.value.response
    return error["Error"]["Code"], error["Error"]["Message"], error["ResponseMetadata"]["HTTPStatusCode"]


def _rsa_openssh(bits: int = 2048) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def _md5_fingerprint(openssh: str) -> str:
    digest = hashlib.md5(base64.b64decode(openssh.split()[1])).hexdigest()
    return ":".join(digest[index:index + 2] for index in range(0, 32, 2))


def _certificate(name: str) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
                   .not_valid_after(now + timedelta(days=365)).sign(key, hashes.SHA256()))
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture
def iam(client):
    return client("iam")


@pytest.fixture
def user(iam) -> str:
    name = unique("holder")
    iam.create_user(UserName=name)
    return name


def test_ssh_public_keys(iam, user) -> None:
    body = _rsa_openssh() + " ana@laptop"
    key = iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=body)["SSHPublicKey"]
    key_id = key["SSHPublicKeyId"]
    assert key_id.startswith("APKA") and len(key_id) == 20 and key["Status"] == "Active"
    assert key["Fingerprint"] == _md5_fingerprint(body) and key["SSHPublicKeyBody"] == " ".join(body.split()[:2])
    assert iam.get_ssh_public_key(UserName=user, SSHPublicKeyId=key_id, Encoding="SSH")["SSHPublicKey"] == key
    pem = iam.get_ssh_public_key(UserName=user, SSHPublicKeyId=key_id, Encoding="PEM")["SSHPublicKey"][
        "SSHPublicKeyBody"]
    reloaded = serialization.load_pem_public_key(pem.encode())
    assert pem.startswith("-----BEGIN PUBLIC KEY-----") and reloaded.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode() == key["SSHPublicKeyBody"]

    assert _refused(iam.upload_ssh_public_key, UserName=user, SSHPublicKeyBody=body)[:2] == (
        "DuplicateSSHPublicKey", "The SSH public key is already associated with the specified IAM user.")
    assert _refused(iam.upload_ssh_public_key, UserName=user, SSHPublicKeyBody=_rsa_openssh(1024))[0] == (
        "InvalidPublicKey")
    ecdsa = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    assert _refused(iam.upload_ssh_public_key, UserName=user, SSHPublicKeyBody=ecdsa)[:2] == (
        "InvalidPublicKey", "The public key must be an RSA (ssh-rsa) key.")
    assert _refused(iam.upload_ssh_public_key, UserName=user, SSHPublicKeyBody="ssh-rsa not-base64")[0] == (
        "UnrecognizedPublicKeyEncoding")

    pem_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    assert iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=pem_key)["SSHPublicKey"][
        "SSHPublicKeyBody"].startswith("ssh-rsa ")
    for _ in range(3):
        iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=_rsa_openssh())
    assert _refused(iam.upload_ssh_public_key, UserName=user, SSHPublicKeyBody=_rsa_openssh())[:2] == (
        "LimitExceeded", "Cannot exceed quota for SSHPublicKeysPerUser: 5")

    iam.update_ssh_public_key(UserName=user, SSHPublicKeyId=key_id, Status="Inactive")
    listed = iam.list_ssh_public_keys(UserName=user, MaxItems=2)
    assert listed["IsTruncated"] and listed["SSHPublicKeys"][0] == {
        "UserName": user, "SSHPublicKeyId": key_id, "Status": "Inactive", "UploadDate": key["UploadDate"]}
    iam.delete_ssh_public_key(UserName=user, SSHPublicKeyId=key_id)
    assert _refused(iam.get_ssh_public_key, UserName=user, SSHPublicKeyId=key_id, Encoding="SSH")[:2] == (
        "NoSuchEntity", f"The Public Key with id {key_id} cannot be found.")


def test_signing_certificates(server, iam, user) -> None:
    own = make_user(server, document(allow(["iam:UploadSigningCertificate", "iam:ListSigningCertificates"])))
    body = _certificate("ana")
    certificate = own.client("iam").upload_signing_certificate(CertificateBody=body)["Certificate"]
    assert certificate["UserName"] == own.name and certificate["Status"] == "Active"
    assert len(certificate["CertificateId"]) >= 24 and certificate["CertificateBody"] == body
    assert own.client("iam").list_signing_certificates()["Certificates"] == [certificate]
    assert _refused(iam.upload_signing_certificate, UserName=user, CertificateBody=body) == (
        "DuplicateCertificate", "The same certificate is already associated with an IAM user in the account.", 409)
    assert _refused(iam.upload_signing_certificate, UserName=user, CertificateBody="-----BEGIN CERTIFICATE-----\n"
                    "bm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n")[0] == "MalformedCertificate"

    first = iam.upload_signing_certificate(UserName=user, CertificateBody=_certificate("bo-1"))["Certificate"]
    iam.upload_signing_certificate(UserName=user, CertificateBody=_certificate("bo-2"))
    assert _refused(iam.upload_signing_certificate, UserName=user, CertificateBody=_certificate("bo-3"))[:2] == (
        "LimitExceeded", "Cannot exceed quota for SigningCertificatesPerUser: 2")
    iam.update_signing_certificate(UserName=user, CertificateId=first["CertificateId"], Status="Inactive")

    iam.generate_credential_report()
    rows = {row["user"]: row for row in csv.DictReader(io.StringIO(iam.get_credential_report()["Content"].decode()))}
    report = rows[user]
    assert (report["cert_1_active"], report["cert_2_active"]) == ("false", "true")
    assert report["cert_1_last_rotated"] == first["UploadDate"].isoformat(timespec="seconds")
    assert (rows[own.name]["cert_1_active"], rows[own.name]["cert_2_active"]) == ("true", "false")

    iam.delete_signing_certificate(UserName=user, CertificateId=first["CertificateId"])
    assert [item["Status"] for item in iam.list_signing_certificates(UserName=user)["Certificates"]] == ["Active"]
    assert _refused(iam.delete_signing_certificate, UserName=user, CertificateId=first["CertificateId"])[:2] == (
        "NoSuchEntity", f"The Signing Certificate with id {first['CertificateId']} cannot be found.")


def test_service_specific_credentials(iam, user) -> None:
    made = iam.create_service_specific_credential(UserName=user, ServiceName="codecommit.amazonaws.com")[
        "ServiceSpecificCredential"]
    credential_id = made["ServiceSpecificCredentialId"]
    assert credential_id.startswith("ACCA") and made["Status"] == "Active"
    assert made["ServiceUserName"] == f"{user}-at-{ACCOUNT}" and len(made["ServicePassword"]) == 44
    reset = iam.reset_service_specific_credential(UserName=user, ServiceSpecificCredentialId=credential_id)[
        "ServiceSpecificCredential"]
    assert reset["ServicePassword"] != made["ServicePassword"] and reset["ServiceUserName"] == made["ServiceUserName"]
    listed = iam.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"]
    assert listed == [{key: value for key, value in made.items() if key != "ServicePassword"}]

    key = iam.create_service_specific_credential(UserName=user, ServiceName="bedrock.amazonaws.com",
                                                 CredentialAgeDays=30)["ServiceSpecificCredential"]
    assert key["ExpirationDate"] - key["CreateDate"] == timedelta(days=30)
    assert "ServiceCredentialSecret" in key and "ServicePassword" not in key and key["ServiceCredentialAlias"]
    assert [item["ServiceName"] for item in iam.list_service_specific_credentials(
        UserName=user, ServiceName="bedrock.amazonaws.com")["ServiceSpecificCredentials"]] == [
        "bedrock.amazonaws.com"]

    assert _refused(iam.create_service_specific_credential, UserName=user, ServiceName="s3.amazonaws.com")[::2] == (
        "NotSupportedService", 404)
    assert _refused(iam.create_service_specific_credential, UserName=user, ServiceName="codecommit.amazonaws.com",
                    CredentialAgeDays=5)[:2] == (
        "InvalidInput", "CredentialAgeDays is only valid for Amazon Bedrock and CloudWatch Logs API keys.")
    iam.create_service_specific_credential(UserName=user, ServiceName="codecommit.amazonaws.com")
    assert _refused(iam.create_service_specific_credential, UserName=user,
                    ServiceName="codecommit.amazonaws.com")[:2] == (
        "LimitExceeded", "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: 2")

    other = unique("other")
    iam.create_user(UserName=other)
    iam.create_service_specific_credential(UserName=other, ServiceName="cassandra.amazonaws.com")
    everyone = iam.list_service_specific_credentials(AllUsers=True)["ServiceSpecificCredentials"]
    assert {user, other} <= {item["UserName"] for item in everyone}

    iam.update_service_specific_credential(UserName=user, ServiceSpecificCredentialId=credential_id,
                                           Status="Inactive")
    statuses = {item["ServiceSpecificCredentialId"]: item["Status"]
                for item in iam.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"]}
    assert statuses[credential_id] == "Inactive"


def test_a_user_with_credentials_cannot_be_deleted(iam, user) -> None:
    key_id = iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=_rsa_openssh())["SSHPublicKey"][
        "SSHPublicKeyId"]
    assert _refused(iam.delete_user, UserName=user) == (
        "DeleteConflict", "Cannot delete entity, must delete SSH public keys first.", 409)
    iam.delete_ssh_public_key(UserName=user, SSHPublicKeyId=key_id)
    credential_id = iam.create_service_specific_credential(UserName=user, ServiceName="codecommit.amazonaws.com")[
        "ServiceSpecificCredential"]["ServiceSpecificCredentialId"]
    assert _refused(iam.delete_user, UserName=user)[1] == (
        "Cannot delete entity, must delete service specific credentials first.")
    iam.delete_service_specific_credential(UserName=user, ServiceSpecificCredentialId=credential_id)
    iam.delete_user(UserName=user)


def test_an_api_key_expires(clocked_server) -> None:
    server, offset = clocked_server
    iam = server.client("iam")
    name = unique("expiring")
    iam.create_user(UserName=name)
    iam.create_service_specific_credential(UserName=name, ServiceName="logs.amazonaws.com", CredentialAgeDays=1)
    try:
        offset.write_text(str(2 * 86400))
        time.sleep(0.1)
        with signed_later(2):
            [listed] = iam.list_service_specific_credentials(UserName=name)["ServiceSpecificCredentials"]
        assert listed["Status"] == "Expired"
    finally:
        offset.write_text("0")


def test_quotas_hold_against_concurrent_calls(server, iam, user) -> None:
    """Calls racing for a user's last credentials (two access keys, five SSH keys) get exactly the quota between
    them: on PostgreSQL an account's IAM writes take turns, on SQLite there is one writer at a time anyway."""
    from concurrent.futures import ThreadPoolExecutor

    def attempt(call):
        own = server.client("iam")
        try:
            call(own)
            return "made"
        except ClientError as error:
            return error.response["Error"]["Code"]

    keys = [_rsa_openssh() for _ in range(8)]
    calls = [lambda own: own.create_access_key(UserName=user)] * 8 + [
        lambda own, body=body: own.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=body) for body in keys]
    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(attempt, calls))
    assert sorted(outcomes[:8]) == ["LimitExceeded"] * 6 + ["made"] * 2
    assert sorted(outcomes[8:]) == ["LimitExceeded"] * 3 + ["made"] * 5
    assert len(iam.list_access_keys(UserName=user)["AccessKeyMetadata"]) == 2
    assert len(iam.list_ssh_public_keys(UserName=user)["SSHPublicKeys"]) == 5
