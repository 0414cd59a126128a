"""Calculated attribute definitions, and their values for profiles (worked out when asked: calculation.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Row, select

from profilestack import jsontext
from profilestack.gateway.context import CallContext
from profilestack.services.profiles import profile_store as store
from profilestack.services.profiles.calculation import (
    IngestionBounds,
    calculate,
    check_definition,
    check_range_override,
    ingestion_bounds,
    parsed,
)
from profilestack.services.profiles.definitions import HeldDefinitions
from profilestack.services.profiles.domains import require_domain
from profilestack.services.profiles.errors import bad_request
from profilestack.services.profiles.object_types import find_type, referenced_type
from profilestack.services.profiles.profile_operations import require_profile
from profilestack.services.profiles.segment_membership import calculated_attributes_of
from profilestack.services.profiles.service import profiles
from profilestack.services.profiles.tables import (
    profile_calculated_attributes,
    profile_objects,
    profile_segment_definitions,
)

_MEMBERS = ("DisplayName", "Description", "AttributeDetails", "Conditions", "Filter", "Statistic",
            "UseHistoricalData")
_UPDATABLE = ("DisplayName", "Description", "Conditions")
# Values are worked out from the stored objects whenever they are asked for: a definition is ready at once.
_READY = "COMPLETED"


CALCULATED_ATTRIBUTES = HeldDefinitions(profile_calculated_attributes, "name", "Calculated attribute",
                                        "calculated-attributes", "CalculatedAttributeName")


def _save(ctx: CallContext, domain: Row[Any], name: str, definition: dict[str, Any]) -> None:
    object_type = parsed(definition["AttributeDetails"]["Expression"]).object_type
    found = referenced_type(ctx.db, domain, object_type)
    check_definition(definition, found.definition.get("Fields") or {})
    CALCULATED_ATTRIBUTES.save(ctx, domain, name, definition, object_type=object_type)


def _shape(ctx: CallContext, domain: Row[Any], row: Row[Any]) -> dict[str, Any]:
    return CALCULATED_ATTRIBUTES.shape(ctx, domain, row, Status=_READY)


@profiles.operation("CreateCalculatedAttributeDefinition")
def create_definition(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain(ctx, params["DomainName"])
    name = params["CalculatedAttributeName"]
    CALCULATED_ATTRIBUTES.require_new(ctx, domain, name)
    _save(ctx, domain, name, {member: params[member] for member in _MEMBERS if member in params})
    CALCULATED_ATTRIBUTES.tag(ctx, domain, name, params.get("Tags"))
    return _shape(ctx, domain, CALCULATED_ATTRIBUTES.require(ctx, domain, name))


@profiles.operation("GetCalculatedAttributeDefinition")
def get_definition(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, row = CALCULATED_ATTRIBUTES.named(ctx, params)
    return _shape(ctx, domain, row)


@profiles.operation("UpdateCalculatedAttributeDefinition")
def update_definition(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, row = CALCULATED_ATTRIBUTES.named(ctx, params)
    _save(ctx, domain, row.name, {**row.definition, **{member: params[member] for member in _UPDATABLE
                                                         if member in params}})
    return _shape(ctx, domain, CALCULATED_ATTRIBUTES.require(ctx, domain, row.name))


@profiles.operation("DeleteCalculatedAttributeDefinition")
def delete_definition(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, row = CALCULATED_ATTRIBUTES.named(ctx, params)
    segments = ctx.db.execute(select(profile_segment_definitions.c.name, profile_segment_definitions.c.definition)
                              .where(profile_segment_definitions.c.domain_id == domain.id)
                              .order_by(profile_segment_definitions.c.name))
    users = [segment.name for segment in segments if row.name in calculated_attributes_of(segment.definition)]
    if users:
        raise bad_request(f"Calculated attribute {row.name} is used by segment definition {users[0]}; change or "
                          "delete it first.")
    CALCULATED_ATTRIBUTES.delete(ctx, domain, row)
    return {}


@profiles.operation("ListCalculatedAttributeDefinitions")
def list_definitions(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return CALCULATED_ATTRIBUTES.listed(ctx, params, ("CalculatedAttributeName", "DisplayName", "Description",
                                                      "CreatedAt", "LastUpdatedAt", "UseHistoricalData", "Status",
                                                      "Tags"), _shape)


def _objects_of(db: Connection, domain_id: int, object_type: str, profile_ids: Iterable[str],
                ingested: IngestionBounds = (None, None)) -> dict[str, list[tuple[str, Any]]]:
    """Profile id → (body, ingested at) of its objects of the type, in the order they were first ingested; only
    those ingested within ``ingested`` (either end None: open)."""
    query = (select(profile_objects.c.profile_id, profile_objects.c.body, profile_objects.c.created_at)
             .where(profile_objects.c.domain_id == domain_id, profile_objects.c.object_type == object_type,
                    profile_objects.c.profile_id.in_(list(profile_ids)))
             .order_by(profile_objects.c.created_at, profile_objects.c.unique_key))
    since, until = ingested
    if since is not None:
        query = query.where(profile_objects.c.created_at >= since)
    if until is not None:
        query = query.where(profile_objects.c.created_at <= until)
    rows = db.execute(query)
    found: dict[str, list[tuple[str, Any]]] = {}
    for row in rows:
        found.setdefault(row.profile_id, []).append((row.body, row.created_at))
    return found


def _values(ctx: CallContext, domain: Row[Any], row: Row[Any], profile_ids: list[str],
            range_override: dict[str, Any] | None = None,
            objects: dict[str, list[tuple[str, Any]]] | None = None) -> dict[str, dict[str, Any]]:
    """Profile id → the attribute's item for that profile (its value left out when there is none). ``objects``:
    the profiles' objects of the attribute's type, when already read."""
    object_type = find_type(ctx.db, domain.id, row.object_type)
    now = ctx.now()
    if objects is None:
        objects = _objects_of(ctx.db, domain.id, row.object_type, profile_ids, ingestion_bounds(
            row.definition, row.created_at, now, range_override)) if object_type else {}
    items = {}
    for profile_id in profile_ids:
        result = calculate(row.definition, row.created_at, object_type.definition if object_type else {},
                           objects.get(profile_id, []), now, range_override)
        item = {"CalculatedAttributeName": row.name, "DisplayName": row.definition.get("DisplayName"),
                "IsDataPartial": "false", "Value": result.value, "LastObjectTimestamp": result.last_object_at}
        items[profile_id] = {name: value for name, value in item.items() if value is not None}
    return items


@profiles.operation("GetCalculatedAttributeForProfile")
def get_for_profile(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, row = CALCULATED_ATTRIBUTES.named(ctx, params)
    profile = require_profile(ctx, domain, params["ProfileId"])
    return _values(ctx, domain, row, [profile.id])[profile.id]


@profiles.operation("ListCalculatedAttributesForProfile")
def list_for_profile(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain(ctx, params["DomainName"])
    profile = require_profile(ctx, domain, params["ProfileId"])

    def items(chunk: list[Row[Any]]) -> list[dict[str, Any]]:
        by_type: dict[str, dict[str, list[tuple[str, Any]]]] = {}  # the profile's objects, read once per type
        for row in chunk:
            if row.object_type not in by_type:
                by_type[row.object_type] = _objects_of(ctx.db, domain.id, row.object_type, [profile.id])
        return [_values(ctx, domain, row, [profile.id], objects=by_type[row.object_type])[profile.id]
                for row in chunk]

    return CALCULATED_ATTRIBUTES.paged(ctx, domain, params, items)


@profiles.operation("BatchGetCalculatedAttributeForProfile")
def batch_get_for_profiles(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, row = CALCULATED_ATTRIBUTES.named(ctx, params)
    wanted = list(dict.fromkeys(params["ProfileIds"]))
    found = list(store.load_profiles(ctx.db, domain.id, wanted, encoded=True))
    override = (params.get("ConditionOverrides") or {}).get("Range")
    check_range_override(override)
    values = _values(ctx, domain, row, found, override)
    result: dict[str, Any] = {
        "CalculatedAttributeValues": [{**values[profile_id], "ProfileId": profile_id} for profile_id in found],
        "Errors": [{"Code": "ResourceNotFoundException", "ProfileId": profile_id,
                    "Message": f"Profile {profile_id} does not exist in domain {domain.name}."}
                   for profile_id in wanted if profile_id not in values],
    }
    if params.get("ConditionOverrides"):
        result["ConditionOverrides"] = params["ConditionOverrides"]
    return result


class CalculatedValues:
    """Calculated attribute values of a set of profiles: each attribute (with each range override) is worked out
    for all of them at once, one read of their objects, the first time one of them is asked for."""

    def __init__(self, ctx: CallContext, domain: Row[Any], profile_ids: list[str]) -> None:
        self._ctx, self._domain, self._profile_ids = ctx, domain, profile_ids
        self._worked_out: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}

    def value(self, name: str, profile_id: str, range_override: dict[str, Any] | None = None) -> str | None:
        """The attribute's value for the profile (None when the attribute or the value does not exist)."""
        key = (name, jsontext.dumps(range_override) if range_override else "")
        values = self._worked_out.get(key)
        if values is None:
            row = CALCULATED_ATTRIBUTES.find(self._ctx.db, self._domain.id, name)
            values = {} if row is None else _values(self._ctx, self._domain, row, self._profile_ids, range_override)
            self._worked_out[key] = values
        return values.get(profile_id, {}).get("Value")
