"""An object type's attributes (the fields its mapping names) and what its stored objects hold in them:
ListObjectTypeAttributes, ListObjectTypeAttributeValues, GetObjectTypeAttributeStatistics. Values are read from
the objects at each call (a scan of the type's objects in the domain; a listing of values at its first page, kept
for its later ones: listing_snapshots.py); AWS works statistics out once a day."""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select

from profilestack.gateway.context import CallContext
from profilestack.services.cloudwatch.statistics import percentile
from profilestack.services.next_token import page
from profilestack.services.profiles.domains import require_domain
from profilestack.services.profiles.errors import bad_request, not_found
from profilestack.services.profiles.mapping import field_value, parse_object
from profilestack.services.profiles.object_types import find_type
from profilestack.services.profiles.object_values import number
from profilestack.services.profiles.service import profiles
from profilestack.services.profiles.tables import profile_objects

_PERCENTILES = {"P5": 5, "P25": 25, "P50": 50, "P75": 75, "P95": 95}


def _object_type(ctx: CallContext, params: dict[str, Any]) -> tuple[Row[Any], Row[Any]]:
    domain = require_domain(ctx, params["DomainName"])
    row = find_type(ctx.db, domain.id, params["ObjectTypeName"])
    if row is None:
        raise not_found(f"Object type {params['ObjectTypeName']} does not exist in domain {domain.name}.")
    return domain, row


def _source(object_type: Row[Any], attribute: str) -> str:
    spec = (object_type.definition.get("Fields") or {}).get(attribute)
    if spec is None:
        raise bad_request(f"{attribute} is not an attribute of object type {object_type.name}: its attributes are "
                          "the fields its mapping names.")
    return spec.get("Source", "")


def _values(ctx: CallContext, domain: Row[Any], object_type: Row[Any], source: str) -> Iterator[tuple[str, datetime]]:
    """The attribute's value in each object of the type that has one, newest object first."""
    rows = ctx.db.execute(select(profile_objects.c.body, profile_objects.c.created_at).where(
        profile_objects.c.domain_id == domain.id, profile_objects.c.object_type == object_type.name)
        .order_by(profile_objects.c.created_at.desc(), profile_objects.c.unique_key))
    for row in rows:
        value = field_value(source, parse_object(row.body))
        if value:
            yield value, row.created_at


@profiles.operation("ListObjectTypeAttributes")
def list_object_type_attributes(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    _, object_type = _object_type(ctx, params)
    names = sorted(object_type.definition.get("Fields") or {})
    chunk, token = page(names, params)
    return {"Items": [{"AttributeName": name, "LastUpdatedAt": object_type.updated_at} for name in chunk],
            "NextToken": token}


@profiles.operation("ListObjectTypeAttributeValues")
def list_object_type_attribute_values(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Distinct values, the most recently stored first, each with the time of the newest object holding it."""
    domain, object_type = _object_type(ctx, params)
    source = _source(object_type, params["AttributeName"])

    def work_out() -> tuple[None, list[tuple[str, datetime]]]:
        latest: dict[str, datetime] = {}
        for value, stored_at in _values(ctx, domain, object_type, source):
            latest.setdefault(value, stored_at)
        return None, list(latest.items())

    scope = ("ListObjectTypeAttributeValues", domain.id, object_type.name, params["AttributeName"])
    _, chunk, token = ctx.app.listings.page(scope, params, work_out)
    return {"Items": [{"Value": value, "LastUpdatedAt": stored_at} for value, stored_at in chunk], "NextToken": token}


@profiles.operation("GetObjectTypeAttributeStatistics")
def get_object_type_attribute_statistics(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Over the attribute's numeric values; without any, every statistic is left out (AWS answers nulls)."""
    domain, object_type = _object_type(ctx, params)
    numbers = [found for value, _ in _values(ctx, domain, object_type, _source(object_type, params["AttributeName"]))
               if (found := number(value)) is not None]
    stats: dict[str, Any] = {}
    if numbers:
        samples = [(value, 1.0) for value in numbers]
        # mean and pstdev work exactly: huge values do not overflow as a float sum would
        stats = {"Maximum": max(numbers), "Minimum": min(numbers), "Average": statistics.mean(numbers),
                 "StandardDeviation": statistics.pstdev(numbers),
                 "Percentiles": {name: percentile(samples, rank) for name, rank in _PERCENTILES.items()}}
    return {"Statistics": stats, "CalculatedAt": ctx.now()}
