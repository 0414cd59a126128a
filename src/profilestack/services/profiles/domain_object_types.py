"""Domain object types: the mappings of a domain's data store (PutDomainObjectType and the rest). profilestack
keeps them, checked and listed; it has no data store to ingest into, so nothing reads them yet."""

from __future__ import annotations

from typing import Any

from profilestack.gateway.context import CallContext
from profilestack.services.profiles.definitions import HeldDefinitions
from profilestack.services.profiles.domains import require_domain
from profilestack.services.profiles.errors import bad_request
from profilestack.services.profiles.service import profiles
from profilestack.services.profiles.tables import profile_domain_object_types

DOMAIN_OBJECT_TYPES = HeldDefinitions(profile_domain_object_types, "name", "Domain object type",
                                      "domain-object-types", "ObjectTypeName")
_MEMBERS = ("Description", "EncryptionKey", "Fields")
_LISTED = ("ObjectTypeName", "Description", "CreatedAt", "LastUpdatedAt", "Tags")


@profiles.operation("PutDomainObjectType")
def put_domain_object_type(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Creates the type, or replaces its definition (keeping its creation date); only in a domain whose data
    store is enabled, as on AWS."""
    domain = require_domain(ctx, params["DomainName"])
    if not (domain.data_store or {}).get("Enabled"):
        raise bad_request(f"Domain {domain.name} has no data store: enable its DataStore with UpdateDomain before "
                          "putting domain object types.")
    name = params["ObjectTypeName"]
    definition = {member: params[member] for member in _MEMBERS if member in params}
    return DOMAIN_OBJECT_TYPES.shape(ctx, domain, DOMAIN_OBJECT_TYPES.put(ctx, domain, name, definition,
                                                                         params.get("Tags")))


@profiles.operation("GetDomainObjectType")
def get_domain_object_type(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, row = DOMAIN_OBJECT_TYPES.named(ctx, params)
    return DOMAIN_OBJECT_TYPES.shape(ctx, domain, row)


@profiles.operation("ListDomainObjectTypes")
def list_domain_object_types(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return DOMAIN_OBJECT_TYPES.listed(ctx, params, _LISTED)


@profiles.operation("DeleteDomainObjectType")
def delete_domain_object_type(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, row = DOMAIN_OBJECT_TYPES.named(ctx, params)
    DOMAIN_OBJECT_TYPES.delete(ctx, domain, row)
    return {}
