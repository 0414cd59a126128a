"""IAM users' X.509 signing certificates: PEM certificates, two per user, each at most once in the account."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.services.iam.paging import page
from profilestack.services.iam.service import iam
from profilestack.services.iam.tables import iam_user_credentials
from profilestack.services.iam.user_credentials import CredentialKind
from profilestack.services.iam.users import target_user

SIGNING_CERTIFICATES = CredentialKind("signing", "Signing Certificate", "CertificateId", "",
                                      "SigningCertificatesPerUser", 2)
SIGNING_CERTIFICATES.register("UpdateSigningCertificate", "DeleteSigningCertificate")
_table = iam_user_credentials


def certificate_fingerprint(body: str) -> str:
    """The certificate's SHA-256 fingerprint; MalformedCertificate unless ``body`` is one PEM certificate."""
    from cryptography import x509  # imported when a certificate is first read: it is not start-up work
    from cryptography.hazmat.primitives import hashes

    try:
        certificate = x509.load_pem_x509_certificate(body.strip().encode())
    except ValueError as exc:
        raise AwsError("MalformedCertificate", "Unable to parse certificate. Please ensure the certificate is in "
                                               "PEM format.", 400) from exc
    return certificate.fingerprint(hashes.SHA256()).hex()


def _shape(user_name: str, row: Any) -> dict[str, Any]:
    return {"UserName": user_name, "CertificateId": row.id, "CertificateBody": row.body, "Status": row.status,
            "UploadDate": row.created_at}


@iam.operation("UploadSigningCertificate")
def upload_signing_certificate(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    user = target_user(ctx, params)
    body = params["CertificateBody"]
    fingerprint = certificate_fingerprint(body)
    taken = ctx.db.execute(select(_table.c.id).where(_table.c.account_id == ctx.account, _table.c.kind == "signing",
                                                     _table.c.fingerprint == fingerprint)).first()
    if taken is not None:
        raise AwsError("DuplicateCertificate", "The same certificate is already associated with an IAM user in the "
                                               "account.", 409)
    row = SIGNING_CERTIFICATES.add(ctx, user, body=body, fingerprint=fingerprint, length=28)
    return {"Certificate": _shape(user.name, row)}


@iam.operation("ListSigningCertificates")
def list_signing_certificates(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    user = target_user(ctx, params)
    return page([_shape(user.name, row) for row in SIGNING_CERTIFICATES.of_user(ctx, user.id)], params,
                "Certificates")
