"""IAM users' service-specific credentials: a user name and password for CodeCommit or Amazon Keyspaces, an API
key for Amazon Bedrock or CloudWatch Logs (which may expire), two per service per user. The password or key is
shown when made or reset, never kept."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.services.iam.entities import USER
from profilestack.services.iam.errors import invalid_input
from profilestack.services.iam.paging import page
from profilestack.services.iam.service import iam
from profilestack.services.iam.tables import iam_user_credentials
from profilestack.services.iam.user_credentials import CredentialKind, status_of
from profilestack.services.iam.users import target_user

SERVICE_CREDENTIALS = CredentialKind("service", "Service Specific Credential", "ServiceSpecificCredentialId", "ACCA",
                                     "ServiceSpecificCredentialsPerUserPerService", 2)
SERVICE_CREDENTIALS.register("UpdateServiceSpecificCredential", "DeleteServiceSpecificCredential")
PASSWORD_SERVICES = frozenset({"codecommit.amazonaws.com", "cassandra.amazonaws.com"})
API_KEY_SERVICES = frozenset({"bedrock.amazonaws.com", "logs.amazonaws.com"})  # the ones whose keys may expire
_table = iam_user_credentials


def _check_service(name: str) -> None:
    if name not in PASSWORD_SERVICES | API_KEY_SERVICES:
        raise AwsError("NotSupportedService", f"The specified service {name} does not support service-specific "
                                              "credentials.", 404)


def _shape(ctx: CallContext, user_name: str, row: Any, secret: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"UserName": user_name, "ServiceSpecificCredentialId": row.id,
                            "ServiceName": row.service_name, "Status": status_of(row, ctx.now()),
                            "CreateDate": row.created_at}
    if row.expires_at is not None:
        item["ExpirationDate"] = row.expires_at
    if row.service_name in API_KEY_SERVICES:
        item["ServiceCredentialAlias"] = f"{user_name}-at-{ctx.account}-{row.id[-4:].lower()}"
        if secret is not None:
            item["ServiceCredentialSecret"] = secret
    else:
        item["ServiceUserName"] = f"{user_name}-at-{ctx.account}"
        if secret is not None:
            item["ServicePassword"] = secret
    return item


@iam.operation("CreateServiceSpecificCredential")
def create_service_specific_credential(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    user = target_user(ctx, params)
    service = params["ServiceName"]
    _check_service(service)
    days = params.get("CredentialAgeDays")
    if days is not None and service not in API_KEY_SERVICES:
        raise invalid_input("CredentialAgeDays is only valid for Amazon Bedrock and CloudWatch Logs API keys.")
    now = ctx.now()
    expires = now + timedelta(days=days) if days is not None else None
    row = SERVICE_CREDENTIALS.add(ctx, user, service_name=service, expires_at=expires, now=now)
    return {"ServiceSpecificCredential": _shape(ctx, user.name, row, ctx.app.ids.secret(44))}


@iam.operation("ResetServiceSpecificCredential")
def reset_service_specific_credential(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    user, row = SERVICE_CREDENTIALS.require(ctx, params)
    return {"ServiceSpecificCredential": _shape(ctx, user.name, row, ctx.app.ids.secret(44))}


@iam.operation("ListServiceSpecificCredentials")
def list_service_specific_credentials(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """The named (or calling) user's, or with AllUsers every user's of the account; of one service if named."""
    if params.get("ServiceName"):
        _check_service(params["ServiceName"])
    query = select(_table, USER.table.c.name.label("user_name")).join(
        USER.table, USER.table.c.id == _table.c.user_id).where(_table.c.kind == "service",
                                                                _table.c.account_id == ctx.account)
    if not params.get("AllUsers"):
        query = query.where(_table.c.user_id == target_user(ctx, params).id)
    if params.get("ServiceName"):
        query = query.where(_table.c.service_name == params["ServiceName"])
    rows = ctx.db.execute(query.order_by(USER.table.c.name, _table.c.created_at, _table.c.id))
    return page([_shape(ctx, row.user_name, row) for row in rows], params, "ServiceSpecificCredentials")


