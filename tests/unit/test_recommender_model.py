"""What recommenders learn from interactions, how each recipe ranks, and the metrics a training reports."""

from __future__ import annotations

import pytest

from profilestack.services.profiles.recommender_model import Interaction, TrainingError, evaluate, rank, train

DAY_MS = 86_400_000
NOW_MS = 100 * DAY_MS


def interaction(profile: str, item: str, event_type: str = "purchase", days_ago: float = 1,
                value: float | None = None) -> Interaction:
    return Interaction(profile, item, event_type, NOW_MS - days_ago * DAY_MS, value)


def model_of(events: list[Interaction], catalog: dict | None = None, config: dict | None = None,
             columns: list[str] | None = None) -> dict:
    """The model of ``events``, given one customer at a time as the training reads them."""
    customers: dict[str, list[Interaction]] = {}
    for event in events:
        customers.setdefault(event.profile_id, []).append(event)
    return train(customers.values(), catalog or {}, config or {}, columns or [], NOW_MS).model


def test_trending_items_are_those_that_grew_over_the_last_week() -> None:
    events = [interaction("p1", "old", days_ago=10), interaction("p2", "old", days_ago=9),
              interaction("p3", "old", days_ago=2), interaction("p1", "new", days_ago=1),
              interaction("p2", "new", days_ago=3), interaction("p4", "steady", days_ago=2),
              interaction("p5", "steady", days_ago=8)]
    model = model_of(events)
    assert rank(model, "trending-now", [], None) == [("new", 1.0)]  # "old" fell, "steady" stayed
    assert [item for item, _ in rank(model, "popular-items", [], None)] == ["old", "new", "steady"]


def test_event_weights_scale_what_an_interaction_counts() -> None:
    events = [interaction("p1", "a", "view"), interaction("p2", "a", "view"), interaction("p3", "b", "purchase"),
              interaction("p4", "c", "purchase", value=5.0), interaction("p5", "d", "click")]
    config = {"EventsConfig": {"EventParametersList": [
        {"EventType": "view", "EventWeight": 0.25}, {"EventType": "purchase", "EventValueThreshold": 1.0}]}}
    model = model_of(events, config=config)
    # a view counts a quarter; b's purchase has no value, below the threshold; clicks are not listed
    assert model["popular"] == [["c", 1.0], ["a", 0.5]]
    with pytest.raises(TrainingError):
        model_of([interaction("p1", "a", "click")], config=config)


def test_similar_items_share_the_most_column_values() -> None:
    catalog = {"a": {"Category": "k", "Type": "x"}, "b": {"Category": "k", "Type": "x"},
               "c": {"Category": "k", "Type": "y"}, "d": {"Category": "g", "Type": "y"}}
    model = model_of([interaction("p1", "a")], catalog, columns=["Category", "Type"])
    assert [(item, score) for item, score in rank(model, "similar-items", [("a", 1.0)], None)] == [
        ("b", 0.75), ("c", 0.25)]


def test_leave_last_out_metrics() -> None:
    events = [interaction("p1", "a"), interaction("p1", "b"), interaction("p2", "a"), interaction("p2", "b"),
              interaction("p3", "a"), interaction("p3", "c")]
    trained = train([events[0:2], events[2:4], events[4:6]], {}, {}, [], NOW_MS)
    histories = {"p1": [("a", 1.0), ("b", 1.0)], "p2": [("a", 1.0), ("b", 1.0)], "p3": [("a", 1.0), ("c", 1.0)]}
    assert trained.histories == histories  # what the training keeps to measure on
    metrics = evaluate(trained.model, "recommended-for-you", histories)
    # a's other customers did b (twice) and c (once): b is first for p1 and p2, c second for p3
    assert metrics["hit"] == 1.0
    assert metrics["mean_reciprocal_rank_at_25"] == pytest.approx((1 + 1 + 0.5) / 3, abs=1e-6)
    assert metrics["precision_at_5"] == pytest.approx(0.2)
    assert metrics["coverage"] == pytest.approx(2 / 3, abs=1e-6)
