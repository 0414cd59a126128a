"""Identity resolution's matching (pure functions): which profiles of a domain look like one customer, and how
sure that is.

AWS matches by machine learning over the attributes it documents — the four phone numbers, the three email
addresses and the full name — and tolerates spelling mistakes in names, letter case and punctuation in email
addresses, and phone number formats. profilestack does the same deterministically (docs/decisions.md):

- phone numbers compare by their last ten digits (seven at least), email addresses lower-cased with the
  punctuation of their local part dropped, full names lower-cased, letters only, by similarity (0 to 1);
- two profiles match when they share a phone number or an email address and their names, when both have one,
  are at least half alike; or when their names are at least 90% alike and neither their email addresses nor their
  phone numbers, where both have some, differ;
- confidence: 0.5 + half the name similarity with a shared contact (0.8 when a name is missing), 0.6 times the
  name similarity for a name alone. A group's confidence is that of its weakest link.

Candidates are the profiles sharing a phone number, an email address or a name's first letters and last name;
a candidate set larger than ``MAX_CANDIDATES`` (a shared switchboard number, say) is passed over.

The domain's profiles are read three times, so that memory holds the candidates, not a million customers: first
to find the candidate keys more than one profile may share (shared_keys.py); then to count exactly how many
profiles have each of those; then to keep the profiles having a key that two to ``MAX_CANDIDATES`` profiles have.
A job over 200,000 profiles peaked at 454 MB of server memory when it held them all (bench/scale.py).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import combinations
from typing import Any

from profilestack.services.profiles.profile_store import EMAILS, PHONES
from profilestack.services.profiles.rule_matching import match_id
from profilestack.services.profiles.shared_keys import hashed, shared_hashes

MAX_CANDIDATES = 100
_SIMILAR_NAMES = 0.9
_NOT_DIFFERENT_NAMES = 0.5


@dataclass(frozen=True)
class Identity:
    profile_id: str
    phones: frozenset[str]
    emails: frozenset[str]
    name: str | None


@dataclass(frozen=True)
class Match:
    match_id: str
    profile_ids: list[str]
    confidence: float


def identity(profile_id: str, fields: dict[str, Any]) -> Identity:
    phones = {digits[-10:] for name in PHONES if isinstance(fields.get(name), str)
              if len(digits := re.sub(r"\D", "", fields[name])) >= 7}
    emails = set()
    for name in EMAILS:
        local, at, host = str(fields.get(name) or "").strip().lower().rpartition("@")
        if at and local and host:
            emails.add(f"{re.sub(r'[^0-9a-z]', '', local)}@{host}")
    words = " ".join(str(fields.get(name) or "") for name in ("FirstName", "MiddleName", "LastName"))
    name = " ".join(re.sub(r"[^\w ]|\d|_", "", words.lower()).split()) or None
    return Identity(profile_id, frozenset(phones), frozenset(emails), name)


def confidence(one: Identity, other: Identity) -> float | None:
    """How sure it is that the two profiles are one customer; None when they do not match."""
    similarity = SequenceMatcher(None, one.name, other.name).ratio() if one.name and other.name else None
    if one.phones & other.phones or one.emails & other.emails:
        if similarity is None:
            return 0.8
        return 0.5 + similarity / 2 if similarity >= _NOT_DIFFERENT_NAMES else None
    contacts_differ = (one.phones and other.phones) or (one.emails and other.emails)
    if similarity is not None and similarity >= _SIMILAR_NAMES and not contacts_differ:
        return 0.6 * similarity
    return None


def _blocks(person: Identity) -> set[tuple[str, str]]:
    keys = {("phone", phone) for phone in person.phones} | {("email", email) for email in person.emails}
    if person.name:
        words = person.name.split()
        keys.add(("name", f"{words[0][:1]} {words[-1]}"))
    return keys


def find_matches(read_profiles: Callable[[], Iterable[tuple[str, dict[str, Any]]]]) -> list[Match]:
    """The match groups of two or more profiles, by match id. ``read_profiles`` gives the (id, fields) of every
    profile, the same each time: it is called three times."""

    def people() -> Iterator[Identity]:
        return (identity(profile_id, fields) for profile_id, fields in read_profiles())

    shared = shared_hashes(key for person in people() for key in _blocks(person))
    sizes = Counter(key for person in people() for key in _blocks(person) if hashed(key) in shared)
    usable = {key for key, size in sizes.items() if 2 <= size <= MAX_CANDIDATES}
    blocks: dict[tuple[str, str], list[Identity]] = {}
    for person in people():
        for key in _blocks(person) & usable:
            blocks.setdefault(key, []).append(person)
    links: dict[tuple[str, str], float] = {}
    for members in blocks.values():
        for one, other in combinations(members, 2):
            pair = tuple(sorted((one.profile_id, other.profile_id)))
            if pair not in links and (score := confidence(one, other)) is not None:
                links[pair] = score  # type: ignore[index]
    # the strongest links first: a group's confidence is the weakest link that joined it
    parent: dict[str, str] = {}
    weakest: dict[str, float] = {}

    def root(profile_id: str) -> str:
        parent.setdefault(profile_id, profile_id)
        while parent[profile_id] != profile_id:
            parent[profile_id] = parent[parent[profile_id]]
            profile_id = parent[profile_id]
        return profile_id

    for (one, other), score in sorted(links.items(), key=lambda link: -link[1]):
        first, second = root(one), root(other)
        if first != second:
            parent[second] = first
            weakest[first] = min(score, weakest.get(first, 1.0), weakest.get(second, 1.0))
    groups: dict[str, list[str]] = {}
    for profile_id in parent:
        groups.setdefault(root(profile_id), []).append(profile_id)
    matches = [Match(match_id(ids), sorted(ids), round(weakest[top], 4)) for top, ids in groups.items()
               if len(ids) > 1]
    return sorted(matches, key=lambda match: match.match_id)
