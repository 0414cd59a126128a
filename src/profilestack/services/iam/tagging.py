"""Tag*/Untag*/List*Tags for users, roles, customer managed policies, instance profiles, MFA devices, OpenID
Connect and SAML providers, server certificates."""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import Any

from profilestack.gateway.context import CallContext
from profilestack.services.iam import entities, managed, mfa, oidc_providers, saml_providers, server_certificates
from profilestack.services.iam.paging import page
from profilestack.services.iam.service import iam
from profilestack.services.iam.tags import add_tags, remove_tags, tags_of


# kind → (title in operation names, parameter naming the target, how to find the target's id)
def _entity_target(kind: entities.EntityKind) -> Callable[[CallContext, dict[str, Any]], str]:
    return lambda ctx, params: entities.require(ctx.db, kind, ctx.account, params[kind.name_param]).id


def _policy_target(ctx: CallContext, params: dict[str, Any]) -> str:
    return managed.require_customer(ctx, params["PolicyArn"]).policy_id


_TARGETS = {
    "user": ("User", _entity_target(entities.USER)),
    "role": ("Role", _entity_target(entities.ROLE)),
    "policy": ("Policy", _policy_target),
    entities.INSTANCE_PROFILE.tags_kind: ("InstanceProfile", _entity_target(entities.INSTANCE_PROFILE)),
    mfa.TAG_KIND: ("MFADevice", lambda ctx, params: mfa.require_device(ctx, params["SerialNumber"]).id),
    oidc_providers.TAG_KIND: ("OpenIDConnectProvider", lambda ctx, params: oidc_providers.require_provider(
        ctx, params["OpenIDConnectProviderArn"]).id),
    saml_providers.TAG_KIND: ("SAMLProvider", lambda ctx, params: saml_providers.require_provider(
        ctx, params["SAMLProviderArn"]).id),
    server_certificates.TAG_KIND: ("ServerCertificate", lambda ctx, params: server_certificates.require_certificate(
        ctx, params["ServerCertificateName"]).id),
}


def _register(kind: str, title: str, target: Callable[[CallContext, dict[str, Any]], str]) -> None:
    @iam.operation(f"Tag{title}")
    def tag(ctx: CallContext, params: dict[str, Any]) -> None:
        add_tags(ctx.db, kind, target(ctx, params), title, params["Tags"])

    @iam.operation(f"Untag{title}")
    def untag(ctx: CallContext, params: dict[str, Any]) -> None:
        remove_tags(ctx.db, kind, target(ctx, params), params["TagKeys"])

    @iam.operation(f"List{title}Tags")
    def list_tags(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        return page(tags_of(ctx.db, kind, target(ctx, params)), params, "Tags", place=itemgetter("Key"))


for _kind, (_title, _target) in _TARGETS.items():
    _register(_kind, _title, _target)
