"""GetProfileRecommendations and SearchRecommendations: a customer's items from an ACTIVE recommender's active
version, through its filter and promotion, kept diverse, described with the catalog columns asked for."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select

from profilestack.gateway.context import CallContext
from profilestack.services.profiles import filter_expressions, object_values
from profilestack.services.profiles.domains import require_domain
from profilestack.services.profiles.errors import bad_request
from profilestack.services.profiles.profile_operations import profile_by_search_key, require_profile
from profilestack.services.profiles.recommender_model import column_value, event_weights, rank
from profilestack.services.profiles.recommender_schemas import FILTERS, is_column, parse_filter
from profilestack.services.profiles.recommenders import RECOMMENDERS, catalog, interactions
from profilestack.services.profiles.service import profiles
from profilestack.services.profiles.standard_objects import CATALOG_ITEM
from profilestack.services.profiles.tables import profile_objects, profile_recommender_versions

_TIMES = ("CreatedAt", "UpdatedAt")


@dataclass(frozen=True)
class Asked:
    """What a request asks of a recommender, as both operations name it."""

    name: str
    size: int
    filters: list[dict[str, Any]] | None = None
    promotions: list[dict[str, Any]] | None = None
    candidates: list[str] | None = None
    columns: list[str] | None = None
    diversity: dict[str, Any] | None = None


@profiles.operation("GetProfileRecommendations")
def get_profile_recommendations(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain(ctx, params["DomainName"])
    profile = require_profile(ctx, domain, params["ProfileId"])
    return {"Recommendations": _recommend(ctx, domain, profile.id, Asked(
        params["RecommenderName"], params.get("MaxResults", 10), params.get("RecommenderFilters"),
        params.get("RecommenderPromotionalFilters"), params.get("CandidateIds"),
        (params.get("MetadataConfig") or {}).get("MetadataColumns"), params.get("DiversityConfig")))}


@profiles.operation("SearchRecommendations")
def search_recommendations(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """As GetProfileRecommendations, for the one profile a search key finds (the key's values, a customer's
    details, are not repeated in the refusals)."""
    domain = require_domain(ctx, params["DomainName"])
    profile_id = profile_by_search_key(ctx, domain, params["KeyName"], params["KeyValues"])
    recommender = params["Recommender"]
    return {"ProfileId": profile_id, "Recommendations": _recommend(ctx, domain, profile_id, Asked(
        recommender["Name"], params.get("MaxRecommendations", 5), recommender.get("Filters"),
        recommender.get("PromotionalFilters"), params.get("CandidateIds"),
        (params.get("Metadata") or {}).get("Columns"), params.get("Diversity")))}


def _recommend(ctx: CallContext, domain: Row[Any], profile_id: str, asked: Asked) -> list[dict[str, Any]]:
    name, candidates, size = asked.name, asked.candidates, asked.size
    recommender = RECOMMENDERS.require(ctx, domain, name)
    if recommender.status != "ACTIVE":
        raise bad_request(f"Recommender {name} is {recommender.status}: recommendations come from an ACTIVE "
                          "recommender.")
    recipe = recommender.definition["RecommenderRecipeName"]
    if recipe == "personalized-ranking" and not candidates:
        raise bad_request(f"Recommender {name} uses the personalized-ranking recipe: give the CandidateIds to rank.")
    for column in asked.columns or []:
        if not is_column(CATALOG_ITEM, column):
            raise bad_request(f"{column} is not a column of {CATALOG_ITEM.name}.")
    version = ctx.db.execute(select(profile_recommender_versions.c.model, profile_recommender_versions.c.config)
                             .where(profile_recommender_versions.c.domain_id == domain.id,
                                    profile_recommender_versions.c.recommender == name,
                                    profile_recommender_versions.c.name == recommender.active_version)).first()
    if version is None:  # not reached: an ACTIVE recommender answers with a version it trained
        raise bad_request(f"Recommender {name} has no trained version to answer with.")
    weight = event_weights(version.config)
    events = [event for event in interactions(ctx.db, domain.id, profile_id) if weight(event) > 0]
    ranked = rank(version.model, recipe, [(event.item, weight(event)) for event in events], candidates)
    described = catalog(ctx.db, domain.id, [item for item, _ in ranked])
    if candidates is None and described.keys() != {item for item, _ in ranked} and _has_catalog(ctx, domain):
        ranked = [(item, score) for item, score in ranked if item in described]  # only items the catalog has
    items = [item for item, _ in ranked]
    done: dict[str, set[str]] = {}
    for event in events:
        done.setdefault(event.item, set()).add(event.event_type)

    def choose(chosen: dict[str, Any]) -> list[str]:
        if not chosen.get("Name"):
            raise bad_request("A recommender filter or promotion needs the Name of a recommender filter.")
        parts = parse_filter(FILTERS.require(ctx, domain, chosen["Name"]).definition["RecommenderFilterExpression"])
        return filter_expressions.apply(parts, items, chosen.get("Values") or {},
                                        lambda item, field: _column(described.get(item), field),
                                        lambda item: done.get(item, set()))

    if asked.filters:
        items = choose(asked.filters[0])
    if asked.promotions:
        promoted = set(choose(asked.promotions[0]))
        share = math.ceil(size * asked.promotions[0].get("PercentPromotedItems", 100) / 100)
        first = [item for item in items if item in promoted][:share]
        items = [item for item in items if item in first or item not in promoted]
    if asked.diversity and asked.diversity.get("Enabled"):
        items = _diverse(recommender, items, size, asked.diversity.get("Values") or {}, described)
    scores = dict(ranked)
    return [{"CatalogItem": _catalog_item(item, described.get(item), asked.columns or []), "Score": scores[item]}
            for item in items[:size]]


def _has_catalog(ctx: CallContext, domain: Row[Any]) -> bool:
    return ctx.db.execute(select(profile_objects.c.unique_key).where(
        profile_objects.c.domain_id == domain.id, profile_objects.c.object_type == CATALOG_ITEM.name).limit(1)
    ).first() is not None


def _column(record: dict[str, Any] | None, field: str) -> Any:
    """A filter's ``Items.<FIELD>``: the catalog field or attribute of that name, in any case."""
    if record is None:
        return None
    for name, value in record.items():
        if name.lower() == field.lower() and not isinstance(value, dict):
            return value
    attributes = record.get("Attributes") or {}
    return next((value for name, value in attributes.items() if name.lower() == field.lower()), None)


