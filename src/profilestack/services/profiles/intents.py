"""Predictive intents: a domain's intent definition (which intent types it works out), the intent types there are,
and a customer's intents from their recent web analytics events (intent_model.py), as BatchGetIntentForProfile
answers them and event triggers' intent filters read them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select

from profilestack import jsontext
from profilestack.gateway.context import CallContext
from profilestack.services.next_token import page_result
from profilestack.services.profiles import intent_model
from profilestack.services.profiles.definitions import HeldDefinitions
from profilestack.services.profiles.domains import require_domain
from profilestack.services.profiles.errors import bad_request
from profilestack.services.profiles.intent_model import INTENT_TYPES, Outcome
from profilestack.services.profiles.profile_operations import profile_by_search_key
from profilestack.services.profiles.service import profiles
from profilestack.services.profiles.standard_objects import WEB_ANALYTICS
from profilestack.services.profiles.tables import profile_intent_definitions, profile_objects

INTENT_DEFINITIONS = HeldDefinitions(profile_intent_definitions, "intent_domain", "Intent definition", "intents",
                                     "IntentDomain")
INTENT_DOMAINS = ("DEFAULT",)
# IntentConfig's members (a union: one per entry) → the intent type each configures
CONFIG_MEMBERS = {"PriceSensitivityConfig": "PRICE_SENSITIVITY", "WebSessionSummaryConfig": "WEB_SESSION_SUMMARY",
                  "UpgradeUpsellPropensityConfig": "UPGRADE_UPSELL_PROPENSITY",
                  "LastSearchIntentConfig": "LAST_SEARCH_INTENT"}


def enabled_types(configs: list[dict[str, Any]]) -> set[str]:
    """The intent types an Intents list (IntentConfig entries) enables."""
    return {CONFIG_MEMBERS[member] for config in configs for member, value in config.items() if value.get("Enabled")}


@profiles.operation("PutIntentDefinition")
def put_intent_definition(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Create the definition, or replace its whole set of intent configurations (tags only when creating it)."""
    domain = require_domain(ctx, params["DomainName"])
    intent_domain, configs = params["IntentDomain"], params["Intents"]
    if repeated := intent_model.first_repeated([CONFIG_MEMBERS[member] for config in configs for member in config]):
        raise bad_request(f"Intent type {repeated} is configured more than once: each intent type can appear at "
                          "most once in Intents.")
    if not enabled_types(configs):
        raise bad_request("At least one intent type must be enabled.")
    if params.get("Tags") and INTENT_DEFINITIONS.find(ctx.db, domain.id, intent_domain) is not None:
        raise bad_request(f"Intent definition {intent_domain} of domain {domain.name} exists: tags can be given only "
                          "when it is created. Use TagResource and UntagResource to change them.")
    row = INTENT_DEFINITIONS.put(ctx, domain, intent_domain, {"Intents": configs}, params.get("Tags"))
    return {"DomainName": domain.name, "IntentDefinitionArn": INTENT_DEFINITIONS.arn(domain, intent_domain),
            **INTENT_DEFINITIONS.shape(ctx, domain, row)}


@profiles.operation("GetIntentDefinition")
def get_intent_definition(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, row = INTENT_DEFINITIONS.named(ctx, params)
    return {"DomainName": domain.name, "IntentDomain": row.intent_domain, "Intents": row.definition["Intents"],
            "CreatedAt": row.created_at, "LastUpdatedAt": row.updated_at}


@profiles.operation("DeleteIntentDefinition")
def delete_intent_definition(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, row = INTENT_DEFINITIONS.named(ctx, params)
    INTENT_DEFINITIONS.delete(ctx, domain, row)
    return {}


@profiles.operation("ListIntentTypes")
def list_intent_types(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """The intent types by intent domain (there is one, DEFAULT), a page of domains at a time."""
    asked = params.get("IntentDomain")
    domains = [name for name in INTENT_DOMAINS if asked in (None, name)]
    return page_result(domains, params, lambda chunk: [
        {"IntentDomain": name, "Types": [{"IntentType": kind, "Description": text}
                                         for kind, text in INTENT_TYPES.items()]} for name in chunk], default_size=10)


@profiles.operation("BatchGetIntentForProfile")
def batch_get_intent_for_profile(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Each intent type asked (once), worked out or in Errors: not enabled, or too little recent activity."""
    domain = require_domain(ctx, params["DomainName"])
    definition = INTENT_DEFINITIONS.require(ctx, domain, params["IntentDomain"]).definition
    profile_id = profile_by_search_key(ctx, domain, params["KeyName"], params["KeyValues"])
    outcomes = profile_intents(ctx.db, domain.id, profile_id, enabled_types(definition["Intents"]),
                               dict.fromkeys(params["Intents"]), ctx.now())
    return {"Intents": [outcome.result for outcome in outcomes.values() if outcome.result is not None],
            "Errors": [{"IntentType": kind, "Code": outcome.code, "Message": outcome.message}
                       for kind, outcome in outcomes.items() if outcome.result is None]}


def profile_intents(db: Connection, domain_id: int, profile_id: str, enabled: set[str], wanted: Iterable[str],
                    now: datetime) -> dict[str, Outcome]:
    """The intent types ``wanted``, each worked out from the profile's web analytics events of the last 30 days,
    or why not."""
    kinds = list(wanted)
    events = intent_model.recent(_web_events(db, domain_id, profile_id, now - intent_model.RECENT), now) \
        if enabled & set(kinds) else []
    return {kind: intent_model.work_out(kind, events) if kind in enabled else Outcome(
        code="INTENT_NOT_ENABLED", message=f"Intent type {kind} is not enabled in the intent definition.")
        for kind in kinds}


def profile_intents_for_filter(db: Connection, domain: Row[Any], profile_id: str, wanted: set[str],
                               now: datetime) -> dict[str, Outcome]:
    """What an event trigger's intent filter reads: the intents it names, as the domain's DEFAULT intent
    definition enables them (none without one)."""
    row = INTENT_DEFINITIONS.find(db, domain.id, "DEFAULT")
    enabled = enabled_types(row.definition["Intents"]) if row is not None else set()
    return profile_intents(db, domain.id, profile_id, enabled, sorted(wanted), now)


def _web_events(db: Connection, domain_id: int, profile_id: str, since: datetime) -> list[intent_model.WebEvent]:
    """The profile's web analytics events stored since ``since`` (through the profile's objects index: a customer
    with years of clicks costs no more than one with a month's)."""
    rows = db.execute(select(profile_objects.c.body, profile_objects.c.created_at).where(
        profile_objects.c.domain_id == domain_id, profile_objects.c.profile_id == profile_id,
        profile_objects.c.object_type == WEB_ANALYTICS.name, profile_objects.c.created_at >= since))
    return [intent_model.web_event(jsontext.loads(row.body), row.created_at) for row in rows]
