"""``iam:PassRole``: handing a role to a service, which will act as it, needs leave to pass that role.

A request that names a role for a service to use later (a segment snapshot's export role, a trail's CloudWatch Logs
role) could otherwise lend its caller any role of the account. As on AWS, the caller's policies must allow
``iam:PassRole`` on the role; ``iam:PassedToService`` (the service principal) and ``iam:AssociatedResourceArn``
(what the role goes with) are the condition keys they may test.
"""

from __future__ import annotations

from profilestack.gateway.context import CallContext
from profilestack.identity.principal import AWS_SERVICE


def require_pass_role(ctx: CallContext, role_arn: str, service: str, associated_resource: str) -> None:
    """AccessDenied, in the calling service's wording, unless the caller may pass ``role_arn`` to ``service`` (a
    service principal such as ``profile.amazonaws.com``). A service's own calls are not asked: the role they act
    as was passed to them already."""
    if ctx.principal.kind == AWS_SERVICE:
        return
    keys = {"PassedToService": service, "AssociatedResourceArn": associated_resource}
    ctx.authorize("iam:PassRole", role_arn, keys)
