"""AWS STS."""

from __future__ import annotations

from typing import Any

from profilestack.gateway.context import CallContext
from profilestack.services.registry import ServiceHandlers

sts = ServiceHandlers("sts")


@sts.operation("GetCallerIdentity")
def get_caller_identity(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    principal = ctx.principal
    return {"UserId": principal.principal_id, "Account": principal.account, "Arn": principal.arn}
