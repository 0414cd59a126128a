"""Reading a whole domain's profiles: the same profiles whichever way SQLite is told to read them (the domain's
index for a domain that is a sliver of the table, the whole table for one that is most of it)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event

from profilestack.services.profiles import profile_store as store
from profilestack.store.database import Database
from tests.unit.domains import insert_domain

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def _domain(connection, name: str, profiles: int) -> int:
    """A domain whose counters (as last folded) say it holds ``profiles``, and that many profiles."""
    domain_id = insert_domain(connection, name, profile_count=profiles).id
    for index in range(profiles):
        store.create_profile(connection, domain_id, f"{name}-{index:02d}", {"FirstName": f"{name}{index}"}, NOW)
    return domain_id


def test_each_domain_reads_its_own_profiles_however_it_is_read(database: Database) -> None:
    statements: list[tuple[str, tuple]] = []
    event.listen(database.engine, "before_cursor_execute",
                 lambda _conn, _cursor, statement, parameters, *_rest: statements.append((statement, parameters)))
    with database.transaction() as connection:
        large, small = _domain(connection, "large", 9), _domain(connection, "small", 2)
    with database.transaction(write=False) as connection:
        for domain_id, name, count, scanned in ((large, "large", 9, True), (small, "small", 2, False)):
            statements.clear()
            read = dict(store.every_profile(connection, domain_id))
            assert sorted(read) == [f"{name}-{index:02d}" for index in range(count)]
            assert read[f"{name}-01"] == {"FirstName": f"{name}1"}
            if database.backend == "sqlite":  # how SQLite was told to read them
                statement, parameters = statements[-1]
                plan = " ".join(str(row) for row in connection.exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {statement}", parameters).all())
                assert ("SCAN profile_profiles" in plan) == scanned, plan
