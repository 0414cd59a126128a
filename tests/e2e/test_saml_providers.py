"""IAM SAML 2.0 identity providers: created from their metadata document, read, updated, listed, tagged and
deleted as IAM keeps them; roles can trust them."""

from __future__ import annotations

import base64
import json

import pytest

from tests.e2e.errors import refused
from tests.e2e.identities import ACCOUNT, allow, document, make_user, unique
from tests.e2e.waiting import wait_for

KEY_PEM = "-----BEGIN PRIVATE KEY-----\n" + base64.b64encode(b"k" * 600).decode() + "\n-----END PRIVATE KEY-----\n"


def metadata(valid_until: str | None = "2036-05-09T16:27:11Z", idp: bool = True, entity_id: str = "idp") -> str:
    """SAML 2.0 metadata of an identity provider, over the 1,000 characters IAM's shape asks for."""
    certificate = base64.b64encode(bytes(range(256)) * 3).decode()
    until = f' validUntil="{valid_until}"' if valid_until else ""
    role = ("IDPSSODescriptor" if idp else "SPSSODescriptor")
    return (f'<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
            f'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://{entity_id}.example.com"{until}>'
            f'<md:{role} protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            f'<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{certificate}'
            f'</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>'
            f'<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
            f'Location="https://{entity_id}.example.com/sso"/></md:{role}></md:EntityDescriptor>')


def test_a_saml_provider_from_creation_to_deletion(client) -> None:
    iam = client("iam")
    name = unique("connect-sso")
    created = iam.create_saml_provider(Name=name, SAMLMetadataDocument=metadata(),
                                       Tags=[{"Key": "team", "Value": "contact-center"}])
    arn = created["SAMLProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:saml-provider/{name}"
    assert created["Tags"] == [{"Key": "team", "Value": "contact-center"}]
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == metadata()
    assert got["ValidUntil"].isoformat() == "2036-05-09T16:27:11+00:00"
    assert len(got["SAMLProviderUUID"]) >= 22 and got["SAMLProviderUUID"].isalnum()
    assert got["Tags"] == [{"Key": "team", "Value": "contact-center"}] and "PrivateKeyList" not in got
    listed = [item for item in iam.list_saml_providers()["SAMLProviderList"] if item["Arn"] == arn]
    assert listed == [{"Arn": arn, "ValidUntil": got["ValidUntil"], "CreateDate": got["CreateDate"],
                       "IsTrustedIdentityPropagationEnabled": False}]

    iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=metadata("2036-05-09T16:27:11"))
    assert iam.get_saml_provider(SAMLProviderArn=arn)["ValidUntil"] == got["ValidUntil"]  # no zone: UTC

    iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=metadata(None), AddPrivateKey=KEY_PEM,
                             AssertionEncryptionMode="Required")
    updated = iam.get_saml_provider(SAMLProviderArn=arn)
    assert "ValidUntil" not in updated and updated["AssertionEncryptionMode"] == "Required"
    [key] = updated["PrivateKeyList"]
    assert len(key["KeyId"]) >= 22 and key["KeyId"].isupper()
    assert refused(iam.update_saml_provider, SAMLProviderArn=arn, RemovePrivateKey=key["KeyId"]) == (
        "InvalidInput", "AssertionEncryptionMode Required needs a private key to decrypt assertions with.")
    iam.update_saml_provider(SAMLProviderArn=arn, RemovePrivateKey=key["KeyId"], AssertionEncryptionMode="Allowed")
    assert "PrivateKeyList" not in iam.get_saml_provider(SAMLProviderArn=arn)

    center = f"arn:aws:sso:::instance/ssoins-{'1' * 16}"
    iam.update_saml_provider(SAMLProviderArn=arn, IdentityCenterInstanceArn=center)
    assert iam.get_saml_provider(SAMLProviderArn=arn)["IdentityCenterInstanceArn"] == center
    assert [item["IsTrustedIdentityPropagationEnabled"] for item in iam.list_saml_providers()["SAMLProviderList"]
            if item["Arn"] == arn] == [True]
    iam.update_saml_provider(SAMLProviderArn=arn, RemoveIdentityCenterInstance=True)
    assert "IdentityCenterInstanceArn" not in iam.get_saml_provider(SAMLProviderArn=arn)

    iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "stage", "Value": "test"}])
    iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["team"])
    assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == [{"Key": "stage", "Value": "test"}]

    role = unique("federated")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": arn}, "Action": "sts:AssumeRoleWithSAML",
        "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]}))
    iam.delete_role(RoleName=role)

    providers = iam.get_account_summary()["SummaryMap"]["Providers"]
    iam.delete_saml_provider(SAMLProviderArn=arn)
    assert iam.get_account_summary()["SummaryMap"]["Providers"] == providers - 1
    assert refused(iam.get_saml_provider, SAMLProviderArn=arn) == (
        "NoSuchEntity", f"SAMLProvider not found for arn {arn}")
    assert refused(iam.list_saml_provider_tags, SAMLProviderArn=arn)[0] == "NoSuchEntity"


