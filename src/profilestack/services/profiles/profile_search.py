"""SearchProfiles' reads: the profiles that hold the keys searched for, with their fields.

A search for a few values (a caller's phone number, an email) is one statement: a point lookup of each
(key, value) pair, each matching profile's fields read beside it. On PostgreSQL that is one round trip where
a statement per value and another for the profiles took two or more. Point lookups keep to the keys' primary
key whatever PostgreSQL's statistics say, where an ``IN`` or ``OR`` list can be planned as a scan of the
domain's keys (docs/decisions.md). A search for many values, or one matching many profiles, reads the keys
alone and then only the page's profiles.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import Connection, Row, Text, bindparam, cast, literal_column, select, union_all

from profilestack.services.profiles import profile_store as store
from profilestack.services.profiles.phone_numbers import with_dialable
from profilestack.services.profiles.tables import profile_keys, profiles_table
from profilestack.store.prepared import Prepared

_MOST_PAIRS = 20  # (key, value) pairs looked up in one statement
_MOST_ROWS = 100  # key rows read with their profiles' fields; a search finding more reads the page's alone

Matches = dict[str, list[str]]  # profile id → the values of a searched key it matched


class Found(NamedTuple):
    matches: list[Matches]  # one per (key name, values) searched, in order
    rows: dict[str, Row[Any]] | None  # every matched profile's row (as load_profiles ``encoded``), when read


def search(db: Connection, domain_id: int, searches: list[tuple[str, list[str]]]) -> Found:
    """The profiles holding each searched key's values (``_profileId`` for profile ids; a phone number in any
    format also as the E.164 form phone keys are kept in), with their fields when few enough were found."""
    pairs = [(index, value, lookup) for index, (name, values) in enumerate(searches)
             for value in dict.fromkeys(values) for lookup in _looked_up(name, value)]
    # profile ids after keys, each search's values in their order: one statement per count of each, not one per
    # way of interleaving them, for the statements a process keeps
    pairs.sort(key=lambda pair: searches[pair[0]][0] == "_profileId")
    if not pairs:  # no value to look for (Values may be empty): no profile holds one
        return Found([{} for _ in searches], {})
    if len(pairs) <= _MOST_PAIRS:
        found = _pairs_with_fields(db, domain_id, searches, pairs)
        if found is not None:
            return found
    return Found([store.find_by_key(db, domain_id, name, values) for name, values in searches], None)


def _looked_up(key_name: str, value: str) -> list[str]:
    """The values a searched value is looked up as (find_by_key's)."""
    return [value] if key_name == "_profileId" else [lookup for _, lookup in with_dialable([(key_name, value)])]


def _pairs_with_fields(db: Connection, domain_id: int, searches: list[tuple[str, list[str]]],
                       pairs: list[tuple[int, str, str]]) -> Found | None:
    """None when more than _MOST_ROWS key rows match."""
    by_id = tuple(searches[index][0] == "_profileId" for index, _, _ in pairs)
    values: dict[str, Any] = {"domain": domain_id, "most": _MOST_ROWS + 1}
    for position, (index, _, lookup) in enumerate(pairs):
        values[f"v{position}"] = lookup
        if not by_id[position]:
            values[f"n{position}"] = searches[index][0]
    found = _statement(by_id).all(db, values)
    if len(found) > _MOST_ROWS:
        return None
    matches: list[Matches] = [{} for _ in searches]
    rows: dict[str, Row[Any]] = {}
    for row in sorted(found, key=lambda row: row.pair):  # in the order searched, as find_by_key lists values
        if row.fields is None:  # a key whose profile is gone
            continue
        index, value, _ = pairs[row.pair]
        matched = matches[index].setdefault(row.id, [])
        if value not in matched:  # once, whatever gives it the key and in whichever form
            matched.append(value)
        rows[row.id] = row
    return Found(matches, rows)


_STATEMENTS: dict[tuple[bool, ...], Prepared] = {}


def _statement(by_id: tuple[bool, ...]) -> Prepared:
    """The lookup of len(by_id) pairs: each a profile id (True) or a key's name and value, with its position."""
    statement = _STATEMENTS.get(by_id)
    if statement is None:
        domain = bindparam("domain")
        fields = select(cast(profiles_table.c.fields, Text)).where(
            profiles_table.c.id == profile_keys.c.profile_id).scalar_subquery()
        parts = [
            select(literal_column(str(position)).label("pair"), profiles_table.c.id,
                   cast(profiles_table.c.fields, Text).label("fields")).where(
                profiles_table.c.domain_id == domain, profiles_table.c.id == bindparam(f"v{position}"))
            if is_id else
            select(literal_column(str(position)).label("pair"), profile_keys.c.profile_id.label("id"),
                   fields.label("fields")).where(
                profile_keys.c.domain_id == domain, profile_keys.c.key_name == bindparam(f"n{position}"),
                profile_keys.c.key_value == bindparam(f"v{position}"))
            for position, is_id in enumerate(by_id)]
        whole = parts[0].limit(bindparam("most")) if len(parts) == 1 else union_all(*parts).limit(bindparam("most"))
        statement = _STATEMENTS[by_id] = Prepared(whole)
    return statement
