"""SAML 2.0 identity providers: registered, read, updated, listed and tagged as IAM keeps them, for the federated
roles a contact center's single sign-on needs (Amazon Connect's SAML login among them). The metadata document's
form is checked here; its signing certificates check assertions in AssumeRoleWithSAML (sts/saml_assertions.py).
Only the ids of the private keys given for assertion encryption are kept, so encrypted assertions are refused."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update

from profilestack.gateway.context import CallContext
from profilestack.services.iam.errors import already_exists, invalid_input, limit_exceeded
from profilestack.services.iam.identity_providers import (
    ProviderKind,
    propagation_changes,
    propagation_enabled,
    propagation_shape,
)
from profilestack.services.iam.service import iam
from profilestack.services.iam.tables import iam_saml_providers
from profilestack.services.iam.tags import add_tags, tags_of
from profilestack.utc_times import parse_utc

MAX_PROVIDERS = 100  # IAM's quota per account
MAX_PRIVATE_KEYS = 2
SAML_PROVIDERS = ProviderKind(iam_saml_providers, "SAMLProvider", "saml")
TAG_KIND = SAML_PROVIDERS.tag_kind
require_provider = SAML_PROVIDERS.require
_METADATA = "urn:oasis:names:tc:SAML:2.0:metadata"
_table = iam_saml_providers


def metadata_valid_until(document: str) -> datetime | None:
    """The document's ``validUntil``, if it gives one; InvalidInput unless it is SAML 2.0 metadata describing an
    identity provider. Documents declaring a DTD are refused unread: metadata has no use for one, and entity
    expansion is how XML parsers are attacked."""
    if "<!DOCTYPE" in document or "<!ENTITY" in document:
        raise invalid_input("Could not parse metadata: a document type declaration is not allowed.")
    try:
        root = ElementTree.fromstring(document)
    except ElementTree.ParseError as exc:
        raise invalid_input(f"Could not parse metadata: {exc}.") from exc
    entity = root
    if root.tag == f"{{{_METADATA}}}EntitiesDescriptor":
        entity = root.find(f"{{{_METADATA}}}EntityDescriptor")
    if entity is None or entity.tag != f"{{{_METADATA}}}EntityDescriptor":
        raise invalid_input("Could not parse metadata: the root element must be a SAML 2.0 metadata "
                            "EntityDescriptor (or EntitiesDescriptor).")
    if entity.find(f"{{{_METADATA}}}IDPSSODescriptor") is None:
        raise invalid_input("Could not parse metadata: it describes no identity provider (no IDPSSODescriptor).")
    stamp = root.get("validUntil") or entity.get("validUntil")
    if stamp is None:
        return None
    try:
        return parse_utc(stamp.strip())
    except ValueError as exc:
        raise invalid_input(f"Could not parse metadata: validUntil {stamp} is not a date and time.") from exc


def _private_keys(ctx: CallContext, keys: list[dict[str, Any]], add: str | None, remove: str | None
                  ) -> list[dict[str, Any]]:
    """The key list after adding and removing: ids and dates only, the keys themselves are not kept."""
    if remove is not None:
        if all(key["KeyId"] != remove for key in keys):
            raise invalid_input(f"The private key {remove} is not one of the provider's keys.")
        keys = [key for key in keys if key["KeyId"] != remove]
    if add is not None:
        if "-----BEGIN" not in add or "PRIVATE KEY-----" not in add:
            raise invalid_input("AddPrivateKey must be a private key in PEM form.")
        if len(keys) >= MAX_PRIVATE_KEYS:
            raise limit_exceeded(f"A SAML provider has at most {MAX_PRIVATE_KEYS} private keys: remove one first.")
        keys = [*keys, {"KeyId": ctx.app.ids.unique_id("", 26).upper(), "Timestamp": ctx.now().isoformat()}]
    return keys


def _check_encryption(mode: str | None, keys: list[dict[str, Any]]) -> None:
    if mode == "Required" and not keys:
        raise invalid_input("AssertionEncryptionMode Required needs a private key to decrypt assertions with.")


@iam.operation("CreateSAMLProvider")
def create_saml_provider(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["Name"]
    arn = f"arn:aws:iam::{ctx.account}:saml-provider/{name}"
    if ctx.db.execute(select(_table.c.arn).where(_table.c.arn == arn)).first() is not None:
        raise already_exists(f"SAMLProvider {name} already exists.")
    count = ctx.db.execute(select(func.count()).select_from(_table).where(_table.c.account_id == ctx.account)).scalar()
    if count >= MAX_PROVIDERS:
        raise limit_exceeded(f"Cannot exceed quota for SAMLProvidersPerAccount: {MAX_PROVIDERS}.")
    valid_until = metadata_valid_until(params["SAMLMetadataDocument"])
    keys = _private_keys(ctx, [], params.get("AddPrivateKey"), None)
    _check_encryption(params.get("AssertionEncryptionMode"), keys)
    provider_id = ctx.app.ids.unique_id("SAML", 20)
    ctx.db.execute(insert(_table).values(
        arn=arn, id=provider_id, account_id=ctx.account, name=name, metadata_document=params["SAMLMetadataDocument"],
        valid_until=valid_until, uuid=ctx.app.ids.unique_id("", 26).upper(),
        assertion_encryption_mode=params.get("AssertionEncryptionMode"), private_keys=keys,
        context_provider=params.get("ContextProvider"),
        identity_center_instance_arn=params.get("IdentityCenterInstanceArn"), created_at=ctx.now()))
    if params.get("Tags"):
        add_tags(ctx.db, TAG_KIND, provider_id, "SAMLProvider", params["Tags"])
    tags = tags_of(ctx.db, TAG_KIND, provider_id)
    return {"SAMLProviderArn": arn, **({"Tags": tags} if tags else {})}


@iam.operation("GetSAMLProvider")
def get_saml_provider(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = require_provider(ctx, params["SAMLProviderArn"])
    result: dict[str, Any] = {"SAMLProviderUUID": row.uuid, "SAMLMetadataDocument": row.metadata_document,
                              "CreateDate": row.created_at}
    optional = {"ValidUntil": row.valid_until, "AssertionEncryptionMode": row.assertion_encryption_mode,
                **propagation_shape(row), "Tags": tags_of(ctx.db, TAG_KIND, row.id),
                "PrivateKeyList": [{"KeyId": key["KeyId"], "Timestamp": datetime.fromisoformat(key["Timestamp"])}
                                   for key in row.private_keys]}
    result.update({name: value for name, value in optional.items() if value})
    return result


@iam.operation("ListSAMLProviders")
def list_saml_providers(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    rows = ctx.db.execute(select(_table).where(_table.c.account_id == ctx.account).order_by(_table.c.arn))
    return {"SAMLProviderList": [{"Arn": row.arn, "CreateDate": row.created_at,
                                  "IsTrustedIdentityPropagationEnabled": propagation_enabled(row),
                                  **({"ValidUntil": row.valid_until} if row.valid_until else {})} for row in rows]}


@iam.operation("UpdateSAMLProvider")
def update_saml_provider(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = require_provider(ctx, params["SAMLProviderArn"])
    changes: dict[str, Any] = {}
    if "SAMLMetadataDocument" in params:
        changes["valid_until"] = metadata_valid_until(params["SAMLMetadataDocument"])
        changes["metadata_document"] = params["SAMLMetadataDocument"]
    keys = _private_keys(ctx, row.private_keys, params.get("AddPrivateKey"), params.get("RemovePrivateKey"))
    mode = params.get("AssertionEncryptionMode", row.assertion_encryption_mode)
    _check_encryption(mode, keys)
    changes.update(private_keys=keys, assertion_encryption_mode=mode)
    changes.update(propagation_changes(params))
    ctx.db.execute(update(_table).where(_table.c.arn == row.arn).values(**changes))
    return {"SAMLProviderArn": row.arn}


@iam.operation("DeleteSAMLProvider")
def delete_saml_provider(ctx: CallContext, params: dict[str, Any]) -> None:
    SAML_PROVIDERS.delete(ctx, require_provider(ctx, params["SAMLProviderArn"]))
