"""Rule-based matching (pure functions): which profiles of a domain a ``RuleBasedMatching`` configuration finds
to be the same customer, and at which rule level.

A rule names profile attributes; two profiles match at a rule's level when every attribute of the rule has a
value in both and the values are equal (compared trimmed and case-folded). ``PhoneNumber``, ``EmailAddress`` and
``Address.<part>`` stand for the fields the ``AttributeTypesSelector`` chooses (by default the field of that
name): with ``ONE_TO_ONE`` a value matches only the same field's value, with ``MANY_TO_MANY`` any chosen field's.
Rules are taken in order, up to ``MaxAllowedRuleLevelForMatching``; profiles linked by a rule (directly or
through each other) form a match group at that rule's level, and a profile in a group takes no part in the later
rules.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from profilestack.services.profiles.shared_keys import hashed, shared_hashes

# Attribute types and the field each stands for when the selector names none.
_TYPES = {"PhoneNumber": "PhoneNumber", "EmailAddress": "EmailAddress", "Address": "Address"}
_MOST_KEYS_PER_RULE = 64  # a profile's combinations of chosen fields for one rule


def _normalized(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(value.split()).casefold()
    return text or None


def _values(fields: dict[str, Any], attribute: str, selector: dict[str, Any]) -> set[tuple[str, str]]:
    """(field it came from, normalized value) for each value the attribute has in the profile."""
    head, _, part = attribute.partition(".")
    if head in _TYPES and (head != "Address" or part):
        chosen = selector.get(head) or [_TYPES[head]]
        found = set()
        for field in chosen:
            held = fields.get(field)
            value = _normalized(held.get(part) if part and isinstance(held, dict) else None if part else held)
            if value is not None:
                found.add((field, value))
        return found
    if head == "Attributes" and part:
        value = _normalized((fields.get("Attributes") or {}).get(part))
    else:
        value = _normalized(fields.get(attribute))
    return set() if value is None else {(attribute, value)}


def rule_keys(fields: dict[str, Any], rule: list[str], selector: dict[str, Any]) -> set[tuple]:
    """The keys under which the rule matches the profile: profiles sharing one match."""
    many_to_many = selector.get("AttributeMatchingModel") == "MANY_TO_MANY"
    per_attribute = []
    for attribute in rule:
        values = _values(fields, attribute, selector)
        if not values:
            return set()
        per_attribute.append(sorted({value for _, value in values} if many_to_many else values))
    return set(itertools.islice(itertools.product(*per_attribute), _MOST_KEYS_PER_RULE))


def match_id(profile_ids: Iterable[str]) -> str:
    """A group's id: the same for the same profiles whenever it is worked out."""
    return hashlib.sha256("\n".join(sorted(profile_ids)).encode()).hexdigest()[:32]


def linked(keys: dict[str, set[tuple]]) -> list[list[str]]:
    """The sets of two or more profiles linked through shared keys (each profile id → its keys)."""
    parent: dict[str, str] = {}

    def root(profile_id: str) -> str:
        while parent[profile_id] != profile_id:
            parent[profile_id] = parent[parent[profile_id]]
            profile_id = parent[profile_id]
        return profile_id

    first_with_key: dict[tuple, str] = {}
    for profile_id, profile_keys in keys.items():
        parent.setdefault(profile_id, profile_id)
        for key in profile_keys:
            parent[root(profile_id)] = root(first_with_key.setdefault(key, profile_id))
    members: dict[str, list[str]] = {}
    for profile_id in parent:
        members.setdefault(root(profile_id), []).append(profile_id)
    return [ids for ids in members.values() if len(ids) > 1]


def match_groups(read_profiles: Callable[[], Iterable[tuple[str, dict[str, Any]]]], matching: dict[str, Any]
                 ) -> list[tuple[str, int, list[str]]]:
    """(match id, rule level, sorted profile ids) of every group of two or more profiles, by match id.
    ``read_profiles`` gives the (id, fields) of every profile, the same each time: it is called twice, so that
    memory holds the profiles sharing a key with another rather than the whole domain (shared_keys.py)."""
    rules = matching.get("MatchingRules") or []
    levels = min(len(rules), matching.get("MaxAllowedRuleLevelForMatching") or len(rules))
    selector = matching.get("AttributeTypesSelector") or {}

    def keyed() -> Iterator[tuple[str, list[set[tuple]]]]:
        """Each profile's keys at each level."""
        for profile_id, fields in read_profiles():
            yield profile_id, [rule_keys(fields, rule["Rule"], selector) for rule in rules[:levels]]

    shared = shared_hashes((level, key) for _, by_level in keyed() for level, found in enumerate(by_level)
                           for key in found)
    candidates: dict[str, list[set[tuple]]] = {}
    for profile_id, by_level in keyed():
        kept = [{key for key in found if hashed((level, key)) in shared} for level, found in enumerate(by_level)]
        if any(kept):
            candidates[profile_id] = kept
    groups, grouped = [], set()
    for level in range(levels):
        keys = {profile_id: kept[level] for profile_id, kept in candidates.items()
                if kept[level] and profile_id not in grouped}
        for ids in linked(keys):
            groups.append((match_id(ids), level + 1, sorted(ids)))
            grouped.update(ids)
    return sorted(groups)
