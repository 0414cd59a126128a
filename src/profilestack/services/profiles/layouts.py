"""Domain layouts: how the Amazon Connect agent workspace shows a domain's profiles. profilestack keeps them as
given; at most one layout of a domain is its default."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from profilestack.gateway.context import CallContext
from profilestack.services.profiles.definitions import HeldDefinitions
from profilestack.services.profiles.domains import require_domain
from profilestack.services.profiles.service import profiles
from profilestack.services.profiles.tables import profile_domain_layouts
from profilestack.store.locks import lock_for_transaction

LAYOUTS = HeldDefinitions(profile_domain_layouts, "name", "Layout", "layouts", "LayoutDefinitionName")
_MEMBERS = ("Description", "DisplayName", "IsDefault", "LayoutType", "Layout")
_LISTED = ("LayoutDefinitionName", "Description", "DisplayName", "IsDefault", "LayoutType", "Tags", "CreatedAt",
           "LastUpdatedAt")


def _save(ctx: CallContext, domain: Row[Any], name: str, definition: dict[str, Any]) -> dict[str, Any]:
    """Store the layout; if it is the default, the one that was stops being it. Its shape as stored."""
    if definition.get("IsDefault"):
        # two layouts made the default at once (other connections, other processes): one after the other
        lock_for_transaction(ctx.db, f"default-layout:{domain.id}")
        for row in LAYOUTS.all(ctx.db, domain.id):
            if row.name != name and row.definition.get("IsDefault"):
                LAYOUTS.save(ctx, domain, row.name, {**row.definition, "IsDefault": False})
    LAYOUTS.save(ctx, domain, name, definition)
    return LAYOUTS.shape(ctx, domain, LAYOUTS.require(ctx, domain, name))


@profiles.operation("CreateDomainLayout")
def create_domain_layout(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain(ctx, params["DomainName"])
    name = params["LayoutDefinitionName"]
    LAYOUTS.require_new(ctx, domain, name)
    LAYOUTS.tag(ctx, domain, name, params.get("Tags"))
    definition = {"IsDefault": False, **{member: params[member] for member in _MEMBERS if member in params}}
    return _save(ctx, domain, name, {**definition, "Version": "1"})


@profiles.operation("GetDomainLayout")
def get_domain_layout(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, row = LAYOUTS.named(ctx, params)
    return LAYOUTS.shape(ctx, domain, row)


@profiles.operation("UpdateDomainLayout")
def update_domain_layout(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Members left out keep their values; every update is a new version."""
    domain, row = LAYOUTS.named(ctx, params)
    changes = {member: params[member] for member in _MEMBERS if member in params}
    version = str(int(row.definition["Version"]) + 1)
    return _save(ctx, domain, row.name, {**row.definition, **changes, "Version": version})


@profiles.operation("DeleteDomainLayout")
def delete_domain_layout(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, row = LAYOUTS.named(ctx, params)
    LAYOUTS.delete(ctx, domain, row)
    return {"Message": f"Layout {row.name} was deleted."}


@profiles.operation("ListDomainLayouts")
def list_domain_layouts(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return LAYOUTS.listed(ctx, params, _LISTED)
