"""The rules predictive intents follow over a customer's web analytics events, and intent filters over them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from profilestack.services.profiles import intent_model
from profilestack.services.profiles.intent_model import Outcome, WebEvent

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _event(minutes_ago: float, title: str = "Home", session: str | None = None, search: str | None = None,
           event_type: str = "page_view") -> WebEvent:
    return WebEvent(at=NOW - timedelta(minutes=minutes_ago), event_type=event_type, session=session,
                    page_title=title, item=None, search=search, text=f"{event_type} {title}")


def test_a_record_is_read_with_its_search_phrase_and_time() -> None:
    stored = NOW - timedelta(hours=1)
    searched = intent_model.web_event({"EventType": "Search", "EventTimestamp": str(int(NOW.timestamp() * 1000)),
                                       "Attributes": {"SearchTerm": " red shoes "}, "Page": {"Title": "Find"}},
                                      stored)
    assert (searched.search, searched.at, searched.page_title) == ("red shoes", NOW, "Find")
    # a page whose query string names a search is one, whatever the event type; no timestamp: when it was stored
    paged = intent_model.web_event({"EventType": "page_view", "Page": {"Location": "https://x.test/s?query=tents"}},
                                   stored)
    assert (paged.search, paged.at) == ("tents", stored)
    # attributes name a search only on a search event
    assert intent_model.web_event({"EventType": "click", "Attributes": {"q": "no"}}, stored).search is None


def test_only_the_last_thirty_days_count_oldest_first() -> None:
    kept = intent_model.recent([_event(5), _event(60 * 24 * 31), _event(60), _event(-3), _event(-60)], NOW)
    assert [NOW - event.at for event in kept] == [timedelta(minutes=60), timedelta(minutes=5),
                                                  timedelta(minutes=-3)]  # a minute or two ahead: the clocks


def test_events_without_a_session_id_make_a_session_until_a_thirty_minute_pause() -> None:
    events = [_event(100, "Old"), _event(45, "A"), _event(20, "B"), _event(1, "C")]
    summary = intent_model.work_out("WEB_SESSION_SUMMARY", events).result["Summary"]
    assert summary.startswith("Web session of 3 events on 2026-12-07 11:15 UTC, lasting 44 minutes.")
    assert "Pages: A, B, C." in summary
    with_ids = [_event(30, "X", session="s1"), _event(20, "Y", session="s2"), _event(10, "Z", session="s1")]
    assert "Pages: X, Z." in intent_model.work_out("WEB_SESSION_SUMMARY", with_ids).result["Summary"]


def test_a_level_is_high_from_a_third_of_the_events_with_a_signal() -> None:
    two_of_six = [_event(n, "Clearance") for n in range(2)] + [_event(n + 2) for n in range(4)]
    assert intent_model.work_out("PRICE_SENSITIVITY", two_of_six).result["Value"] == "HIGH"
    one_of_four = [_event(0, "Bargains")] + [_event(n + 1) for n in range(3)]
    assert intent_model.work_out("PRICE_SENSITIVITY", one_of_four).result["Value"] == "LOW"
    assert intent_model.work_out("UPGRADE_UPSELL_PROPENSITY", [_event(n, "Go premium") for n in range(3)]).result[
        "Value"] == "HIGH"
    # only what an event says counts, not what identifies it
    named = [intent_model.web_event({"EventId": f"deal-{n}", "Item": {"Id": "PRO-9"}, "Session": {"Id": "sale"},
                                     "Page": {"Title": "Home"}}, NOW) for n in range(3)]
    assert intent_model.work_out("PRICE_SENSITIVITY", named).result["Value"] == "LOW"
    assert intent_model.work_out("UPGRADE_UPSELL_PROPENSITY", named).result["Value"] == "LOW"
    said = intent_model.web_event({"EventType": "view", "Attributes": {"campaign": "Spring Promo"}}, NOW)
    assert intent_model.work_out("PRICE_SENSITIVITY", [said, *named]).result["Value"] == "LOW"  # 1 of 4
    assert intent_model.work_out("PRICE_SENSITIVITY", [said, said, *named]).result["Value"] == "HIGH"  # 2 of 5
    too_few = intent_model.work_out("UPGRADE_UPSELL_PROPENSITY", [_event(0), _event(1)])
    assert (too_few.result, too_few.code) == (None, "INSUFFICIENT_DATA")


def test_the_last_search_is_the_newest_event_with_a_phrase() -> None:
    found = intent_model.work_out("LAST_SEARCH_INTENT", [_event(9, search="tents"), _event(5, search="stoves"),
                                                         _event(1)])
    assert found.result == {"IntentType": "LAST_SEARCH_INTENT", "Summary": 'Searched for "stoves" on 2026-12-07 '
                                                                           '11:55 UTC.'}
    assert found.phrase == "stoves"
    assert intent_model.work_out("LAST_SEARCH_INTENT", [_event(1)]).code == "INSUFFICIENT_DATA"


def _filter(operator: str, *conditions: tuple[str, str, list[str]]) -> dict:
    return {"LogicalOperator": "ANY", "Groups": [{"LogicalOperator": operator, "Conditions": [
        {"Intent": {"IntentDomain": "DEFAULT", "Type": kind}, "ComparisonOperator": comparison, "Values": values}
        for kind, comparison, values in conditions]}]}


HIGH_PRICE = {"PRICE_SENSITIVITY": Outcome(result={"IntentType": "PRICE_SENSITIVITY", "Value": "HIGH"}),
              "LAST_SEARCH_INTENT": Outcome(result={"IntentType": "LAST_SEARCH_INTENT", "Summary": "…"},
                                            phrase="Trail Running Shoes")}


@pytest.mark.parametrize(("operator", "value", "held"), [
    ("EQUAL", "HIGH", True), ("EQUAL", "LOW", False), ("GREATER_THAN", "LOW", True), ("GREATER_THAN", "HIGH", False),
    ("GREATER_THAN_OR_EQUAL", "HIGH", True), ("LESS_THAN", "HIGH", False), ("LESS_THAN_OR_EQUAL", "HIGH", True),
    ("INCLUSIVE", "HIGH", True), ("EXCLUSIVE", "HIGH", False), ("EXCLUSIVE", "LOW", True),
])
def test_levels_compare_low_below_high(operator: str, value: str, held: bool) -> None:
    assert intent_model.filter_matches(_filter("ALL", ("PRICE_SENSITIVITY", operator, [value])), HIGH_PRICE) is held


def test_groups_join_their_conditions_and_an_intent_missing_never_holds() -> None:
    search = ("LAST_SEARCH_INTENT", "CONTAINS", ["running", "boots"])
    low = ("PRICE_SENSITIVITY", "EQUAL", ["LOW"])
    assert intent_model.filter_matches(_filter("ANY", search, low), HIGH_PRICE)
    assert not intent_model.filter_matches(_filter("ALL", search, low), HIGH_PRICE)
    assert intent_model.filter_matches(_filter("NONE", low), HIGH_PRICE)
    missing = {"PRICE_SENSITIVITY": Outcome(code="INSUFFICIENT_DATA", message="too little")}
    assert not intent_model.filter_matches(_filter("ALL", ("PRICE_SENSITIVITY", "EXCLUSIVE", ["HIGH"])), missing)
    assert intent_model.filter_types(_filter("ANY", search, low)) == {"LAST_SEARCH_INTENT", "PRICE_SENSITIVITY"}
