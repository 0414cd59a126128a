"""SearchProfiles' one-statement read must find what a statement per key value finds (the way taken when a search
asks for many values or finds many profiles), and on PostgreSQL keep to the primary keys however the tables grew."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from profilestack.services.profiles import profile_search
from profilestack.services.profiles import profile_store as store
from profilestack.store.database import Database
from tests.unit.domains import insert_domain

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def _fill(database: Database, seed: int) -> tuple[int, list[str]]:
    """A domain of 30 customers who share phones (in two forms), names and a loyalty key, beside another domain
    holding the same values; the domain's id and its profile ids."""
    rng = random.Random(seed)
    ids = []
    with database.transaction() as db:
        domain = insert_domain(db, "searched").id
        other = insert_domain(db, "other").id
        for index in range(30):
            fields = {"FirstName": rng.choice(["Ann", "Bo"]), "LastName": "Lee",
                      "PhoneNumber": rng.choice(["+15550000001", "(555) 000-0002", "555.000.0003"]),
                      "EmailAddress": f"c{index}@example.com"}
            ids.append(store.create_profile(db, domain, f"{index:032x}", fields, NOW))
            store.create_profile(db, other, f"{100 + index:032x}", fields, NOW)
            if rng.random() < 0.5:
                store.add_keys(db, domain, ids[-1], [("loyalty", rng.choice(["gold", "silver"]))], "object:Card")
                store.add_keys(db, domain, ids[-1], [("loyalty", "gold")], "key")  # a second origin, now and then
    return domain, ids


VALUES = {
    "_phone": ["+15550000001", "5550000002", "+1 555 000 0003", "+15559999999"],
    "_fullName": ["Ann Lee", "Bo Lee", "Cy Lee"],
    "_email": ["c1@example.com", "c7@example.com", "nobody@example.com"],
    "loyalty": ["gold", "silver"],
}


def _searches(rng: random.Random, ids: list[str]) -> list[tuple[str, list[str]]]:
    searches = []
    for _ in range(rng.randint(1, 5)):
        name = rng.choice([*VALUES, "_profileId"])
        pool = [*ids[:5], "f" * 32] if name == "_profileId" else VALUES[name]
        searches.append((name, rng.sample(pool, rng.randint(1, min(3, len(pool))))))
    return searches


@pytest.mark.parametrize("seed", range(4))
def test_one_statement_finds_what_a_statement_per_value_finds(database: Database, seed: int) -> None:
    domain, ids = _fill(database, seed)
    rng = random.Random(seed)
    with database.transaction(write=False) as db:
        for _ in range(40):
            searches = _searches(rng, ids)
            found = profile_search.search(db, domain, searches)
            expected = [store.find_by_key(db, domain, name, values) for name, values in searches]
            assert found.matches == expected, searches
            matched = set().union(*expected)
            if found.rows is not None:  # read with the keys: every matched profile, as load_profiles reads them
                assert found.rows.keys() == matched
                loaded = store.load_profiles(db, domain, matched, encoded=True)
                assert {key: row.fields for key, row in found.rows.items()} == {
                    key: row.fields for key, row in loaded.items()}
    # one statement per (keys, profile ids) count, whatever order the searches came in
    assert all(list(by_id) == sorted(by_id) for by_id in profile_search._STATEMENTS)


def test_a_search_finding_many_profiles_reads_the_keys_alone(database: Database, monkeypatch) -> None:
    domain, ids = _fill(database, 0)
    with database.transaction(write=False) as db:
        both_names = [("_fullName", ["Ann Lee", "Bo Lee"])]
        assert profile_search.search(db, domain, both_names).rows is not None
        monkeypatch.setattr(profile_search, "_MOST_ROWS", 29)  # 30 profiles hold one of the names
        found = profile_search.search(db, domain, both_names)
        assert found.rows is None
        assert set(found.matches[0]) == set(ids)
        many = [("_email", [f"c{index}@example.com" for index in range(21)])]  # more pairs than one statement takes
        found = profile_search.search(db, domain, many)
        assert found.rows is None and len(found.matches[0]) == 21


def test_the_search_statement_keeps_to_the_primary_keys_once_the_tables_have_grown(database: Database) -> None:
    """PostgreSQL plans it with the values searched (engine.py), from statistics gathered while the domain was small:
    its keys and profiles have grown a thousandfold since, as after a bulk load with no ANALYZE."""
    if database.backend != "postgresql":
        pytest.skip("SQLite keeps no planner statistics here")
    import psycopg

    domain, ids = _fill(database, 1)
    with database.transaction() as db:
        driver = db.connection.dbapi_connection
        driver.execute("ANALYZE profile_profiles, profile_keys")
        driver.execute("INSERT INTO profile_profiles (id, domain_id, fields, field_sources, created_at, updated_at) "
                       "SELECT md5(n::text), %s, '{}', '{}', now(), now() FROM generate_series(1, 30000) AS n",
                       [domain])
        driver.execute("INSERT INTO profile_keys (domain_id, key_name, key_value, profile_id, origin) "
                       "SELECT %s, '_phone', '+1555' || n, md5(n::text), 'profile' "
                       "FROM generate_series(1, 30000) AS n", [domain])
        statement = profile_search._statement((False, True))._compiled(db)
        parameters = statement.parameters({"domain": domain, "n0": "_phone", "v0": "+15550000001", "v1": ids[0],
                                           "most": 101})
        cursor = psycopg.RawCursor(driver)
        found = cursor.execute(statement.sql, parameters).fetchall()
        plan = "\n".join(row[0] for row in cursor.execute(f"EXPLAIN {statement.sql}", parameters).fetchall())
    assert {row[0] for row in found} == {0, 1} and ids[0] in {row[1] for row in found}
    assert "Seq Scan" not in plan and "ix_profile_keys_origin" not in plan, plan
    assert "pk_profile_keys" in plan and "pk_profile_profiles" in plan, plan
