"""The audit writer on each backend: an event the database refuses is dropped alone, and the trail goes on."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from profilestack.audit.log import AuditLog
from profilestack.audit.record import AuditEvent
from profilestack.audit.table import audit_events
from profilestack.store.database import Database


def _event(event_id: str, message: str | None = None) -> AuditEvent:
    return AuditEvent(event_id=event_id, event_time=datetime(2026, 1, 2, tzinfo=UTC), account_id="111122223333",
                      region="eu-west-1", event_source="iam.amazonaws.com", event_name="GetRole", read_only=True,
                      principal=None, source_ip="127.0.0.1", user_agent="agent\x00x", request_id="r",
                      error_code="ValidationError" if message else None, error_message=message,
                      request_parameters={"roleName": "a\x00b"})


def _stored(database: Database) -> list:
    with database.transaction(write=False) as db:
        return db.execute(select(audit_events).order_by(audit_events.c.seq)).all()


def test_an_event_the_database_refuses_does_not_hold_back_the_others(database: Database,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    audit = AuditLog(database)  # not started: flushed here
    for event_id in ("first", "first", "second"):  # the repeated id breaks the table's unique constraint
        audit.record(_event(event_id))
    with caplog.at_level(logging.WARNING, logger="profilestack.audit.log"):
        audit.flush()
    assert [row.event_id for row in _stored(database)] == ["first", "second"]
    assert "audit event first (iam.amazonaws.com GetRole) cannot be stored, dropped" in caplog.text
    audit.record(_event("third"))
    audit.flush()  # nothing was kept back to fail again
    assert [row.event_id for row in _stored(database)] == ["first", "second", "third"]


def test_null_characters_are_stored_on_every_backend(database: Database) -> None:
    audit = AuditLog(database)
    audit.record(_event("nul", message="Value 'a\x00b' at 'roleName' failed to satisfy constraint"))
    audit.flush()
    (row,) = _stored(database)
    assert row.error_message == "Value 'a\ufffdb' at 'roleName' failed to satisfy constraint"
    assert row.user_agent == "agent\ufffdx"
    assert row.request_parameters == {"roleName": "a\x00b"}  # JSON carries it as an escape


def test_parameters_only_the_standard_library_writes_are_stored_as_json(database: Database) -> None:
    """An integer beyond 64 bits sends a document to the standard library's writer, which would write NaN as
    ``NaN``: not JSON, and PostgreSQL refuses it. It is written as ``null``, as orjson writes it."""
    event = _event("big")
    event.request_parameters = {"threshold": float("nan"), "period": 10**20, "limits": [float("inf"), 1.5]}
    audit = AuditLog(database)
    audit.record(event)
    audit.flush()
    (row,) = _stored(database)
    assert row.request_parameters == {"threshold": None, "period": 10**20, "limits": [None, 1.5]}


def _awkward(event_id: str, index: int) -> AuditEvent:
    """Values a bulk path must carry as an INSERT does: tabs, newlines, backslashes, NUL, quotes, other scripts,
    absent fields, numbers JSON cannot hold."""
    event = _event(event_id, message=f"line one\nline\ttwo \\ {index} \x00 «ok»" if index % 2 else None)
    event.user_agent = None if index % 3 == 0 else f'aws-cli/2 "q" \\N {index}\r\n'
    event.request_parameters = {"path": "C:\\temp\\new", "tab": "\t", "n": index, "big": 10**20,
                                "nan": float("nan"), "text": "日本語 \\u0000"}
    event.resources = [{"ResourceType": "AWS::IAM::Role", "ResourceName": f"arn:aws:iam::1:role/r{index}"}]
    return event


def test_a_large_batch_stores_what_events_written_one_at_a_time_store(database: Database,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    """On PostgreSQL a batch of sixteen events or more is a COPY, fewer an INSERT: the rows must not differ, and
    the batch must be stored whole (not event by event after a failure)."""
    audit = AuditLog(database)
    for index in range(40):
        audit.record(_awkward(f"batch-{index}", index))
    with caplog.at_level(logging.WARNING, logger="profilestack.audit.log"):
        audit.flush()
    assert caplog.text == ""
    for index in range(40):
        audit.record(_awkward(f"single-{index}", index))
        audit.flush()
    rows = _stored(database)
    assert len(rows) == 80

    def content(row) -> dict:
        return {name: value for name, value in row._mapping.items() if name not in ("seq", "event_id")}

    assert [content(row) for row in rows[:40]] == [content(row) for row in rows[40:]]
    assert rows[1].error_message == "line one\nline\ttwo \\ 1 \ufffd «ok»"
    assert rows[2].user_agent == 'aws-cli/2 "q" \\N 2\r\n'
    assert rows[0].request_parameters["path"] == "C:\\temp\\new" and rows[0].request_parameters["nan"] is None


def test_an_event_refused_in_a_large_batch_does_not_hold_back_the_others(database: Database) -> None:
    audit = AuditLog(database)
    for index in range(30):
        audit.record(_event("twice" if index in (3, 17) else f"e{index}"))
    audit.flush()
    assert len(_stored(database)) == 29


def test_events_wait_up_to_a_number_and_a_size_then_the_log_says_it_overflows(database: Database) -> None:
    """What Gateway refuses calls on (503) while the database stores nothing: as many events as may wait, or as
    many bytes of requests, the bound on the memory they hold; stored, they no longer count."""
    by_number, by_size = AuditLog(database, max_waiting=3), AuditLog(database, max_waiting_bytes=1000)
    for index in range(3):
        assert not by_number.overflowing() and not by_size.overflowing()
        event = _event(f"e{index}")
        event.size = 400
        by_number.record(event)
        by_size.record(replace(event, event_id=f"s{index}"))
    assert by_number.overflowing() and by_size.overflowing()  # three events; 1,200 bytes
    by_number.flush()
    by_size.flush()
    assert not by_number.overflowing() and not by_size.overflowing()
    assert len(_stored(database)) == 6
