"""Whether a profile is in a segment (pure functions: the segments it builds on and the calculated attribute values
come from the caller).

Groups join by the segment's ``Include`` (ALL, ANY, NONE); within a group the profile must be in its source
segments as ``SourceType`` joins them and match its dimensions as ``Type`` joins them; within a dimension every
profile attribute and calculated attribute must match. A missing value matches only ``EXCLUSIVE``. A value written
``{{_profile.Name}}`` or ``{{_calculated_attribute.Name}}`` (a dynamic value) stands for that attribute of the profile
being tested; a profile without it is not matched by the dimension.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from profilestack.gateway.catalog import service_model
from profilestack.services.profiles.calculation import check_range_override
from profilestack.services.profiles.errors import bad_request
from profilestack.services.profiles.mapping import STRING_FORMS
from profilestack.services.profiles.trigger_conditions import OPERATORS, combine

ADDRESSES = ("Address", "ShippingAddress", "MailingAddress", "BillingAddress")
_ENUM_FORMS = {text: enum for enum, text in STRING_FORMS.items()}  # the enum field stands in when the text is unset
_DEPTH = 10  # source segments building on source segments, at most this deep

FindSegment = Callable[[str], dict[str, Any] | None]  # a segment's definition by name
CalculatedValue = Callable[[str, dict[str, Any] | None], str | None]  # (attribute, ConditionOverrides) → value
_DYNAMIC = re.compile(r"\{\{\s*(_profile|_calculated_attribute)\.([^{}\s]+)\s*\}\}")


def dynamic_reference(value: str) -> tuple[str, str] | None:
    """(``_profile`` or ``_calculated_attribute``, attribute name) of a dynamic value; None for a plain value."""
    match = _DYNAMIC.fullmatch(value) if "{{" in value else None
    return (match[1], match[2]) if match else None


@cache
def _profile_shape() -> Any:
    return service_model("customer-profiles").shape_for("Profile")


def is_profile_attribute(path: str) -> bool:
    """Whether a dynamic value's ``_profile.`` path names something a profile holds: ``FirstName``,
    ``Address.City``, ``Attributes.tier``."""
    head, _, part = path.partition(".")
    member = _profile_shape().members.get(head)
    if member is None:
        return False
    if member.type_name == "structure":
        return part in member.members
    if member.type_name == "map":
        return bool(part)
    return member.type_name == "string" and not part


def _profile_value(fields: dict[str, Any], name: str) -> Any:
    if name == "ProfileType":
        return fields.get(name) or "PROFILE"
    return fields.get(name) or fields.get(_ENUM_FORMS.get(name, name))


def profile_value_at(fields: dict[str, Any], path: str) -> Any:
    """A profile attribute by its name as a sort names it: a field, ``Address.City``, ``Attributes.tier``."""
    head, _, part = path.partition(".")
    if part and (head in ADDRESSES or head == "Attributes"):
        return (fields.get(head) or {}).get(part)
    return _profile_value(fields, path)


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
    """The calculated attributes the segment's dimensions test or name in a dynamic value."""
    dynamic = {reference[1] for dimension in dimensions_of(segment) for value in dimension["Values"]
               if (reference := dynamic_reference(value)) and reference[0] == "_calculated_attribute"}
    return {name for name, _ in calculated_dimensions_of(segment)} | dynamic


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
        for value in dimension["Values"]:
            _check_value(value)
    if any(not source.get("SegmentDefinitionName") for group in _groups(segment)
           for source in group.get("SourceSegments") or []):
        raise bad_request("A source segment needs its SegmentDefinitionName.")
    for source in source_segments_of(segment):
        if not segment_exists(source):
            raise bad_request(f"Source segment {source} does not exist.")
    for name in sorted(calculated_attributes_of(segment)):
        if not attribute_exists(name):
            raise bad_request(f"Calculated attribute {name} does not exist.")
    for _, spec in calculated_dimensions_of(segment):
        check_range_override((spec.get("ConditionOverrides") or {}).get("Range"))


def _check_value(value: str) -> None:
    if "{{" not in value:
        return
    reference = dynamic_reference(value)
    if reference is None:
        raise bad_request(f"Value {value} is not a dynamic value: write a whole value as {{{{_profile.Name}}}} or "
                          "{{_calculated_attribute.Name}}.")
    if reference[0] == "_profile" and not is_profile_attribute(reference[1]):
        raise bad_request(f"Dynamic value {value} names no profile attribute: use a profile field (FirstName), "
                          "an address part (Address.City) or a custom attribute (Attributes.Name).")


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
        if not self._profile_attributes_match(dimension.get("ProfileAttributes") or {}):
            return False
        return all(self._matches(self._calculated(name, spec.get("ConditionOverrides")), spec)
                   for name, spec in (dimension.get("CalculatedAttributes") or {}).items())

    def _profile_attributes_match(self, attributes: dict[str, Any]) -> bool:
        for name, spec in attributes.items():
            if name in ADDRESSES or name == "Attributes":
                held = self._fields.get(name) or {}
                if not all(self._matches(held.get(part), dimension) for part, dimension in spec.items()):
                    return False
            elif not self._matches(_profile_value(self._fields, name), spec):
                return False
        return True

    def _matches(self, value: Any, dimension: dict[str, Any]) -> bool:
        values = self._resolved(dimension["Values"])
        if values is None:
            return False
        if not isinstance(value, str) or value == "":
            return dimension["DimensionType"] == "EXCLUSIVE"
        return OPERATORS[dimension["DimensionType"]](value, values)

    def _resolved(self, values: list[str]) -> list[str] | None:
        """The dimension's values with each dynamic value replaced by this profile's; None when it has none."""
        resolved = []
        for value in values:
            reference = dynamic_reference(value)
            if reference is not None:
                source, name = reference
                value = (profile_value_at(self._fields, name) if source == "_profile"
                         else self._calculated(name, None))
                if not isinstance(value, str) or value == "":
                    return None
            resolved.append(value)
        return resolved