@pytest.mark.parametrize(("document", "says"), [
    (metadata(idp=False), "no IDPSSODescriptor"),
    (metadata().replace("md:EntityDescriptor", "md:Something"), "root element"),
    (metadata()[:-10], "Could not parse metadata"),
    ('<!DOCTYPE x [<!ENTITY a "aaaa">]>' + metadata(), "document type declaration"),
    (metadata("next tuesday"), "not a date and time"),
], ids=["not-an-idp", "not-metadata", "truncated", "dtd", "bad-date"])
def test_a_document_that_is_not_identity_provider_metadata_isrefused(client, document, says) -> None:
    code, message = refused(client("iam").create_saml_provider, Name=unique("bad"), SAMLMetadataDocument=document)
    assert code == "InvalidInput" and says in message


def test_what_saml_providers_refuse(client) -> None:
    iam = client("iam")
    name = unique("twice")
    arn = iam.create_saml_provider(Name=name, SAMLMetadataDocument=metadata())["SAMLProviderArn"]
    try:
        assert refused(iam.create_saml_provider, Name=name, SAMLMetadataDocument=metadata()) == (
            "EntityAlreadyExists", f"SAMLProvider {name} already exists.")
        assert refused(iam.update_saml_provider, SAMLProviderArn=arn, AddPrivateKey="not a key") == (
            "InvalidInput", "AddPrivateKey must be a private key in PEM form.")
        iam.update_saml_provider(SAMLProviderArn=arn, AddPrivateKey=KEY_PEM)
        iam.update_saml_provider(SAMLProviderArn=arn, AddPrivateKey=KEY_PEM)
        assert refused(iam.update_saml_provider, SAMLProviderArn=arn, AddPrivateKey=KEY_PEM)[0] == "LimitExceeded"
        assert refused(iam.update_saml_provider, SAMLProviderArn=arn, RemovePrivateKey="A" * 26)[0] == (
            "InvalidInput")
        assert refused(iam.create_saml_provider, Name=unique("strict"), SAMLMetadataDocument=metadata(),
                        AssertionEncryptionMode="Required")[0] == "InvalidInput"
    finally:
        iam.delete_saml_provider(SAMLProviderArn=arn)


def test_a_private_key_never_reaches_the_audit_trail(server, client) -> None:
    iam = client("iam")
    name = unique("secret")
    arn = iam.create_saml_provider(Name=name, SAMLMetadataDocument=metadata(), AddPrivateKey=KEY_PEM)[
        "SAMLProviderArn"]
    iam.delete_saml_provider(SAMLProviderArn=arn)
    trail = client("cloudtrail")
    events = wait_for(lambda: len(found := trail.lookup_events(LookupAttributes=[
        {"AttributeKey": "ResourceName", "AttributeValue": arn}])["Events"]) == 2 and found)
    assert sorted(event["EventName"] for event in events) == ["CreateSAMLProvider", "DeleteSAMLProvider"]
    [created] = [json.loads(event["CloudTrailEvent"]) for event in events if event["EventName"] == "CreateSAMLProvider"]
    assert created["requestParameters"]["addPrivateKey"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert created["requestParameters"]["name"] == name
    assert "PRIVATE KEY" not in json.dumps([event["CloudTrailEvent"] for event in events])


def test_creating_a_provider_is_authorized_on_its_arn(server) -> None:
    iam = server.client("iam")
    allowed = unique("allowed")
    user = make_user(server, document(allow("iam:CreateSAMLProvider",
                                            f"arn:aws:iam::{ACCOUNT}:saml-provider/{allowed}")))
    own = user.client("iam")
    arn = own.create_saml_provider(Name=allowed, SAMLMetadataDocument=metadata())["SAMLProviderArn"]
    iam.delete_saml_provider(SAMLProviderArn=arn)
    code, message = refused(own.create_saml_provider, Name=unique("other"), SAMLMetadataDocument=metadata())
    assert code == "AccessDenied" and "iam:CreateSAMLProvider" in message
