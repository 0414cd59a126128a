"""Handlers per service: plain functions ``(ctx, params) -> result`` registered by operation name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from profilestack.gateway.context import CallContext

Handler = Callable[[CallContext, dict[str, Any]], dict[str, Any] | None]


class ServiceHandlers:
    """``after_write`` runs after any of the service's writes commits (IAM uses it to drop authorization caches)."""

    def __init__(self, service: str, after_write: Callable[[CallContext], None] | None = None) -> None:
        self.service = service
        self.after_write = after_write
        self.handlers: dict[str, Handler] = {}

    def operation(self, name: str) -> Callable[[Handler], Handler]:
        def register(function: Handler) -> Handler:
            self.handlers[name] = self._with_hook(function) if self.after_write else function
            return function

        return register


    def _with_hook(self, function: Handler) -> Handler:
        after_write = self.after_write

        def handler(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any] | None:
            if ctx.write:
                ctx.on_commit(lambda: after_write(ctx))
            return function(ctx, params)

        return handler


def all_handlers() -> dict[tuple[str, str], Handler]:
    """Every implemented (service, operation); importing a service module registers it."""
    from profilestack.services.cloudtrail.handlers import cloudtrail
    from profilestack.services.iam.handlers import iam
    from profilestack.services.sts.handlers import sts

    table: dict[tuple[str, str], Handler] = {}
    for service in (sts, iam, cloudtrail):
        for name, handler in service.handlers.items():
            table[(service.service, name)] = handler
    return table
