"""What a recommender learns from a domain's web analytics events and item catalog, and how each recipe ranks items
with it. Pure functions over plain data: no storage, no HTTP (recommenders.py trains, recommendations.py asks).

A model is JSON: the items by weighted popularity, by trend, the items bought or viewed by the same customers as
each item (``paired``) and the catalog items most alike each item (``similar``)."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

RECIPES = {
    "recommended-for-you": "Items a customer is likely to want, from what customers with the same interests "
                           "interacted with.",
    "similar-items": "Items alike the one a customer interacted with last, by their catalog columns.",
    "frequently-paired-items": "Items the customers of the item a customer interacted with last also interacted "
                               "with.",
    "popular-items": "The items with the most interactions.",
    "trending-now": "The items whose interactions grew the most over the last seven days.",
    "personalized-ranking": "The candidate items a request gives, ranked for the customer.",
}
TRENDING_WINDOW_MS = 7 * 86_400_000
KEPT_PER_ITEM = 50  # paired and similar items kept per item
KEPT_RANKED = 500  # popular and trending items kept
_SHARED_FEATURE_LIMIT = 200  # a column value more items share than this says nothing of their likeness
_EVALUATED_PROFILES = 1000
_CUTOFFS = (5, 10, 25)


@dataclass(frozen=True)
class Interaction:
    profile_id: str
    item: str
    event_type: str
    timestamp_ms: float
    value: float | None


class TrainingError(Exception):
    """The data cannot make a model (its message is the recommender's FailureReason)."""


def event_weights(config: dict[str, Any]) -> Callable[[Interaction], float]:
    """How much an interaction counts: with EventsConfig only its event types do, each by its EventWeight (1
    when not given), and not below its EventValueThreshold; without, every interaction counts 1."""
    listed = (config.get("EventsConfig") or {}).get("EventParametersList")
    if not listed:
        return lambda interaction: 1.0
    by_type = {entry["EventType"]: entry for entry in listed}

    def weight(interaction: Interaction) -> float:
        entry = by_type.get(interaction.event_type)
        if entry is None:
            return 0.0
        threshold = entry.get("EventValueThreshold")
        if threshold is not None and (interaction.value is None or interaction.value < threshold):
            return 0.0
        return float(entry.get("EventWeight", 1.0))

    return weight


@dataclass
class Trained:
    model: dict[str, Any]
    # the counted interactions (item, weight) of at most a thousand customers, each oldest first: what the
    # training metrics are measured on
    histories: dict[str, list[tuple[str, float]]]


def train(customers: Iterable[list[Interaction]], catalog: dict[str, dict[str, Any]], config: dict[str, Any],
          similarity_columns: list[str], now_ms: float) -> Trained:
    """The model of the interactions that count, read one customer at a time (``customers``: each one's
    interactions), so that what is held grows with the items, not the events; ``similarity_columns`` are the
    catalog columns two items are compared by. Refused (TrainingError) when no interaction counts."""
    weight = event_weights(config)
    popularity: Counter[str] = Counter()
    recent: Counter[str] = Counter()
    before: Counter[str] = Counter()
    paired: dict[str, Counter[str]] = defaultdict(Counter)
    histories: dict[str, list[tuple[str, float]]] = {}
    for interactions in customers:
        items: Counter[str] = Counter()
        history = []
        for interaction in interactions:
            counted = weight(interaction)
            if counted <= 0:
                continue
            items[interaction.item] += counted
            history.append((interaction.item, counted))
            age = now_ms - interaction.timestamp_ms
            if 0 <= age < TRENDING_WINDOW_MS:
                recent[interaction.item] += counted
            elif TRENDING_WINDOW_MS <= age < 2 * TRENDING_WINDOW_MS:
                before[interaction.item] += counted
        popularity.update(items)
        for item, count in items.items():
            for other, other_count in items.items():
                if other != item:
                    paired[item][other] += min(count, other_count)
        if history and len(histories) < _EVALUATED_PROFILES:
            histories[interactions[0].profile_id] = history
    if not popularity:
        raise TrainingError("The domain holds no web analytics events (_webAnalytics) with an Item.Id that the "
                            "recommender's EventsConfig counts: there is nothing to train on.")
    trend = Counter({item: recent[item] - before[item] for item in recent if recent[item] > before[item]})
    return Trained({
        "popular": [[item, round(count, 6)] for item, count in popularity.most_common(KEPT_RANKED)],
        "trending": [[item, round(count, 6)] for item, count in trend.most_common(KEPT_RANKED)],
        "paired": {item: [[other, round(count, 6)] for other, count in others.most_common(KEPT_PER_ITEM)]
                   for item, others in paired.items()},
        "similar": _similar(catalog, similarity_columns),
    }, histories)


def _similar(catalog: dict[str, dict[str, Any]], columns: list[str]) -> dict[str, list[list[Any]]]:
    """Each catalog item's most alike items: the share of the compared columns' values two items have in common
    (a Jaccard index over ``column=value`` pairs)."""
    features = {item: {(column, value) for column in columns
                       if isinstance(value := column_value(record, column), str) and value}
                for item, record in catalog.items()}
    holders: dict[tuple[str, str], list[str]] = defaultdict(list)
    for item, own in features.items():
        for feature in own:
            holders[feature].append(item)
    similar = {}
    for item, own in features.items():
        shared: Counter[str] = Counter()
        for feature in own:
            if len(holders[feature]) <= _SHARED_FEATURE_LIMIT:
                shared.update(other for other in holders[feature] if other != item)
        scores = {other: count / len(own | features[other]) for other, count in shared.items()}
        ranked = sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))[:KEPT_PER_ITEM]
        if ranked:
            similar[item] = [[other, round(score, 6)] for other, score in ranked]
    return similar


