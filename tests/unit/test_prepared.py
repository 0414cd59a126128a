"""Multi-row inserts of the hot statements: every row written once, in fixed-size chunks, values converted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from profilestack.audit.record import COLUMNS
from profilestack.audit.table import audit_events
from profilestack.store.database import Database
from profilestack.store.prepared import _CHUNK_SIZES, Prepared, _chunks


@pytest.mark.parametrize("most", [1, 3, 20, 1638])
def test_chunks_cover_each_row_once_in_fixed_sizes(most: int) -> None:
    for rows in range(0, 700):
        covered = []
        for start, count in _chunks(rows, most):
            assert count in _CHUNK_SIZES and count <= most
            covered += range(start, start + count)
        assert covered == list(range(rows))


def _row(index: int, began: datetime) -> list:
    values = dict.fromkeys(COLUMNS)
    values.update(event_id=f"event-{index}", event_time=began + timedelta(microseconds=index),
                  account_id="111122223333", region="eu-west-1", event_source="iam.amazonaws.com",
                  event_name="GetRole", read_only=index % 2 == 0,
                  request_parameters={"roleName": f"r{index}", "n": index} if index % 3 else None,
                  resources=[{"ResourceName": f"r{index}"}])
    return [values[column] for column in COLUMNS]


@pytest.mark.parametrize("rows", [0, 1, 333])
def test_run_rows_writes_every_row_with_its_values_converted(database: Database, rows: int) -> None:
    began = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    columns = tuple(reversed(COLUMNS))  # not the table's order: values must still land in their columns
    with database.transaction() as db:
        Prepared(audit_events.insert()).run_rows(db, columns, [list(reversed(_row(i, began))) for i in range(rows)])
    with database.transaction(write=False) as db:
        stored = db.execute(select(audit_events).order_by(audit_events.c.seq)).all()
    assert len(stored) == rows
    for index, row in enumerate(stored):
        assert row.event_id == f"event-{index}"
        assert row.event_time == began + timedelta(microseconds=index)
        assert row.read_only is (index % 2 == 0)
        assert row.request_parameters == ({"roleName": f"r{index}", "n": index} if index % 3 else None)
        assert row.resources == [{"ResourceName": f"r{index}"}]
        assert row.principal_arn is None


def test_only_plain_inserts_are_copied_on_postgresql() -> None:
    """COPY appends rows and nothing else: an INSERT that skips duplicates or returns rows must stay an INSERT."""
    from sqlalchemy.dialects import postgresql

    from profilestack.services.profiles.tables import profile_keys
    from profilestack.store.prepared import _Compiled
    from profilestack.store.statements import _insert_ignoring_duplicates

    dialect = postgresql.psycopg.dialect()
    columns = ["event_id", "event_time", "account_id"]
    assert _Compiled(audit_events.insert(), dialect, columns).copy == (
        "COPY audit_events (event_id, event_time, account_id) FROM STDIN")
    returning = audit_events.insert().returning(audit_events.c.seq)
    assert _Compiled(returning, dialect, columns).copy is None
    skipping = _insert_ignoring_duplicates("postgresql", profile_keys).statement
    assert _Compiled(skipping, dialect, [column.name for column in profile_keys.columns]).copy is None
