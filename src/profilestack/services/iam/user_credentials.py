"""What IAM users' SSH public keys, signing certificates and service-specific credentials share: one table, a
quota per user, a status, and the Update…/Delete… operations that find one of a user's credentials by its id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, update

from profilestack.gateway.context import CallContext
from profilestack.services.iam.errors import invalid_input, no_such_entity, quota
from profilestack.services.iam.service import iam
from profilestack.services.iam.tables import iam_user_credentials
from profilestack.services.iam.users import target_user

_table = iam_user_credentials


@dataclass(frozen=True)
class CredentialKind:
    kind: str  # the table's kind column
    title: str  # as IAM names it in messages: "Public Key", "Signing Certificate", …
    id_param: str  # the parameter that names one: SSHPublicKeyId, CertificateId, …
    prefix: str  # of generated ids
    quota_name: str
    per_user: int

    def require(self, ctx: CallContext, params: dict[str, Any]) -> tuple[Row[Any], Row[Any]]:
        """The user (the caller when not named) and their credential the parameters name."""
        user = target_user(ctx, params)
        credential_id = params[self.id_param]
        row = ctx.db.execute(select(_table).where(_table.c.id == credential_id, _table.c.kind == self.kind,
                                                  _table.c.user_id == user.id)).first()
        if row is None:
            raise no_such_entity(f"The {self.title} with id {credential_id} cannot be found.")
        return user, row

    def of_user(self, ctx: CallContext, user_id: str, *conditions: Any) -> list[Row[Any]]:
        return list(ctx.db.execute(select(_table).where(_table.c.kind == self.kind, _table.c.user_id == user_id,
                                                        *conditions).order_by(_table.c.created_at, _table.c.id)))

    def add(self, ctx: CallContext, user: Row[Any], body: str | None = None, fingerprint: str | None = None,
            service_name: str | None = None, expires_at: datetime | None = None, length: int = 20,
            now: datetime | None = None) -> Row[Any]:
        """A new Active credential of the user, within the quota (per service for service credentials)."""
        counted = [_table.c.service_name == service_name] if service_name else []
        count = ctx.db.execute(select(func.count()).select_from(_table).where(
            _table.c.kind == self.kind, _table.c.user_id == user.id, *counted)).scalar() or 0
        if count >= self.per_user:
            raise quota(self.quota_name, self.per_user)
        credential_id = ctx.app.ids.unique_id(self.prefix, length)
        ctx.db.execute(insert(_table).values(
            id=credential_id, kind=self.kind, account_id=ctx.account, user_id=user.id, status="Active", body=body,
            fingerprint=fingerprint, service_name=service_name, expires_at=expires_at, created_at=now or ctx.now()))
        return ctx.db.execute(select(_table).where(_table.c.id == credential_id)).one()

    def register(self, update_operation: str, delete_operation: str) -> None:
        """Update…: a new status (Active or Inactive; Expired is IAM's to give); Delete…."""

        @iam.operation(update_operation)
        def update_status(ctx: CallContext, params: dict[str, Any]) -> None:
            _, row = self.require(ctx, params)
            if params["Status"] == "Expired":
                raise invalid_input("Status must be Active or Inactive.")
            ctx.db.execute(update(_table).where(_table.c.id == row.id).values(status=params["Status"]))

        @iam.operation(delete_operation)
        def delete_credential(ctx: CallContext, params: dict[str, Any]) -> None:
            _, row = self.require(ctx, params)
            ctx.db.execute(delete(_table).where(_table.c.id == row.id))


def status_of(row: Row[Any], now: datetime) -> str:
    return "Expired" if row.expires_at is not None and row.expires_at <= now else row.status