def _diverse(recommender: Row[Any], items: list[str], size: int, values: dict[str, int],
             described: dict[str, dict[str, Any]]) -> list[str]:
    """Items in order, each left out once as many before it share a value of a diversity column as the column's
    cap allows: a number of items (VALUE), a share of those returned (PERCENTAGE), or a $placeholder's value."""
    columns = ((recommender.definition.get("RecommenderConfig") or {}).get("DiversityConfig") or {}).get(
        "DiversityColumns") or []
    if not columns:
        raise bad_request(f"Recommender {recommender.name} has no DiversityConfig to apply.")
    caps = []
    for column in columns:
        target = column["Target"]
        if target.startswith("$"):
            if target[1:] not in values:
                raise bad_request(f"Diversity column {column['Name']} caps by {target}: give its value in Values.")
            cap = values[target[1:]]
        else:
            cap = int(target)
        if column["CapType"] == "PERCENTAGE":
            cap = max(1, math.floor(size * cap / 100))
        caps.append((column["Name"], cap))
    kept, counts = [], Counter[tuple[str, Any]]()
    for item in items:
        record = described.get(item) or {}
        shared = [(name, column_value(record, name)) for name, _ in caps]
        if any(value is not None and counts[(name, value)] >= cap for (name, value), (_, cap) in zip(shared, caps,
                                                                                                    strict=True)):
            continue
        counts.update(pair for pair in shared if pair[1] is not None)
        kept.append(item)
    return kept


def _catalog_item(item: str, record: dict[str, Any] | None, columns: list[str]) -> dict[str, Any]:
    """The item's Id and the catalog columns asked for that it has (its attributes under Attributes)."""
    shape: dict[str, Any] = {"Id": item}
    for column in columns:
        value = column_value(record or {}, column)
        if not isinstance(value, str) or not value:
            continue
        if column.startswith("Attributes."):
            shape.setdefault("Attributes", {})[column.partition(".")[2]] = value
        elif column in _TIMES:
            moment = object_values.moment(value)
            if moment is not None:
                shape[column] = moment
        else:
            shape[column] = value
    return shape

