"""A profile's objects read in ListProfileObjects' order a chunk at a time, from any place in that order — ties of
time broken by the unique key — along the index that holds them so (no sort of the profile's objects per page)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event, insert

from profilestack.services.profiles.objects import _in_listing_order
from profilestack.services.profiles.tables import profile_objects
from profilestack.store.database import Database

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
# (unique key, seconds after NOW): two pairs share a time, and the keys' own order is not the time order
OBJECTS = [("k-5", 0), ("k-1", 1), ("k-3", 1), ("k-0", 2), ("k-9", 3), ("k-2", 3), ("k-4", 4)]
IN_ORDER = ["k-5", "k-1", "k-3", "k-0", "k-2", "k-9", "k-4"]


def _put_objects(database: Database) -> None:
    rows = [{"domain_id": 1, "object_type": "Order", "unique_key": key, "profile_id": "p" * 32, "body": "{}",
             "created_at": NOW + timedelta(seconds=seconds), "expires_at": None} for key, seconds in OBJECTS]
    rows += [{**row, "profile_id": "q" * 32, "unique_key": f"other-{row['unique_key']}"} for row in rows]
    rows += [{**row, "object_type": "Case", "unique_key": f"case-{row['unique_key']}"} for row in rows[:7]]
    with database.transaction() as connection:
        connection.execute(insert(profile_objects), rows)


def _listed(database: Database, after: tuple[datetime, str] | None, chunk: int) -> list[str]:
    with database.transaction(write=False) as connection:
        return [row.unique_key for row in _in_listing_order(connection, 1, "p" * 32, "Order", after, chunk)]


def test_objects_come_in_listing_order_a_chunk_at_a_time_from_any_place(database: Database) -> None:
    _put_objects(database)
    for chunk in (1, 2, 3, 7, 100):
        assert _listed(database, None, chunk) == IN_ORDER
    at_a_tie = (NOW + timedelta(seconds=1), "k-1")
    assert _listed(database, at_a_tie, 2) == IN_ORDER[2:]
    assert _listed(database, (NOW + timedelta(seconds=3), "k-2"), 2) == ["k-9", "k-4"]
    assert _listed(database, (NOW + timedelta(seconds=3), "k-5"), 2) == ["k-9", "k-4"]  # a place no object holds
    assert _listed(database, (NOW + timedelta(seconds=4), "k-4"), 2) == []


def test_a_page_is_read_along_the_index_without_sorting(database: Database) -> None:
    if database.backend != "sqlite":
        return
    _put_objects(database)
    statements: list[tuple[str, tuple]] = []
    event.listen(database.engine, "before_cursor_execute",
                 lambda _conn, _cursor, statement, parameters, *_rest: statements.append((statement, parameters)))
    _listed(database, (NOW + timedelta(seconds=1), "k-1"), 100)
    with database.transaction(write=False) as connection:
        statement, parameters = statements[-1]
        plan = " ".join(str(row) for row in connection.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {statement}", parameters).all())
    assert "USING INDEX ix_profile_objects_profile" in plan, plan
    assert "TEMP B-TREE" not in plan, plan
