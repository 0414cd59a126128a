"""What IAM's OpenID Connect and SAML providers share: found by ARN in the caller's account, tagged under their id,
deleted with their tags."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Table, delete, select

from profilestack.gateway.context import CallContext
from profilestack.services.iam.errors import no_such_entity
from profilestack.services.iam.tags import drop_tags


@dataclass(frozen=True)
class ProviderKind:
    table: Table
    title: str  # as IAM's messages name it
    tag_kind: str

    def require(self, ctx: CallContext, arn: str) -> Row[Any]:
        row = ctx.db.execute(select(self.table).where(self.table.c.arn == arn,
                                                      self.table.c.account_id == ctx.account)).first()
        if row is None:
            raise no_such_entity(f"{self.title} not found for arn {arn}")
        return row

    def delete(self, ctx: CallContext, row: Row[Any]) -> None:
        drop_tags(ctx.db, self.tag_kind, row.id)
        ctx.db.execute(delete(self.table).where(self.table.c.arn == row.arn))


def propagation_changes(params: dict[str, Any]) -> dict[str, Any]:
    """The trusted identity propagation settings an Update…Provider call sets or removes, as column values."""
    changes: dict[str, Any] = {}
    if params.get("RemoveContextProvider"):
        changes["context_provider"] = None
    elif "ContextProvider" in params:
        changes["context_provider"] = params["ContextProvider"]
    if params.get("RemoveIdentityCenterInstance"):
        changes["identity_center_instance_arn"] = None
    elif "IdentityCenterInstanceArn" in params:
        changes["identity_center_instance_arn"] = params["IdentityCenterInstanceArn"]
    return changes


def propagation_shape(row: Row[Any]) -> dict[str, Any]:
    """ContextProvider and IdentityCenterInstanceArn, where set."""
    shape = {"ContextProvider": row.context_provider, "IdentityCenterInstanceArn": row.identity_center_instance_arn}
    return {name: value for name, value in shape.items() if value}


def propagation_enabled(row: Row[Any]) -> bool:
    """ListSAMLProviders' and ListOpenIDConnectProviders' IsTrustedIdentityPropagationEnabled."""
    return bool(row.context_provider or row.identity_center_instance_arn)
