"""Segment definitions (the classic form, ``SegmentGroups``) and GetSegmentMembership; event triggers with a
``SegmentFilter`` fire only for profiles in the segment (``in_segment``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, and_, delete, select

from profilestack.gateway.context import CallContext
from profilestack.services.profiles import profile_store as store
from profilestack.services.profiles import purges
from profilestack.services.profiles.calculated_attributes import CALCULATED_ATTRIBUTES, CalculatedValues
from profilestack.services.profiles.definitions import HeldDefinitions
from profilestack.services.profiles.domains import require_domain
from profilestack.services.profiles.errors import bad_request
from profilestack.services.profiles.segment_membership import (
    Membership,
    check_segment,
    profile_value_at,
    source_segments_of,
)
from profilestack.services.profiles.service import profiles
from profilestack.services.profiles.tables import (
    profile_event_triggers,
    profile_segment_definitions,
    profile_segment_events,
    profile_segment_members,
    profile_segment_snapshots,
    profile_segment_subscriptions,
)
from profilestack.store.pruning import delete_matching

SEGMENTS = HeldDefinitions(profile_segment_definitions, "name", "Segment definition", "segment-definitions",
                           "SegmentDefinitionName")
_MEMBERS = ("DisplayName", "Description", "SegmentGroups", "SegmentSort")
_LISTED = ("SegmentDefinitionName", "DisplayName", "Description", "SegmentDefinitionArn", "CreatedAt", "Tags",
           "SegmentType")


def _shape(ctx: CallContext, domain: Row[Any], row: Row[Any]) -> dict[str, Any]:
    return SEGMENTS.shape(ctx, domain, row, SegmentDefinitionArn=SEGMENTS.arn(domain, row.name),
                          SegmentType="CLASSIC")


def users_of_segment(ctx: CallContext, domain: Row[Any], name: str) -> list[str]:
    """The segments that build on the named one, as an error message names them."""
    return [f"segment definition {row.name}" for row in SEGMENTS.all(ctx.db, domain.id)
            if name in source_segments_of(row.definition)]


@profiles.operation("CreateSegmentDefinition")
def create_segment_definition(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = require_domain(ctx, params["DomainName"])
    name = params["SegmentDefinitionName"]
    SEGMENTS.require_new(ctx, domain, name)
    check_segment(params, lambda source: SEGMENTS.find(ctx.db, domain.id, source) is not None,
                  lambda attribute: CALCULATED_ATTRIBUTES.find(ctx.db, domain.id, attribute) is not None)
    definition = {member: params[member] for member in _MEMBERS if member in params}
    shape = _shape(ctx, domain, SEGMENTS.put(ctx, domain, name, definition, params.get("Tags")))
    return {member: shape[member] for member in _LISTED if member in shape}


@profiles.operation("GetSegmentDefinition")
def get_segment_definition(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, row = SEGMENTS.named(ctx, params)
    return _shape(ctx, domain, row)


@profiles.operation("ListSegmentDefinitions")
def list_segment_definitions(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return SEGMENTS.listed(ctx, params, _LISTED, _shape)


@profiles.operation("DeleteSegmentDefinition")
def delete_segment_definition(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, row = SEGMENTS.named(ctx, params)
    triggers = ctx.db.execute(select(profile_event_triggers.c.name, profile_event_triggers.c.definition)
                              .where(profile_event_triggers.c.domain_id == domain.id))
    users = users_of_segment(ctx, domain, row.name) + [
        f"event trigger {trigger.name}" for trigger in triggers if trigger.definition.get("SegmentFilter") == row.name]
    if users:
        raise bad_request(f"Segment definition {row.name} is used by {users[0]}; change or delete it first.")
    SEGMENTS.delete(ctx, domain, row)
    forget_subscription(ctx, domain.id, row.name)
    ctx.db.execute(delete(profile_segment_snapshots).where(profile_segment_snapshots.c.domain_id == domain.id,
                                                           profile_segment_snapshots.c.segment_name == row.name))
    return {"Message": f"Segment definition {row.name} was deleted."}


def forget_subscription(ctx: CallContext, domain_id: int, segment: str) -> None:
    """A segment's subscription goes; its members and events (segment_subscriptions.py), which a segment of all
    customers has a million of, soon after (purges.py)."""
    purges.start(ctx, SEGMENT_SUBSCRIPTION, domain_id, segment)  # first: the domain's data lock before any row's
    subscriptions = profile_segment_subscriptions
    ctx.db.execute(delete(subscriptions).where(subscriptions.c.domain_id == domain_id,
                                               subscriptions.c.segment_name == segment))


def _purge_subscription_data(db: Connection, domain_id: int, segment: str, limit: int) -> bool:
    for table in (profile_segment_members, profile_segment_events):
        if delete_matching(db, table, and_(table.c.domain_id == domain_id, table.c.segment_name == segment),
                           limit) == limit:
            return False
    return True


SEGMENT_SUBSCRIPTION = purges.kind("segment-subscription", _purge_subscription_data)


class SegmentMembers:
    """Which of a set of profiles segments hold: the domain's segments read once, each calculated attribute worked
    out once for all the profiles."""

    def __init__(self, ctx: CallContext, domain: Row[Any], profiles: list[Row[Any]]) -> None:
        self._ctx, self._domain = ctx, domain
        self._segments: dict[str, dict[str, Any] | None] = {}
        self._values = CalculatedValues(ctx, domain, [profile.id for profile in profiles])

    def _segment(self, name: str) -> dict[str, Any] | None:
        if name not in self._segments:
            row = SEGMENTS.find(self._ctx.db, self._domain.id, name)
            self._segments[name] = None if row is None else row.definition
        return self._segments[name]

    def holds(self, segment: dict[str, Any], profile: Row[Any]) -> bool:
        return Membership(profile.fields, self._segment, lambda attribute, overrides: self._values.value(
            attribute, profile.id, (overrides or {}).get("Range"))).contains(segment)


    def sort_value(self, attribute: dict[str, Any], profile: Row[Any]) -> Any:
        """What a ``SegmentSort`` attribute orders the profile by: a profile attribute or a calculated one's value."""
        if attribute.get("Type") == "CALCULATED":
            return self._values.value(attribute["Name"], profile.id)
        return profile_value_at(profile.fields, attribute["Name"])


def in_segment(ctx: CallContext, domain: Row[Any], segment: dict[str, Any], profile: Row[Any]) -> bool:
    return SegmentMembers(ctx, domain, [profile]).holds(segment, profile)


@profiles.operation("GetSegmentMembership")
def get_segment_membership(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    domain, row = SEGMENTS.named(ctx, params)
    wanted = list(dict.fromkeys(params["ProfileIds"]))
    found = store.load_profiles(ctx.db, domain.id, wanted)
    members = SegmentMembers(ctx, domain, list(found.values()))
    results = []
    for profile_id, profile in found.items():
        present = members.holds(row.definition, profile)
        result: dict[str, Any] = {"ProfileId": profile_id, "QueryResult": "PRESENT" if present else "ABSENT"}
        if present:
            result["Profile"] = {"ProfileId": profile_id, **profile.fields}
        results.append(result)
    return {
        "SegmentDefinitionName": row.name,
        "Profiles": results,
        "Failures": [{"ProfileId": profile_id, "Status": 404,
                      "Message": f"Profile {profile_id} does not exist in domain {domain.name}."}
                     for profile_id in wanted if profile_id not in found],
        "LastComputedAt": ctx.now(),
    }
