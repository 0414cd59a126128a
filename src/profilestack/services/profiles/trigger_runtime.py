"""The event trigger runtime: after an object is ingested, the domain's triggers for its type are evaluated
(an outbox task, so ingestion never waits), and a firing trigger acts **as the domain's service-linked role**:
``profile:BatchGetProfile``, then ``connect-campaigns:PutProfileOutboundRequestBatch`` for each integrated
campaign, then ``cloudwatch:PutMetricData`` in ``AWS/CustomerProfiles`` — each call authorized by the role's
policy and recorded in the audit trail with the role's session as the principal.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, bindparam, func, insert, select

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.services.profiles import intent_model, service_role
from profilestack.services.profiles import profile_store as store
from profilestack.services.profiles.event_triggers import integrations_of, triggers_for
from profilestack.services.profiles.intents import profile_intents_for_filter
from profilestack.services.profiles.mapping import map_object, parse_object
from profilestack.services.profiles.object_types import definition_of
from profilestack.services.profiles.segments import SEGMENTS, in_segment
from profilestack.services.profiles.service import profiles
from profilestack.services.profiles.tables import profile_domains, profile_trigger_invocations
from profilestack.services.profiles.trigger_conditions import trigger_matches
from profilestack.store.locks import lock_for_transaction
from profilestack.store.prepared import Prepared

if TYPE_CHECKING:
    from profilestack.app import App

log = logging.getLogger(__name__)

EVALUATE_TASK = "profile.evaluate_triggers"
NAMESPACE = "AWS/CustomerProfiles"
UNIT_SECONDS = {"MINUTES": 60, "HOURS": 3600, "DAYS": 86400, "WEEKS": 7 * 86400, "MONTHS": 30 * 86400}
DEFAULT_PERIODS = [{"Unit": "DAYS", "Value": 1, "MaxInvocationsPerProfile": 10}]


_DOMAIN = Prepared(select(profile_domains).where(profile_domains.c.id == bindparam("b_id")))
_RECORD_INVOCATION = Prepared(insert(profile_trigger_invocations))


def evaluation(domain: Row[Any], object_type: str, profile_id: str | None, text: str, now: datetime,
               event_id: str) -> dict[str, Any]:
    """The payload of the outbox task, written in the ingesting transaction (one per object), with who acts for
    the domain, so that evaluation can take the role's session before its one transaction begins."""
    return {"domain_id": domain.id, "object_type": object_type, "profile_id": profile_id, "object": text,
            "ingested_at": now.isoformat(), "event_id": event_id, "acting": _acting(domain)}


def _acting(domain: Row[Any]) -> dict[str, str | None]:
    return {"account": domain.account_id, "region": domain.region, "role": domain.role_name, "arn": domain.arn}


def _within_limits(db: Connection, domain_id: int, trigger: Row[Any], profile_id: str, now: datetime) -> bool:
    limits = trigger.definition.get("EventTriggerLimits") or {}
    periods = [period for period in limits.get("Periods") or DEFAULT_PERIODS if not period.get("Unlimited")]
    if periods:  # two events of one profile evaluated at once (two workers) must not both take the last slot
        lock_for_transaction(db, f"trigger-limits:{domain_id}:{trigger.name}:{profile_id}")
    for period in periods:
        since = now - timedelta(seconds=UNIT_SECONDS[period["Unit"]] * period["Value"])
        fired = db.execute(select(func.count()).select_from(profile_trigger_invocations).where(
            profile_trigger_invocations.c.domain_id == domain_id,
            profile_trigger_invocations.c.trigger_name == trigger.name,
            profile_trigger_invocations.c.profile_id == profile_id,
            profile_trigger_invocations.c.fired_at > since)).scalar() or 0
        if fired >= period.get("MaxInvocationsPerProfile", 10):
            return False
    return True


def _expired(trigger: Row[Any], ingested: datetime, now: datetime) -> bool:
    expiration = (trigger.definition.get("EventTriggerLimits") or {}).get("EventExpiration")
    return bool(expiration) and (now - ingested).total_seconds() * 1000 > expiration


@profiles.task(EVALUATE_TASK)
def evaluate_triggers(app: App, payload: dict[str, Any]) -> None:
    """One transaction per event: the evaluation, the invocations it records and the calls made as the role
    (each still validated, authorized and audited on its own) commit together."""
    acting = payload["acting"]
    try:
        session = service_role.cached_session(app, acting["account"], acting["role"], acting["region"])
    except AwsError as error:  # e.g. the role was deleted by hand: recorded in the audit trail, nothing retried
        log.warning("domain %s: cannot act through its service-linked role: %s", acting["arn"], error.message)
        return
    with app.gateway.unit_of_work(session, acting["region"], app.ids.request_id(), "EvaluateEventTriggers") as context:
        domain = _DOMAIN.first(context.db, {"b_id": payload["domain_id"]})
        if domain is None or domain.role_name != acting["role"]:  # deleted since the object came in
            return
        counts, fired = _evaluate(app, context, domain, payload)
        if fired:
            integrations = integrations_of(context.db, domain.id)
        for trigger in fired:
            targets = [i for i in integrations if trigger.name in (i.definition.get("EventTriggerNames") or [])]
            if targets:
                _invoke_campaigns(app, context, domain, trigger, targets, payload["profile_id"], payload, counts)
        _publish(app, context, domain, counts)
        finished = app.outbox.finish_in(context.db)  # the event's outcome and its task's completion commit together
        if finished is not None:
            context.on_commit(finished)


