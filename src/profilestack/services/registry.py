"""Handlers per service: plain functions ``(ctx, params) -> result`` registered by operation name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from profilestack.gateway.context import CallContext

Handler = Callable[[CallContext, dict[str, Any]], dict[str, Any] | None]


class ServiceHandlers:
    def __init__(self, service: str) -> None:
        self.service = service
        self.handlers: dict[str, Handler] = {}

    def operation(self, name: str) -> Callable[[Handler], Handler]:
        def register(function: Handler) -> Handler:
            self.handlers[name] = function
            return function

        return register


def all_handlers() -> dict[tuple[str, str], Handler]:
    """Every implemented (service, operation); importing a service module registers it."""
    from profilestack.services.cloudtrail.handlers import cloudtrail
    from profilestack.services.sts.handlers import sts

    table: dict[tuple[str, str], Handler] = {}
    for service in (sts, cloudtrail):
        for name, handler in service.handlers.items():
            table[(service.service, name)] = handler
    return table
