"""Whether a profile is in a segment (pure functions: the segments it builds on and the calculated attribute values
come from the caller).

Groups join by the segment's ``Include`` (ALL, ANY, NONE); within a group the profile must be in its source
segments as ``SourceType`` joins them and match its dimensions as ``Type`` joins them; within a dimension every
profile attribute and calculated attribute must match. A missing value matches only ``EXCLUSIVE``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from profilestack.services.profiles.calculation import check_range_override
from profilestack.services.profiles.errors import bad_request
from profilestack.services.profiles.trigger_conditions import OPERATORS, combine

ADDRESSES = ("Address", "ShippingAddress", "MailingAddress", "BillingAddress")
_STRING_FORMS = {"GenderString": "Gender", "PartyTypeString": "PartyType"}  # the enum field stands in when unset
_DEPTH = 10  # source segments building on source segments, at most this deep

FindSegment = Callable[[str], dict[str, Any] | None]  # a segment's definition by name
CalculatedValue = Callable[[str, dict[str, Any] | None], str | None]  # (attribute, ConditionOverrides) → value


def _matches(value: Any, dimension: dict[str, Any]) -> bool:
    if not isinstance(value, str) or value == "":
        return dimension["DimensionType"] == "EXCLUSIVE"
    return OPERATORS[dimension["DimensionType"]](value, dimension["Values"])


def _profile_value(fields: dict[str, Any], name: str) -> Any:
    if name == "ProfileType":
        return fields.get(name) or "PROFILE"
    return fields.get(name) or fields.get(_STRING_FORMS.get(name, name))


def profile_value_at(fields: dict[str, Any], path: str) -> Any:
    """A profile attribute by its name as a sort names it: a field, ``Address.City``, ``Attributes.tier``."""
    head, _, part = path.partition(".")
    if part and (head in ADDRESSES or head == "Attributes"):
        return (fields.get(head) or {}).get(part)
    return _profile_value(fields, path)


def profile_attributes_match(attributes: dict[str, Any], fields: dict[str, Any]) -> bool:
    for name, spec in attributes.items():
        if name in ADDRESSES or name == "Attributes":
            held = fields.get(name) or {}
            if not all(_matches(held.get(part), dimension) for part, dimension in spec.items()):
                return False
        elif not _matches(_profile_value(fields, name), spec):
            return False
    return True


def _groups(segment: dict[str, Any]) -> list[dict[str, Any]]:
    return (segment.get("SegmentGroups") or {}).get("Groups") or []


def _dimensions(segment: dict[str, Any]) -> list[dict[str, Any]]:
    return [dimension for group in _groups(segment) for dimension in group.get("Dimensions") or []]


def dimensions_of(segment: dict[str, Any]) -> list[dict[str, Any]]:
    """Every dimension of every group, each a ``{DimensionType, Values}`` structure."""
    found = []
    for dimension in _dimensions(segment):
        for name, spec in (dimension.get("ProfileAttributes") or {}).items():
            found += list(spec.values()) if name in ADDRESSES or name == "Attributes" else [spec]
        found += list((dimension.get("CalculatedAttributes") or {}).values())
    return found


def calculated_dimensions_of(segment: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(calculated attribute, its dimension) of every group."""
    return [item for dimension in _dimensions(segment)
            for item in (dimension.get("CalculatedAttributes") or {}).items()]


def calculated_attributes_of(segment: dict[str, Any]) -> set[str]:
    return {name for name, _ in calculated_dimensions_of(segment)}


def source_segments_of(segment: dict[str, Any]) -> list[str]:
    """The segments the segment's groups build on."""
    return [source["SegmentDefinitionName"] for group in _groups(segment)
            for source in group.get("SourceSegments") or []]


def check_segment(segment: dict[str, Any], segment_exists: Callable[[str], bool],
                  attribute_exists: Callable[[str], bool]) -> None:
    """Refuse a segment that cannot be evaluated."""
    if segment.get("SegmentSqlQuery"):
        raise bad_request("SegmentSqlQuery is not supported by profilestack yet: define the segment with "
                          "SegmentGroups.")
    if not _groups(segment):
        raise bad_request("A segment definition needs SegmentGroups with at least one group.")
    for dimension in dimensions_of(segment):
        if dimension["DimensionType"] not in OPERATORS:
            raise bad_request(f"DimensionType {dimension['DimensionType']} is not supported by profilestack yet.")
        if any("{{" in value for value in dimension["Values"]):
            raise bad_request("Dynamic values ({{_profile.…}}, {{_calculated_attribute.…}}) are not supported by "
                              "profilestack yet.")
    for source in source_segments_of(segment):
        if not segment_exists(source):
            raise bad_request(f"Source segment {source} does not exist.")
    for name in sorted(calculated_attributes_of(segment)):
        if not attribute_exists(name):
            raise bad_request(f"Calculated attribute {name} does not exist.")
    for _, spec in calculated_dimensions_of(segment):
        check_range_override((spec.get("ConditionOverrides") or {}).get("Range"))


class Membership:
    """Membership of one profile, segment by segment (source segments read once)."""

    def __init__(self, fields: dict[str, Any], find_segment: FindSegment, calculated: CalculatedValue) -> None:
        self._fields, self._find, self._calculated = fields, find_segment, calculated

    def contains(self, segment: dict[str, Any], depth: int = 0) -> bool:
        groups = segment["SegmentGroups"]
        return combine(groups.get("Include") or "ALL", [self._group(group, depth) for group in groups["Groups"]])

    def _group(self, group: dict[str, Any], depth: int) -> bool:
        sources = group.get("SourceSegments") or []
        if sources and not combine(group.get("SourceType") or "ALL",
                                   [self._in(source["SegmentDefinitionName"], depth) for source in sources]):
            return False
        dimensions = group.get("Dimensions") or []
        return not dimensions or combine(group.get("Type") or "ALL", [self._dimension(d) for d in dimensions])

    def _in(self, name: str, depth: int) -> bool:
        segment = self._find(name)
        return segment is not None and depth < _DEPTH and self.contains(segment, depth + 1)

    def _dimension(self, dimension: dict[str, Any]) -> bool:
        if not profile_attributes_match(dimension.get("ProfileAttributes") or {}, self._fields):
            return False
        return all(_matches(self._calculated(name, spec.get("ConditionOverrides")), spec)
                   for name, spec in (dimension.get("CalculatedAttributes") or {}).items())