def column_value(record: dict[str, Any], column: str) -> Any:
    """A catalog column of a record: a field (``Category``) or an attribute (``Attributes.colour``)."""
    head, _, rest = column.partition(".")
    value = record.get(head)
    return value.get(rest) if rest and isinstance(value, dict) else (None if rest else value)


def rank(model: dict[str, Any], recipe: str, history: list[tuple[str, float]],
         candidates: list[str] | None) -> list[tuple[str, float]]:
    """Items for a customer whose interactions (item, weight), oldest first, are ``history``, best first with a
    score: each item's share of the scores ranked. ``candidates``: only those, every one of them ranked."""
    seen = {item for item, _ in history}
    latest = history[-1][0] if history else None
    scores: dict[str, float]
    if recipe == "popular-items":
        scores = dict(_pairs(model["popular"]))
    elif recipe == "trending-now":
        scores = dict(_pairs(model["trending"]))
    elif recipe in ("similar-items", "frequently-paired-items"):
        table = model["similar" if recipe == "similar-items" else "paired"]
        scores = dict(_pairs(table.get(latest, []))) if latest is not None else {}
    else:  # recommended-for-you, personalized-ranking: the paired items of everything the customer did
        scores = defaultdict(float)
        for item, weight in history:
            for other, count in _pairs(model["paired"].get(item, [])):
                scores[other] += weight * count
        scores = {item: score for item, score in scores.items() if item not in seen}
    if not scores and recipe != "personalized-ranking":  # a new customer, an item nobody else chose: the popular
        scores = {item: count for item, count in _pairs(model["popular"]) if item not in seen}
    if candidates is not None:
        popular = dict(_pairs(model["popular"]))
        # every candidate, those the recipe says nothing of after the others, by popularity
        scores = {item: scores.get(item, 0.0) + popular.get(item, 0.0) * 1e-9 for item in dict.fromkeys(candidates)}
    total = sum(scores.values())
    ranked = sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))
    return [(item, round(score / total, 6) if total else 0.0) for item, score in ranked]


def _pairs(entries: list[list[Any]]) -> Iterable[tuple[str, float]]:
    return ((item, float(score)) for item, score in entries)


def evaluate(model: dict[str, Any], recipe: str, histories: dict[str, list[tuple[str, float]]]) -> dict[str, float]:
    """Training metrics, measured on the data the model learnt from: each customer with two items or more has
    their last item held out and the recipe ranks items from the rest (at most a thousand customers)."""
    ranks: list[int | None] = []
    recommended: set[str] = set()
    for history in list(histories.values())[:_EVALUATED_PROFILES]:
        if len({item for item, _ in history}) < 2:
            continue
        held_out = history[-1][0]
        rest = [pair for pair in history if pair[0] != held_out]
        top = [item for item, _ in rank(model, recipe, rest, None)[:max(_CUTOFFS)]]
        recommended.update(top)
        ranks.append(top.index(held_out) + 1 if held_out in top else None)
    if not ranks:
        return {}
    known = len(model["popular"]) or 1
    metrics = {"hit": _share(ranks, max(_CUTOFFS)), "recall": _share(ranks, max(_CUTOFFS)),
               "mean_reciprocal_rank_at_25": sum(1 / found for found in ranks if found) / len(ranks),
               "coverage": min(1.0, len(recommended) / known)}
    for cutoff in _CUTOFFS:
        metrics[f"precision_at_{cutoff}"] = _share(ranks, cutoff) / cutoff
        metrics[f"normalized_discounted_cumulative_gain_at_{cutoff}"] = sum(
            1 / math.log2(found + 1) for found in ranks if found and found <= cutoff) / len(ranks)
    return {name: round(value, 6) for name, value in metrics.items()}


def _share(ranks: list[int | None], cutoff: int) -> float:
    return sum(1 for found in ranks if found and found <= cutoff) / len(ranks)
