"""Checking a SAML 2.0 authentication response for AssumeRoleWithSAML, as STS does: signed (the response or its
assertion) by a signing certificate of the IAM SAML provider's metadata, issued by the provider's entity, meant
for AWS (audience ``https://signin.aws.amazon.com/saml``), within its validity, and naming the role with the
provider in its ``Role`` attribute, with a ``RoleSessionName``.

Only what the signature covers is read (signxml hands back the signed element): an assertion moved into a
signed response's wrapper does not count. Encrypted assertions are refused: profilestack keeps no private keys.
signxml (and lxml) are imported at the first assertion, not at start-up.
"""

from __future__ import annotations

import base64
import binascii
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from profilestack.gateway.errors import AwsError
from profilestack.utc_times import parse_utc

AUDIENCES = ("https://signin.aws.amazon.com/saml", "urn:amazon:webservices")
ROLE_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/Role"
SESSION_NAME_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
DURATION_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
_SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
_PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
_METADATA = "urn:oasis:names:tc:SAML:2.0:metadata"
_DSIG = "http://www.w3.org/2000/09/xmldsig#"
_SKEW = timedelta(minutes=5)


@dataclass
class Assertion:
    issuer: str
    subject: str
    subject_type: str
    audience: str
    recipient: str | None
    roles: set[tuple[str, str]]  # (role ARN, provider ARN) pairs of the Role attribute
    session_name: str | None
    session_duration: int | None
    attributes: dict[str, list[str]] = field(default_factory=dict)


def _invalid(message: str) -> AwsError:
    return AwsError("InvalidIdentityToken", message)


def _metadata(document: str) -> tuple[str, list[str]]:
    """The provider's entity id and its signing certificates (PEM)."""
    root = ElementTree.fromstring(document)
    entity = root if root.tag == f"{{{_METADATA}}}EntityDescriptor" else root.find(f"{{{_METADATA}}}EntityDescriptor")
    if entity is None:
        raise _invalid("The SAML provider's metadata describes no entity.")
    certificates = []
    for descriptor in entity.iter(f"{{{_METADATA}}}KeyDescriptor"):
        if descriptor.get("use", "signing") != "signing":
            continue
        for element in descriptor.iter(f"{{{_DSIG}}}X509Certificate"):
            body = "".join((element.text or "").split())
            lines = [body[index:index + 64] for index in range(0, len(body), 64)]
            certificates.append("-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n")
    return entity.get("entityID", ""), certificates


def verified_assertion(encoded: str, metadata: str, now: datetime) -> Assertion:
    try:
        document = base64.b64decode(encoded, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise _invalid("The SAML response is not base64.") from exc
    if b"<!DOCTYPE" in document or b"<!ENTITY" in document:
        raise _invalid("The SAML response may not declare a document type.")
    if b"EncryptedAssertion" in document:
        raise _invalid("profilestack keeps no private keys: encrypted SAML assertions cannot be read.")
    entity_id, certificates = _metadata(metadata)
    assertion = _signed_assertion(document, certificates)
    return _read(assertion, entity_id, now)


def _signed_assertion(document: bytes, certificates: list[str]) -> Any:
    """The assertion the signature covers (the signed response's one, or the signed assertion itself)."""
    from lxml import etree
    from signxml import InvalidInput, InvalidSignature, XMLVerifier

    for certificate in certificates:
        try:
            signed = XMLVerifier().verify(document, x509_cert=certificate, expect_references=1).signed_xml
        except InvalidSignature:
            continue
        except (InvalidInput, etree.XMLSyntaxError, ValueError) as exc:
            raise _invalid(f"The SAML response is not a signed SAML document: {exc}") from exc
        if signed is None:
            continue
        if etree.QName(signed).localname == "Assertion":
            return signed
        found = signed.find(f"{{{_SAML}}}Assertion")
        if found is not None:
            return found
        raise _invalid("The signed SAML response holds no assertion.")
    raise _invalid("The SAML response's signature is not made by a signing certificate of the provider's metadata.")


def _text(element: Any, path: str) -> str | None:
    found = element.find(path, {"saml": _SAML})
    return None if found is None or found.text is None else found.text.strip()


def _moment(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_utc(text.strip())
    except ValueError:
        raise _invalid(f"The assertion's time {text[:64]!r} is not an ISO 8601 date and time.") from None


def _read(assertion: Any, entity_id: str, now: datetime) -> Assertion:
    namespaces = {"saml": _SAML}
    issuer = _text(assertion, "saml:Issuer") or ""
    if issuer != entity_id:
        raise _invalid(f"The assertion's issuer {issuer} is not the SAML provider's entity ({entity_id}).")
    conditions = assertion.find("saml:Conditions", namespaces)
    audiences = [] if conditions is None else [
        (element.text or "").strip() for element in conditions.iterfind(".//saml:Audience", namespaces)]
    audience = next((item for item in audiences if item in AUDIENCES or item.endswith(".signin.aws.amazon.com/saml")),
                    None)
    if audience is None:
        raise _invalid(f"The assertion is not meant for AWS: its audience must be {AUDIENCES[0]}.")
    confirmation = assertion.find("saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData", namespaces)
    limits = [_moment(conditions.get("NotOnOrAfter")) if conditions is not None else None,
              _moment(confirmation.get("NotOnOrAfter")) if confirmation is not None else None]
    if any(limit is not None and limit <= now - _SKEW for limit in limits):
        raise AwsError("ExpiredTokenException", "Token must be redeemed within 5 minutes of issuance")
    not_before = _moment(conditions.get("NotBefore")) if conditions is not None else None
    if not_before is not None and not_before > now + _SKEW:
        raise _invalid("The assertion is not valid yet (NotBefore).")
    name_id = assertion.find("saml:Subject/saml:NameID", namespaces)
    if name_id is None or not (name_id.text or "").strip():
        raise _invalid("The assertion names no subject (NameID).")
    attributes: dict[str, list[str]] = {}
    for attribute in assertion.iterfind(".//saml:AttributeStatement/saml:Attribute", namespaces):
        attributes[attribute.get("Name", "")] = [(value.text or "").strip()
                                                 for value in attribute.iterfind("saml:AttributeValue", namespaces)]
    roles = set()
    for value in attributes.get(ROLE_ATTRIBUTE, []):
        parts = [part.strip() for part in value.split(",")]
        if len(parts) == 2:
            role, provider = sorted(parts, key=lambda part: ":saml-provider/" in part)
            roles.add((role, provider))
    durations = attributes.get(DURATION_ATTRIBUTE) or []
    format_ = name_id.get("Format", "urn:oasis:names:tc:SAML:2.0:nameid-format:transient")
    return Assertion(
        issuer=issuer, subject=name_id.text.strip(),
        subject_type=format_.rsplit(":", 1)[-1] if format_.startswith("urn:oasis:names:tc:SAML:2.0:nameid-format:")
        else format_,
        audience=audience, recipient=confirmation.get("Recipient") if confirmation is not None else None,
        roles=roles, session_name=(attributes.get(SESSION_NAME_ATTRIBUTE) or [None])[0],
        session_duration=int(durations[0]) if durations and durations[0].isdigit() else None,
        attributes=attributes)
