"""IAM server certificates (for load balancers and CloudFront): a PEM certificate, its chain and the private key
that matches it, by name and path, twenty per account. The key is checked against the certificate and dropped:
IAM never gives it back, and nothing here terminates TLS with it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, delete, func, insert, select, update

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.services.iam.entities import name_place
from profilestack.services.iam.errors import already_exists, no_such_entity, quota
from profilestack.services.iam.paging import page
from profilestack.services.iam.service import iam
from profilestack.services.iam.tables import iam_server_certificates
from profilestack.services.iam.tags import add_tags, drop_tags, tags_of

PER_ACCOUNT = 20
TAG_KIND = "srvcert"  # iam_tags.kind holds eight characters
_table = iam_server_certificates

if TYPE_CHECKING:  # cryptography is imported when a certificate is first read: it is not start-up work
    from cryptography import x509


def _malformed(what: str) -> AwsError:
    return AwsError("MalformedCertificate", f"Unable to parse {what}. Please ensure it is in PEM format.", 400)


def _certificate(body: str) -> x509.Certificate:
    from cryptography import x509

    try:
        return x509.load_pem_x509_certificate(body.strip().encode())
    except ValueError as exc:
        raise _malformed("certificate") from exc


def _check_key(certificate: x509.Certificate, private_key: str) -> None:
    from cryptography.hazmat.primitives import serialization

    try:
        key = serialization.load_pem_private_key(private_key.strip().encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise _malformed("the private key") from exc
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if (key.public_key().public_bytes(serialization.Encoding.DER, public)  # type: ignore[union-attr]
            != certificate.public_key().public_bytes(serialization.Encoding.DER, public)):
        raise AwsError("KeyPairMismatch", "The public key in the certificate does not match the private key.", 400)


def _chain(text: str) -> None:
    from cryptography import x509

    try:
        x509.load_pem_x509_certificates(text.strip().encode())
    except ValueError as exc:
        raise _malformed("the certificate chain") from exc


def require_certificate(ctx: CallContext, name: str) -> Row[Any]:
    row = ctx.db.execute(select(_table).where(_table.c.account_id == ctx.account,
                                              _table.c.name_key == name.lower())).first()
    if row is None:
        raise no_such_entity(f"The Server Certificate with name {name} cannot be found.")
    return row


def _metadata(row: Row[Any]) -> dict[str, Any]:
    return {"Path": row.path, "ServerCertificateName": row.name, "ServerCertificateId": row.id, "Arn": row.arn,
            "UploadDate": row.created_at, "Expiration": row.expiration}


def _arn(account: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account}:server-certificate{path}{name}"


@iam.operation("UploadServerCertificate")
def upload_server_certificate(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    name, path = params["ServerCertificateName"], params.get("Path") or "/"
    certificate = _certificate(params["CertificateBody"])
    _check_key(certificate, params["PrivateKey"])
    if params.get("CertificateChain"):
        _chain(params["CertificateChain"])
    if ctx.db.execute(select(_table.c.id).where(_table.c.account_id == ctx.account,
                                                _table.c.name_key == name.lower())).first() is not None:
        raise already_exists(f"The Server Certificate with name {name} already exists.")
    count = ctx.db.execute(select(func.count()).select_from(_table).where(_table.c.account_id == ctx.account)).scalar()
    if count >= PER_ACCOUNT:
        raise quota("ServerCertificatesPerAccount", PER_ACCOUNT)
    certificate_id = ctx.app.ids.unique_id("ASCA", 21)
    ctx.db.execute(insert(_table).values(
        id=certificate_id, account_id=ctx.account, name=name, name_key=name.lower(), path=path,
        arn=_arn(ctx.account, path, name), body=params["CertificateBody"], chain=params.get("CertificateChain"),
        expiration=certificate.not_valid_after_utc, created_at=ctx.now()))
    if params.get("Tags"):
        add_tags(ctx.db, TAG_KIND, certificate_id, "ServerCertificate", params["Tags"])
    tags = tags_of(ctx.db, TAG_KIND, certificate_id)
    row = require_certificate(ctx, name)
    return {"ServerCertificateMetadata": _metadata(row), **({"Tags": tags} if tags else {})}


@iam.operation("GetServerCertificate")
def get_server_certificate(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = require_certificate(ctx, params["ServerCertificateName"])
    certificate: dict[str, Any] = {"ServerCertificateMetadata": _metadata(row), "CertificateBody": row.body}
    if row.chain:
        certificate["CertificateChain"] = row.chain
    tags = tags_of(ctx.db, TAG_KIND, row.id)
    if tags:
        certificate["Tags"] = tags
    return {"ServerCertificate": certificate}


@iam.operation("ListServerCertificates")
def list_server_certificates(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    query = select(_table).where(_table.c.account_id == ctx.account)
    if params.get("PathPrefix"):
        query = query.where(_table.c.path.startswith(params["PathPrefix"], autoescape=True))
    return page(ctx.db.execute(query).all(), params, "ServerCertificateMetadataList",
                lambda chunk: [_metadata(row) for row in chunk], name_place)


@iam.operation("UpdateServerCertificate")
def update_server_certificate(ctx: CallContext, params: dict[str, Any]) -> None:
    row = require_certificate(ctx, params["ServerCertificateName"])
    name = params.get("NewServerCertificateName") or row.name
    path = params.get("NewPath") or row.path
    if name.lower() != row.name_key and ctx.db.execute(select(_table.c.id).where(
            _table.c.account_id == ctx.account, _table.c.name_key == name.lower())).first() is not None:
        raise already_exists(f"The Server Certificate with name {name} already exists.")
    ctx.db.execute(update(_table).where(_table.c.id == row.id).values(
        name=name, name_key=name.lower(), path=path, arn=_arn(ctx.account, path, name)))


@iam.operation("DeleteServerCertificate")
def delete_server_certificate(ctx: CallContext, params: dict[str, Any]) -> None:
    row = require_certificate(ctx, params["ServerCertificateName"])
    drop_tags(ctx.db, TAG_KIND, row.id)
    ctx.db.execute(delete(_table).where(_table.c.id == row.id))
