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