def _evaluate(app: App, context: CallContext, domain: Row[Any],
              payload: dict[str, Any]) -> tuple[Counter[str], list]:
    """The event's counts and the triggers that fire for it (their invocations recorded)."""
    db = context.db
    now = app.clock.now()
    ingested = datetime.fromisoformat(payload["ingested_at"])
    counts: Counter[str] = Counter({"ObjectsIngested": 1})
    fired = []
    triggers = triggers_for(db, domain.id, payload["object_type"])
    try:
        definition = definition_of(db, domain, payload["object_type"])
    except AwsError:  # the object type was deleted since the object came in, and its objects with it
        return counts, fired
    document = parse_object(payload["object"])
    mapped = map_object(definition, document)
    profile_id = payload["profile_id"]
    for trigger in triggers:
        counts["TriggerEvaluations"] += 1
        if _expired(trigger, ingested, now):
            counts["ExpiredEvents"] += 1
            continue
        if profile_id is None or not trigger_matches(trigger.definition, document, mapped):
            continue
        if trigger.definition.get("SegmentFilter") and not _in_segment(context, domain, trigger, profile_id):
            continue
        if trigger.definition.get("IntentFilterDefinition") and not _intents_match(db, domain, trigger, profile_id,
                                                                                   now):
            continue
        if not _within_limits(db, domain.id, trigger, profile_id, now):
            counts["ThrottledInvocations"] += 1
            continue
        _RECORD_INVOCATION.run(db, {"domain_id": domain.id, "trigger_name": trigger.name, "profile_id": profile_id,
                                    "fired_at": now})
        counts["TriggerInvocations"] += 1
        fired.append(trigger)
    return counts, fired


def _in_segment(context: CallContext, domain: Row[Any], trigger: Row[Any], profile_id: str) -> bool:
    segment = SEGMENTS.find(context.db, domain.id, trigger.definition["SegmentFilter"])
    profile = store.load_profiles(context.db, domain.id, [profile_id]).get(profile_id)
    return segment is not None and profile is not None and in_segment(context, domain, segment.definition, profile)


def _intents_match(db: Connection, domain: Row[Any], trigger: Row[Any], profile_id: str, now: datetime) -> bool:
    intent_filter = trigger.definition["IntentFilterDefinition"]
    found = profile_intents_for_filter(db, domain, profile_id, intent_model.filter_types(intent_filter), now)
    return intent_model.filter_matches(intent_filter, found)


def _invoke_campaigns(app: App, context: CallContext, domain: Row[Any], trigger: Row[Any], targets: list[Row[Any]],
                      profile_id: str, payload: dict[str, Any], counts: Counter[str]) -> None:
    session = context.principal
    try:
        found = app.gateway.invoke(session, "customer-profiles", "BatchGetProfile",
                                   {"DomainName": domain.name, "ProfileIds": [profile_id]}, domain.region,
                                   parent=context)
    except AwsError:
        counts["OutboundRequestsFailed"] += len(targets)
        return
    if not found.get("Profiles"):
        counts["OutboundRequestsFailed"] += len(targets)
        return
    for integration in targets:
        arn = integration.uri
        request = {"clientToken": f"{payload['event_id']}.{trigger.name}"[:200], "profileId": profile_id,
                   "eventTriggerContext": {"sourceEvent": payload["object"]}}
        try:
            answer = app.gateway.invoke(session, "connectcampaignsv2", "PutProfileOutboundRequestBatch",
                                        {"id": arn.rsplit("/", 1)[1], "profileOutboundRequests": [request]},
                                        arn.split(":")[3], parent=context)
        except AwsError as error:  # paused or deleted campaign, denied call: audited; counted; not retried
            log.info("trigger %s: campaign %s refused: %s", trigger.name, arn, error.code)
            counts["OutboundRequestsFailed"] += 1
            continue
        counts["OutboundRequestsSent"] += len(answer.get("successfulRequests") or [])
        counts["OutboundRequestsFailed"] += len(answer.get("failedRequests") or [])


def _publish(app: App, context: CallContext, domain: Row[Any], counts: Counter[str]) -> None:
    data = [{"MetricName": name, "Dimensions": [{"Name": "DomainName", "Value": domain.name}], "Value": float(value),
             "Unit": "Count"} for name, value in sorted(counts.items())]
    try:
        app.gateway.invoke(context.principal, "cloudwatch", "PutMetricData",
                           {"Namespace": NAMESPACE, "MetricData": data}, domain.region, parent=context)
    except AwsError as error:
        log.info("domain %s: usage metrics not published: %s", domain.arn, error.code)
