"""Profile object types (the mapping of a source's objects) and the templates they can start from."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, select

from profilestack.gateway.context import CallContext
from profilestack.services.next_token import page_result, rows_by_name
from profilestack.services.profiles import purges
from profilestack.services.profiles.definitions import save_definition
from profilestack.services.profiles.domains import hold_domain_data_alone, require_domain
from profilestack.services.profiles.errors import bad_request, not_found
from profilestack.services.profiles.mapping import validate_definition
from profilestack.services.profiles.object_type_purge import OBJECT_TYPE
from profilestack.services.profiles.service import profiles
from profilestack.services.profiles.standard_objects import RESERVED_TYPE_NAMES
from profilestack.services.profiles.tables import profile_object_types
from profilestack.services.profiles.templates import TEMPLATES, template
from profilestack.store.prepared import Prepared
from profilestack.store.resource_tags import remove_tags, set_tags, with_tags

_REQUEST_ONLY = {"DomainName", "ObjectTypeName", "Tags"}
_FROM_TEMPLATE = ("AllowProfileCreation", "SourceLastUpdatedTimestampFormat", "Fields", "Keys")


def type_arn(domain: Row[Any], name: str) -> str:
    return f"{domain.arn}/object-types/{name}"


_FIND_TYPE = Prepared(select(profile_object_types).where(
    profile_object_types.c.domain_id == bindparam("b_domain"), profile_object_types.c.name == bindparam("b_name")))


def find_type(db: Connection, domain_id: int, name: str) -> Row[Any] | None:
    return _FIND_TYPE.first(db, {"b_domain": domain_id, "b_name": name})


def referenced_type(db: Connection, domain: Row[Any], name: str) -> Row[Any]:
    """An object type another definition (a trigger, an integration, a calculated attribute) names: BadRequest when
    the domain has none of that name, as the request itself is wrong."""
    row = find_type(db, domain.id, name)
    if row is None:
        raise bad_request(f"Object type {name} does not exist in domain {domain.name}.")
    return row


def definition_of(db: Connection, domain: Row[Any], name: str) -> dict[str, Any]:
    """The mapping PutProfileObject uses: the object type's, or a template's whose id is the type name."""
    row = find_type(db, domain.id, name)
    if row is not None:
        return row.definition
    found = template(name)
    if found is None:
        raise not_found(f"Object type {name} does not exist in domain {domain.name}.")
    purges.finish(db, OBJECT_TYPE, domain.id, name)  # objects put under a template are the type's of that name
    return found


def _shape(db: Connection, domain: Row[Any], row: Row[Any], listed: bool = False) -> dict[str, Any]:
    definition = row.definition
    shape: dict[str, Any] = {"ObjectTypeName": row.name}
    members = ("Description", "MaxProfileObjectCount", "SourcePriority") if listed else tuple(definition)
    shape.update({name: definition[name] for name in members if name in definition})
    if "MaxProfileObjectCount" in definition:
        shape["MaxAvailableProfileObjectCount"] = definition["MaxProfileObjectCount"]
    shape["CreatedAt"], shape["LastUpdatedAt"] = row.created_at, row.updated_at
    with_tags(db, type_arn(domain, row.name), shape)
    return shape


@profiles.operation("PutProfileObjectType")
def put_profile_object_type(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain(ctx, params["DomainName"])
    name = params["ObjectTypeName"]
    if name in RESERVED_TYPE_NAMES:
        raise bad_request(f"{name} is the name of a standard object; object types take other names.")
    definition = {key: value for key, value in params.items() if key not in _REQUEST_ONLY}
    if params.get("TemplateId"):
        found = template(params["TemplateId"])
        if found is None:
            raise bad_request(f"Template {params['TemplateId']} does not exist.")
        if any(member in params for member in ("Fields", "Keys")):
            raise bad_request("An object type created from a template takes its Fields and Keys from the "
                              "template; remove them from the request.")
        definition.update({member: found[member] for member in _FROM_TEMPLATE if member not in params})
    validate_definition(definition)
    purges.finish(ctx.db, OBJECT_TYPE, domain.id, name)
    save_definition(ctx.db, profile_object_types, {"domain_id": domain.id, "name": name}, definition, ctx.now())
    if params.get("Tags"):
        set_tags(ctx.db, type_arn(domain, name), params["Tags"], bad_request)
    return _shape(ctx.db, domain, find_type(ctx.db, domain.id, name))


@profiles.operation("GetProfileObjectType")
def get_profile_object_type(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain(ctx, params["DomainName"])
    row = find_type(ctx.db, domain.id, params["ObjectTypeName"])
    if row is None:
        raise not_found(f"Object type {params['ObjectTypeName']} does not exist in domain {domain.name}.")
    return _shape(ctx.db, domain, row)


@profiles.operation("ListProfileObjectTypes")
def list_profile_object_types(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain(ctx, params["DomainName"])
    return rows_by_name(ctx.db, select(profile_object_types).where(profile_object_types.c.domain_id == domain.id),
                        profile_object_types.c.name, params,
                        lambda chunk: [_shape(ctx.db, domain, row, listed=True) for row in chunk])


@profiles.operation("DeleteProfileObjectType")
def delete_profile_object_type(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain(ctx, params["DomainName"])
    name = params["ObjectTypeName"]
    hold_domain_data_alone(ctx.db, domain)  # before any row's lock, as the domain's writers take them
    if find_type(ctx.db, domain.id, name) is None:
        raise not_found(f"Object type {name} does not exist in domain {domain.name}.")
    purges.start(ctx, OBJECT_TYPE, domain.id, name)
    remove_tags(ctx.db, type_arn(domain, name))
    ctx.db.execute(delete(profile_object_types).where(profile_object_types.c.domain_id == domain.id,
                                                      profile_object_types.c.name == name))
    return {"Message": f"Object type {name} and its objects were deleted."}


@profiles.operation("ListProfileObjectTypeTemplates")
def list_profile_object_type_templates(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    items = [{"TemplateId": template_id, "SourceName": spec["SourceName"], "SourceObject": spec["SourceObject"]}
             for template_id, spec in sorted(TEMPLATES.items())]
    return page_result(items, params)


@profiles.operation("GetProfileObjectTypeTemplate")
def get_profile_object_type_template(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    found = template(params["TemplateId"])
    if found is None:
        raise not_found(f"Template {params['TemplateId']} does not exist.")
    return found
