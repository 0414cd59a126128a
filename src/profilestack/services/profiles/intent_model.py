"""Predictive intents from a customer's recent web analytics events (``_webAnalytics``), and the event triggers'
intent filters over them. Pure functions over plain data: no storage, no HTTP (intents.py reads and answers).

AWS derives intents with models it does not describe; here each intent is a plain, documented rule over the
events of the last 30 days (docs/decisions.md, "Customer Profiles predictive intents")."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from profilestack.services.profiles.object_values import moment
from profilestack.services.profiles.trigger_conditions import OPERATORS, combine

RECENT = timedelta(days=30)
CLOCK_SKEW = timedelta(minutes=5)  # how far ahead of the server's clock an event may be dated and still count
SESSION_GAP = timedelta(minutes=30)  # events without a Session.Id belong to one session until such a pause
MIN_EVENTS_FOR_A_LEVEL = 3  # recent events PRICE_SENSITIVITY and UPGRADE_UPSELL_PROPENSITY need
HIGH_SHARE = 1 / 3  # the share of recent events with a signal that makes a level HIGH

INTENT_TYPES = {
    "PRICE_SENSITIVITY": "How much price weighs in the customer's choices (HIGH or LOW): the share of their web "
                         "activity of the last 30 days about sales, deals, discounts and prices.",
    "WEB_SESSION_SUMMARY": "A summary of the customer's latest web session: when and how long, the pages and items "
                           "seen, the searches made and what they did.",
    "UPGRADE_UPSELL_PROPENSITY": "How likely the customer is to buy up (HIGH or LOW): the share of their web "
                                 "activity of the last 30 days about premium offers, upgrades, plans and bundles.",
    "LAST_SEARCH_INTENT": "What the customer looked for in their latest web search of the last 30 days.",
}
LEVELS = ("LOW", "HIGH")  # in order, for GREATER_THAN and the like
LEVEL_TYPES = frozenset({"PRICE_SENSITIVITY", "UPGRADE_UPSELL_PROPENSITY"})
LEVEL_OPERATORS = frozenset({"INCLUSIVE", "EXCLUSIVE", "EQUAL", "GREATER_THAN", "GREATER_THAN_OR_EQUAL", "LESS_THAN",
                             "LESS_THAN_OR_EQUAL"})
SUMMARY_LIMIT = 4000

_PRICE_WORDS = re.compile(r"\b(sales?|deals?|discounts?|discounted|coupons?|promos?|promotions?|clearance|cheap(est)?|"
                          r"bargains?|offers?|prices?|outlet|vouchers?|markdowns?)\b", re.IGNORECASE)
_UPGRADE_WORDS = re.compile(r"\b(upgrades?|premium|pro|plus|plans?|pricing|compare|comparison|bundles?|add-?ons?|"
                            r"upsell|deluxe|ultimate|enterprise|tiers?)\b", re.IGNORECASE)
_SEARCH_PARAMETERS = ("q", "query", "search", "searchterm", "searchquery", "keywords", "k", "term")


@dataclass(frozen=True)
class WebEvent:
    at: datetime
    event_type: str
    session: str | None
    page_title: str | None
    item: str | None
    search: str | None  # the phrase of a web search
    text: str  # its event type, page and attribute values, for the signal words


@dataclass(frozen=True)
class Outcome:
    """An intent worked out (``result``, the API's IntentResult) or why not (``code``, ``message``)."""

    result: dict[str, str] | None = None
    code: str | None = None
    message: str | None = None
    phrase: str | None = None  # LAST_SEARCH_INTENT's search phrase, which CONTAINS conditions read


def web_event(record: dict[str, Any], stored_at: datetime) -> WebEvent:
    """A stored web analytics record, at its EventTimestamp (when it was stored, without one)."""
    stamp = record.get("EventTimestamp")
    at = moment(stamp) if isinstance(stamp, str) else None
    page = record.get("Page") or {}
    attributes = record.get("Attributes") or {}
    event_type = str(record.get("EventType") or "")
    # what the event says, not what identifies it (event, session and item ids): where signal words are looked for
    said = [event_type, *(value for value in (*page.values(), *attributes.values()) if isinstance(value, str))]
    return WebEvent(at=(at or stored_at).astimezone(UTC), event_type=event_type,
                    session=(record.get("Session") or {}).get("Id"), page_title=page.get("Title"),
                    item=(record.get("Item") or {}).get("Id"),
                    search=_search_phrase(event_type, attributes, page.get("Location")), text=" ".join(said))


def _search_phrase(event_type: str, attributes: dict[str, Any], location: Any) -> str | None:
    """A search event's phrase, from its attributes (``searchTerm``, ``query``, ``q``, …) or from its page's query
    string; a page whose query string names one is a search whatever its event type."""
    if "search" in event_type.lower() and (phrase := _named_search(attributes.items())):
        return phrase
    if isinstance(location, str) and "?" in location:
        return _named_search(parse_qsl(urlsplit(location).query))
    return None


def _named_search(pairs: Any) -> str | None:
    """The value of the first search parameter (``q``, ``query``, …, in any case) among (name, value) pairs."""
    named = {key.lower(): value.strip() for key, value in pairs if isinstance(value, str) and value.strip()}
    return next((named[name] for name in _SEARCH_PARAMETERS if name in named), None)


def recent(events: list[WebEvent], now: datetime) -> list[WebEvent]:
    """The events of the last 30 days, oldest first; one dated ahead of ``now`` counts once its time has come (give
    or take the clocks' difference)."""
    return sorted((event for event in events if now - RECENT <= event.at <= now + CLOCK_SKEW),
                  key=lambda event: event.at)


def work_out(intent_type: str, events: list[WebEvent]) -> Outcome:
    """One intent from a customer's recent events (``recent``)."""
    if intent_type == "LAST_SEARCH_INTENT":
        return _last_search(events)
    if intent_type == "WEB_SESSION_SUMMARY":
        return _session_summary(events)
    return _level(intent_type, events, _PRICE_WORDS if intent_type == "PRICE_SENSITIVITY" else _UPGRADE_WORDS)


def _insufficient(message: str) -> Outcome:
    return Outcome(code="INSUFFICIENT_DATA", message=message)


def _level(intent_type: str, events: list[WebEvent], words: re.Pattern[str]) -> Outcome:
    if len(events) < MIN_EVENTS_FOR_A_LEVEL:
        return _insufficient(f"{intent_type} needs at least {MIN_EVENTS_FOR_A_LEVEL} web analytics events of the "
                             f"last 30 days; the profile has {len(events)}.")
    signals = sum(1 for event in events if words.search(event.text))
    return Outcome(result={"IntentType": intent_type, "Value": "HIGH" if signals >= HIGH_SHARE * len(events)
                           else "LOW"})


def _last_search(events: list[WebEvent]) -> Outcome:
    searches = [event for event in events if event.search]
    if not searches:
        return _insufficient("The profile's web analytics events of the last 30 days hold no web search.")
    last = searches[-1]
    return Outcome(result={"IntentType": "LAST_SEARCH_INTENT", "Summary": _bounded(
        f'Searched for "{last.search}" on {_when(last.at)}.')}, phrase=last.search)


def _session_summary(events: list[WebEvent]) -> Outcome:
    if not events:
        return _insufficient("The profile has no web analytics events of the last 30 days.")
    session = _latest_session(events)
    first, last = session[0].at, session[-1].at
    minutes = round((last - first).total_seconds() / 60)
    parts = [f"Web session of {len(session)} event{'s' if len(session) != 1 else ''} on {_when(first)}, lasting "
             f"{minutes} minute{'s' if minutes != 1 else ''}."]
    if pages := _distinct(event.page_title for event in session):
        parts.append(f"Pages: {_listed(pages)}.")
    if items := _distinct(event.item for event in session):
        parts.append(f"Items: {_listed(items)}.")
    if searches := _distinct(event.search for event in session):
        quoted = [f'"{phrase}"' for phrase in searches]
        parts.append(f"Searches: {_listed(quoted)}.")
    kinds = Counter(event.event_type for event in session if event.event_type)
    if kinds:
        parts.append("Events: " + ", ".join(f"{kind} ({count})" for kind, count in kinds.most_common()) + ".")
    return Outcome(result={"IntentType": "WEB_SESSION_SUMMARY", "Summary": _bounded(" ".join(parts))})


def _latest_session(events: list[WebEvent]) -> list[WebEvent]:
    """The events of the newest event's session: those with its Session.Id, or without one, the run of events
    without one that reaches it with no pause of 30 minutes or more."""
    newest = events[-1]
    if newest.session:
        return [event for event in events if event.session == newest.session]
    run = [newest]
    for event in reversed(events[:-1]):
        if event.session or run[0].at - event.at >= SESSION_GAP:
            break
        run.insert(0, event)
    return run


def _distinct(values: Any) -> list[str]:
    return list(dict.fromkeys(value for value in values if value))


def _listed(values: list[str], shown: int = 5) -> str:
    more = len(values) - shown
    return ", ".join(values[:shown]) + (f" and {more} more" if more > 0 else "")


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def _bounded(text: str) -> str:
    return text if len(text) <= SUMMARY_LIMIT else text[:SUMMARY_LIMIT - 1] + "…"


# --- event triggers' IntentFilterDefinition ---

def first_repeated(kinds: list[str]) -> str | None:
    """The first intent type (in name order) a list names more than once: each may appear once."""
    return min((kind for kind in set(kinds) if kinds.count(kind) > 1), default=None)


def filter_problem(definition: dict[str, Any]) -> str | None:
    """Why an IntentFilterDefinition cannot be used, or None. The model checks its sizes and enums."""
    for group in definition["Groups"]:
        if repeated := first_repeated([condition["Intent"]["Type"] for condition in group["Conditions"]]):
            return f"Intent type {repeated} appears more than once in an intent filter group."
        for condition in group["Conditions"]:
            kind, operator, values = condition["Intent"]["Type"], condition["ComparisonOperator"], condition["Values"]
            if kind == "WEB_SESSION_SUMMARY":
                return "WEB_SESSION_SUMMARY cannot be used in an intent filter."
            if kind in LEVEL_TYPES:
                if operator not in LEVEL_OPERATORS:
                    return f"{kind} compares with {', '.join(sorted(LEVEL_OPERATORS))}, not {operator}."
                if len(values) != 1 or values[0] not in LEVELS:
                    return f"{kind} compares with exactly one value, HIGH or LOW."
            elif operator != "CONTAINS":
                return f"{kind} compares with CONTAINS, not {operator}."
    return None


def filter_types(definition: dict[str, Any]) -> set[str]:
    """The intent types an IntentFilterDefinition reads."""
    return {condition["Intent"]["Type"] for group in definition["Groups"] for condition in group["Conditions"]}


def filter_matches(definition: dict[str, Any], intents: dict[str, Outcome]) -> bool:
    """Whether a profile's intents (type → outcome) meet the filter. A condition on an intent that could not be
    worked out does not hold, whatever its operator."""
    return combine(definition["LogicalOperator"], [
        combine(group["LogicalOperator"], [_holds(condition, intents) for condition in group["Conditions"]])
        for group in definition["Groups"]])


def _holds(condition: dict[str, Any], intents: dict[str, Outcome]) -> bool:
    outcome = intents.get(condition["Intent"]["Type"])
    if outcome is None or outcome.result is None:
        return False
    operator, values = condition["ComparisonOperator"], condition["Values"]
    if operator == "CONTAINS":  # the search phrase, in any case
        return OPERATORS[operator]((outcome.phrase or "").lower(), [value.lower() for value in values])
    return OPERATORS[operator](_rank(outcome.result["Value"]), [_rank(value) for value in values])


def _rank(level: str) -> str:
    """A level as event triggers' operators compare it: LOW "0", below HIGH "1"."""
    return str(LEVELS.index(level))

