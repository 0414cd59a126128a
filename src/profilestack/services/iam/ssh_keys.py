"""IAM users' SSH public keys (for CodeCommit): RSA keys of 2,048 bits or more, in OpenSSH or PEM form, five per
user, each known by its MD5 fingerprint."""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING, Any

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.services.iam.paging import page
from profilestack.services.iam.service import iam
from profilestack.services.iam.tables import iam_user_credentials
from profilestack.services.iam.user_credentials import CredentialKind
from profilestack.services.iam.users import target_user

if TYPE_CHECKING:  # cryptography is imported when a key is first read: it is not start-up work
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

SSH_KEYS = CredentialKind("ssh", "Public Key", "SSHPublicKeyId", "APKA", "SSHPublicKeysPerUser", 5)
SSH_KEYS.register("UpdateSSHPublicKey", "DeleteSSHPublicKey")
MIN_BITS, MAX_BITS = 2048, 16384


def _parsed(body: str) -> RSAPublicKey:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

    text = body.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
        else:
            key = serialization.load_ssh_public_key(text.encode())
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise AwsError("UnrecognizedPublicKeyEncoding", "The public key encoding format is unsupported or "
                                                        "unrecognized: give an ssh-rsa key or a PEM public key.",
                       400) from exc
    if not isinstance(key, RSAPublicKey):
        raise AwsError("InvalidPublicKey", "The public key must be an RSA (ssh-rsa) key.", 400)
    if not MIN_BITS <= key.key_size <= MAX_BITS:
        raise AwsError("InvalidPublicKey", f"The public key is {key.key_size} bits long; IAM takes RSA keys of "
                                           f"{MIN_BITS} to {MAX_BITS} bits.", 400)
    return key


def _openssh(key: RSAPublicKey) -> str:
    from cryptography.hazmat.primitives import serialization

    return key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def _fingerprint(openssh: str) -> str:
    digest = hashlib.md5(base64.b64decode(openssh.split()[1]), usedforsecurity=False).hexdigest()
    return ":".join(digest[index:index + 2] for index in range(0, 32, 2))


def _shape(user_name: str, row: Any, encoding: str = "SSH") -> dict[str, Any]:
    body = row.body
    if encoding == "PEM":
        from cryptography.hazmat.primitives import serialization

        key = serialization.load_ssh_public_key(body.encode())
        body = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return {"UserName": user_name, "SSHPublicKeyId": row.id, "Fingerprint": row.fingerprint,
            "SSHPublicKeyBody": body, "Status": row.status, "UploadDate": row.created_at}


@iam.operation("UploadSSHPublicKey")
def upload_ssh_public_key(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    user = target_user(ctx, params)
    openssh = _openssh(_parsed(params["SSHPublicKeyBody"]))
    fingerprint = _fingerprint(openssh)
    if SSH_KEYS.of_user(ctx, user.id, iam_user_credentials.c.fingerprint == fingerprint):
        raise AwsError("DuplicateSSHPublicKey", "The SSH public key is already associated with the specified IAM "
                                                "user.", 400)
    row = SSH_KEYS.add(ctx, user, body=openssh, fingerprint=fingerprint)
    return {"SSHPublicKey": _shape(user.name, row)}


@iam.operation("GetSSHPublicKey")
def get_ssh_public_key(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    user, row = SSH_KEYS.require(ctx, params)
    return {"SSHPublicKey": _shape(user.name, row, params["Encoding"])}


@iam.operation("ListSSHPublicKeys")
def list_ssh_public_keys(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    user = target_user(ctx, params)
    keys = [{"UserName": user.name, "SSHPublicKeyId": row.id, "Status": row.status, "UploadDate": row.created_at}
            for row in SSH_KEYS.of_user(ctx, user.id)]
    return page(keys, params, "SSHPublicKeys")


