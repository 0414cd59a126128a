"""Recommender schemas (the columns of web analytics events and catalog items recommenders may train on) and
recommender filters (which items recommendations may hold): kept per domain, checked, listed, tagged."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select

from profilestack.gateway.context import CallContext
from profilestack.services.profiles import filter_expressions
from profilestack.services.profiles.definitions import HeldDefinitions, Shape
from profilestack.services.profiles.domains import require_domain
from profilestack.services.profiles.errors import bad_request
from profilestack.services.profiles.service import profiles
from profilestack.services.profiles.standard_objects import CATALOG_ITEM, WEB_ANALYTICS, StandardObject
from profilestack.services.profiles.tables import (
    profile_recommender_filters,
    profile_recommender_schemas,
    profile_recommenders,
)

SCHEMAS = HeldDefinitions(profile_recommender_schemas, "name", "Recommender schema", "recommender-schemas",
                          "RecommenderSchemaName")
FILTERS = HeldDefinitions(profile_recommender_filters, "name", "Recommender filter", "recommender-filters",
                          "RecommenderFilterName")
DATASETS = {standard.name: standard for standard in (WEB_ANALYTICS, CATALOG_ITEM)}
# Columns every recommender trains on, which IncludedColumns need not name and ExcludedColumns cannot
MANDATORY_COLUMNS = {WEB_ANALYTICS.name: ("Item.Id", "EventTimestamp", "EventType"), CATALOG_ITEM.name: ("Id",)}


def dataset(name: str) -> StandardObject:
    found = DATASETS.get(name)
    if found is None:
        raise bad_request(f"{name} is not a dataset recommenders read: use {' or '.join(DATASETS)}.")
    return found


def is_column(standard: StandardObject, column: str) -> bool:
    """``EventType``, ``Page.Title``, ``Attributes.colour``: a field, a structure's part or an attribute."""
    return standard.takes(column.split("."))


def schema_columns(ctx: CallContext, domain: Row[Any], schema_name: str | None) -> dict[str, list[str]]:
    """Dataset → the columns a recommender or filter using the schema may read; with no schema (the default
    schema) every field of both datasets, attributes aside."""
    if schema_name is None:
        return {name: sorted([*standard.fields, *(f"{structure}.{part}" for structure, parts in
                                                  standard.structures.items() for part in parts)])
                for name, standard in DATASETS.items()}
    return fields_by_dataset(SCHEMAS.require(ctx, domain, schema_name))


def fields_by_dataset(schema: Row[Any]) -> dict[str, list[str]]:
    """A stored schema's columns: dataset → target field names."""
    return {name: [column["TargetFieldName"] for column in columns]
            for name, columns in schema.definition["Fields"].items()}


@profiles.operation("CreateRecommenderSchema")
def create_recommender_schema(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain(ctx, params["DomainName"])
    name = params["RecommenderSchemaName"]
    SCHEMAS.require_new(ctx, domain, name)
    for name_of_dataset, columns in params["Fields"].items():
        standard = dataset(name_of_dataset)
        for column in columns:
            if not is_column(standard, column["TargetFieldName"]):
                raise bad_request(f"{column['TargetFieldName']} is not a column of {name_of_dataset}.")
    row = SCHEMAS.put(ctx, domain, name, {"Fields": params["Fields"]}, params.get("Tags"))
    return {"RecommenderSchemaArn": SCHEMAS.arn(domain, name), **_schema_shape(ctx, domain, row)}


def _active_shape(held: HeldDefinitions) -> Shape:
    """How a schema or a filter is shown: ACTIVE from the start, with its creation date alone."""
    def shape(ctx: CallContext, domain: Row[Any], row: Row[Any]) -> dict[str, Any]:
        found = held.shape(ctx, domain, row, Status="ACTIVE")
        found.pop("LastUpdatedAt")
        return found

    return shape


_schema_shape = _active_shape(SCHEMAS)


@profiles.operation("GetRecommenderSchema")
def get_recommender_schema(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, row = SCHEMAS.named(ctx, params)
    shape = _schema_shape(ctx, domain, row)
    shape.pop("Tags", None)
    return shape


@profiles.operation("ListRecommenderSchemas")
def list_recommender_schemas(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return SCHEMAS.listed(ctx, params, ("RecommenderSchemaName", "Fields", "CreatedAt", "Status"),
                          _schema_shape, "RecommenderSchemas")


@profiles.operation("DeleteRecommenderSchema")
def delete_recommender_schema(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, row = SCHEMAS.named(ctx, params)
    for held, title in ((profile_recommenders, "recommender"), (FILTERS.table, "recommender filter")):
        users = [found.name for found in ctx.db.execute(select(held.c.name, held.c.definition)
                                                        .where(held.c.domain_id == domain.id))
                 if found.definition.get("RecommenderSchemaName") == row.name]
        if users:
            raise bad_request(f"Recommender schema {row.name} is used by {title} {users[0]}: delete it first.")
    SCHEMAS.delete(ctx, domain, row)
    return {}


def new_definition(ctx: CallContext, params: dict[str, Any], held: HeldDefinitions) -> tuple[Row[Any], str]:
    """The domain and the name of a recommender or filter a create request makes: a name the domain does not hold
    yet, and a schema it does (when the request names one)."""
    domain = require_domain(ctx, params["DomainName"])
    name = params[held.name_member]
    held.require_new(ctx, domain, name)
    if "RecommenderSchemaName" in params:
        SCHEMAS.require(ctx, domain, params["RecommenderSchemaName"])
    return domain, name


@profiles.operation("CreateRecommenderFilter")
def create_recommender_filter(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, name = new_definition(ctx, params, FILTERS)
    parse_filter(params["RecommenderFilterExpression"])
    definition = {member: params[member] for member in ("RecommenderFilterExpression", "RecommenderSchemaName",
                                                        "Description") if member in params}
    FILTERS.put(ctx, domain, name, definition, params.get("Tags"))
    return {"RecommenderFilterArn": FILTERS.arn(domain, name), **({"Tags": params["Tags"]} if params.get("Tags")
                                                                  else {})}


def parse_filter(expression: str) -> list[filter_expressions.Part]:
    try:
        return filter_expressions.parse(expression)
    except filter_expressions.FilterError as error:
        raise bad_request(f"Invalid RecommenderFilterExpression: {error}") from error


_filter_shape = _active_shape(FILTERS)


@profiles.operation("GetRecommenderFilter")
def get_recommender_filter(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"Tags": {}, **_filter_shape(ctx, *FILTERS.named(ctx, params))}  # the model requires Tags: {} for none


@profiles.operation("ListRecommenderFilters")
def list_recommender_filters(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return FILTERS.listed(ctx, params, ("RecommenderFilterName", "RecommenderSchemaName",
                                        "RecommenderFilterExpression", "CreatedAt", "Description", "Status",
                                        "FailureReason", "Tags"), _filter_shape, "RecommenderFilters")


@profiles.operation("DeleteRecommenderFilter")
def delete_recommender_filter(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, row = FILTERS.named(ctx, params)
    FILTERS.delete(ctx, domain, row)
    return {"Message": f"Recommender filter {row.name} was deleted."}
