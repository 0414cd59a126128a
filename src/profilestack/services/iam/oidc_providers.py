"""OpenID Connect identity providers: registered, listed, changed and tagged as IAM keeps them, so that the roles
and trust policies an infrastructure-as-code setup makes for them (CI systems signing in with OIDC) can be
created and inspected. profilestack does not fetch providers' keys: AssumeRoleWithWebIdentity is not served."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, insert, select, update

from profilestack.gateway.context import CallContext
from profilestack.services.iam.errors import already_exists, invalid_input, limit_exceeded
from profilestack.services.iam.identity_providers import (
    ProviderKind,
    propagation_changes,
    propagation_enabled,
    propagation_shape,
)
from profilestack.services.iam.service import iam
from profilestack.services.iam.tables import iam_oidc_providers
from profilestack.services.iam.tags import add_tags, tags_of

MAX_CLIENT_IDS = 100
MAX_THUMBPRINTS = 5
OIDC_PROVIDERS = ProviderKind(iam_oidc_providers, "OpenIDConnect Provider", "oidc")
TAG_KIND = OIDC_PROVIDERS.tag_kind
require_provider = OIDC_PROVIDERS.require
_table = iam_oidc_providers


def _check_thumbprints(thumbprints: list[str]) -> None:
    if len(thumbprints) > MAX_THUMBPRINTS:
        raise limit_exceeded(f"Thumbprint list must contain at most {MAX_THUMBPRINTS} entries.")


@iam.operation("CreateOpenIDConnectProvider")
def create_open_id_connect_provider(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    url = params["Url"]
    if not url.startswith("https://") or len(url) <= len("https://"):
        raise invalid_input("Url must begin with https://")
    arn = f"arn:aws:iam::{ctx.account}:oidc-provider/{url.removeprefix('https://').rstrip('/')}"
    if ctx.db.execute(select(_table.c.arn).where(_table.c.arn == arn)).first() is not None:
        raise already_exists(f"Provider with url {url} already exists.")
    client_ids = list(dict.fromkeys(params.get("ClientIDList") or []))
    if len(client_ids) > MAX_CLIENT_IDS:
        raise limit_exceeded(f"Client ID list must contain at most {MAX_CLIENT_IDS} entries.")
    _check_thumbprints(params.get("ThumbprintList") or [])
    provider_id = ctx.app.ids.unique_id("OIDC", 20)
    ctx.db.execute(insert(_table).values(arn=arn, id=provider_id, account_id=ctx.account, url=url,
                                         client_ids=client_ids, thumbprints=params.get("ThumbprintList") or [],
                                         context_provider=params.get("ContextProvider"),
                                         identity_center_instance_arn=params.get("IdentityCenterInstanceArn"),
                                         created_at=ctx.now()))
    if params.get("Tags"):
        add_tags(ctx.db, TAG_KIND, provider_id, "OpenIDConnectProvider", params["Tags"])
    tags = tags_of(ctx.db, TAG_KIND, provider_id)
    return {"OpenIDConnectProviderArn": arn, **({"Tags": tags} if tags else {})}


@iam.operation("GetOpenIDConnectProvider")
def get_open_id_connect_provider(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = require_provider(ctx, params["OpenIDConnectProviderArn"])
    tags = tags_of(ctx.db, TAG_KIND, row.id)
    return {"Url": row.url.removeprefix("https://"), "ClientIDList": row.client_ids,
            "ThumbprintList": row.thumbprints, "CreateDate": row.created_at, **propagation_shape(row),
            **({"Tags": tags} if tags else {})}


@iam.operation("ListOpenIDConnectProviders")
def list_open_id_connect_providers(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    rows = ctx.db.execute(select(_table).where(_table.c.account_id == ctx.account).order_by(_table.c.arn))
    return {"OpenIDConnectProviderList": [{"Arn": row.arn, "IsTrustedIdentityPropagationEnabled":
                                           propagation_enabled(row)} for row in rows]}


@iam.operation("DeleteOpenIDConnectProvider")
def delete_open_id_connect_provider(ctx: CallContext, params: dict[str, Any]) -> None:
    OIDC_PROVIDERS.delete(ctx, require_provider(ctx, params["OpenIDConnectProviderArn"]))


def _set_client_ids(ctx: CallContext, row: Row[Any], client_ids: list[str]) -> None:
    if len(client_ids) > MAX_CLIENT_IDS:
        raise limit_exceeded(f"Client ID list must contain at most {MAX_CLIENT_IDS} entries.")
    ctx.db.execute(update(_table).where(_table.c.arn == row.arn).values(client_ids=client_ids))


@iam.operation("AddClientIDToOpenIDConnectProvider")
def add_client_id(ctx: CallContext, params: dict[str, Any]) -> None:
    """Adding a client id already there changes nothing, as on AWS."""
    row = require_provider(ctx, params["OpenIDConnectProviderArn"])
    _set_client_ids(ctx, row, list(dict.fromkeys([*row.client_ids, params["ClientID"]])))


@iam.operation("RemoveClientIDFromOpenIDConnectProvider")
def remove_client_id(ctx: CallContext, params: dict[str, Any]) -> None:
    """Removing a client id that is not there changes nothing, as on AWS."""
    row = require_provider(ctx, params["OpenIDConnectProviderArn"])
    _set_client_ids(ctx, row, [client for client in row.client_ids if client != params["ClientID"]])


@iam.operation("UpdateOpenIDConnectProviderThumbprint")
def update_thumbprint(ctx: CallContext, params: dict[str, Any]) -> None:
    row = require_provider(ctx, params["OpenIDConnectProviderArn"])
    _check_thumbprints(params["ThumbprintList"])
    ctx.db.execute(update(_table).where(_table.c.arn == row.arn).values(thumbprints=params["ThumbprintList"]))


@iam.operation("UpdateOpenIDConnectProvider")
def update_open_id_connect_provider(ctx: CallContext, params: dict[str, Any]) -> None:
    """Trusted identity propagation: the context provider and the IAM Identity Center instance (thumbprints and
    client ids have operations of their own)."""
    row = require_provider(ctx, params["OpenIDConnectProviderArn"])
    changes = propagation_changes(params)
    if changes:
        ctx.db.execute(update(_table).where(_table.c.arn == row.arn).values(**changes))
