"""CloudTrail Lake statements (lake_sql.py): what they are rewritten to read, what they answer over laid-out
events (lake_events.py), which eventTime range they let the trail's read skip, and what they are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from profilestack.services.cloudtrail.activity_events import lake_record
from profilestack.services.cloudtrail.lake_events import ACTIVITY, activity_row, lake_row, selected
from profilestack.services.cloudtrail.lake_sql import (
    QueryFailed,
    QueryTimedOut,
    StatementError,
    prepare,
    run,
)

STORE = "0aab0b0c-1d2e-3f40-5a6b-7c8d9e0f1a2b"
OTHER = "1bbc0b0c-1d2e-3f40-5a6b-7c8d9e0f1a2b"
NOW = datetime(2026, 12, 6, 12, 30, tzinfo=UTC)


def _event(minutes_ago: int, name: str, role: str, **extra: object) -> tuple:
    record = {"eventVersion": "1.08", "eventSource": "iam.amazonaws.com", "eventName": name, "readOnly": False,
              "userIdentity": {"type": "AssumedRole", "arn": f"arn:aws:sts::000000000000:assumed-role/{role}/s",
                               "sessionContext": {"sessionIssuer": {"type": "Role", "userName": role}}},
              "requestParameters": {"roleName": f"{role}-target", "tags": [{"key": "a"}]},
              "eventID": f"{name}-{minutes_ago}", **extra}
    return lake_row(record, NOW - timedelta(minutes=minutes_ago))


EVENTS = [_event(5, "GetRole", "reader", readOnly=True), _event(50, "DeleteRole", "admin"),
          _event(90, "DeleteRole", "admin"), _event(200, "CreateRole", "admin")]


def _answer(statement: str, *tables: list[tuple]) -> list[dict[str, str]]:
    prepared = prepare(statement.replace("$EDS", STORE).replace("$OTHER", OTHER))
    answer = run(prepared, list(tables) or [EVENTS], NOW, 5)
    return [dict(zip(answer.columns, row, strict=True)) for row in answer.rows]


def test_struct_members_maps_and_names_read_as_lake_reads_them() -> None:
    rows = _answer("SELECT e.userIdentity.sessionContext.sessionIssuer.userName, requestParameters['roleName'] AS "
                   "target, element_at(requestParameters, 'tags'), readOnly, count(*) OVER () FROM $EDS e "
                   "WHERE eventName = 'GetRole'")
    assert rows == [{"userName": "reader", "target": "reader-target", "_col2": '[{"key":"a"}]',
                     "readOnly": "true", "_col4": "1"}]
    assert _answer("SELECT userIdentity.arn FROM $EDS ORDER BY eventTime LIMIT 1") == [
        {"arn": "arn:aws:sts::000000000000:assumed-role/admin/s"}]
    (everything,) = _answer("SELECT * FROM $EDS WHERE eventName = 'CreateRole'")
    assert everything["eventTime"] == "2026-12-06 09:10:00.000" and everything["eventCategory"] == "Management"
    assert "useridentity.arn" not in everything


def test_time_functions_work_on_lake_time_text() -> None:
    assert _answer("SELECT eventName FROM $EDS WHERE eventTime > now() - interval '1' hour ORDER BY eventTime") == [
        {"eventName": "DeleteRole"}, {"eventName": "GetRole"}]
    assert _answer("SELECT date_trunc('hour', eventTime) AS hour, count(*) AS n FROM $EDS GROUP BY 1 "
                   "ORDER BY 1") == [{"hour": "2026-12-06 09:00:00.000", "n": "1"},
                                     {"hour": "2026-12-06 11:00:00.000", "n": "2"},
                                     {"hour": "2026-12-06 12:00:00.000", "n": "1"}]
    assert _answer("SELECT count(*) AS n FROM $EDS WHERE eventTime BETWEEN TIMESTAMP '2026-12-06 11:00:00' "
                   "AND from_iso8601_timestamp('2026-12-06T12:00:00Z')") == [{"n": "2"}]
    assert _answer("SELECT eventName FROM $EDS WHERE regexp_like(eventName, '^Create')") == [
        {"eventName": "CreateRole"}]


def test_plain_event_time_conditions_bound_what_is_read() -> None:
    bounded = prepare(f"SELECT * FROM {STORE} WHERE eventTime >= '2026-12-01 00:00:00' AND eventName = 'x' "
                      "AND eventTime < TIMESTAMP '2026-12-02 00:00:00'")
    assert (bounded.since, bounded.until) == (datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC),
                                              datetime(2026, 12, 2, 0, 0, 1, tzinfo=UTC))  # a second's margin
    flipped = prepare(f"SELECT * FROM {STORE} WHERE '2026-12-01 00:00:00' < eventTime")
    assert flipped.since == datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC) and flipped.until is None
    for unbounded in (f"SELECT * FROM {STORE} WHERE eventTime > '2026-12-01' OR eventName = 'x'",
                      f"SELECT * FROM {STORE} WHERE eventTime > now() - interval '1' day",
                      f"SELECT a.eventName FROM {STORE} a JOIN {OTHER} b ON a.eventID = b.eventID "
                      "WHERE a.eventTime > '2026-12-01'"):
        assert (prepare(unbounded).since, prepare(unbounded).until) == (None, None), unbounded


def test_a_store_of_applications_events_has_their_columns() -> None:
    data = {"version": "1", "userIdentity": {"type": "Agent", "principalId": "agent-7", "details": {"queue": "q1"}},
            "eventSource": "desk", "eventName": "ViewProfile", "eventTime": "2026-12-06T11:00:00Z", "UID": "u-1",
            "recipientAccountId": "000000000000", "requestParameters": {"orderId": "o-1", "lines": [1]}}
    row = activity_row(lake_record(data, "e-1", "arn:aws:cloudtrail:us-east-1:000000000000:channel/c", "us-east-1",
                                   NOW))
    statement = prepare(f"SELECT e.eventData.userIdentity.details['queue'] AS queue, eventData.requestParameters"
                        f"['lines'] AS lines, metadata.ingestionTime, eventTime FROM {STORE} e", lambda _: ACTIVITY)
    answer = run(statement, [[row]], NOW, 5)
    assert dict(zip(answer.columns, answer.rows[0], strict=True)) == {
        "queue": "q1", "lines": "[1]", "ingestionTime": "2026-12-06 12:30:00.000",
        "eventTime": "2026-12-06 11:00:00.000"}
    (everything,) = run(prepare(f"SELECT * FROM {STORE}", lambda _: ACTIVITY), [[row]], NOW, 5).rows
    assert len(everything) == len(ACTIVITY.top_level) and "ActivityAuditLog" in everything
    with pytest.raises(StatementError, match=r"eventData\.UID is not a member"):  # a management store's columns
        prepare(f"SELECT eventData.UID FROM {STORE}")


def test_two_stores_are_two_tables() -> None:
    assert prepare(f"SELECT 1 FROM {STORE} JOIN {OTHER.upper()} ON true").store_ids == [STORE, OTHER]
    assert _answer("SELECT count(*) AS n FROM $EDS a JOIN $OTHER b ON a.eventID = b.eventID",
                   EVENTS, EVENTS[:2]) == [{"n": "2"}]


@pytest.mark.parametrize(("statement", "message"), [
    ("SELECT 1", "names no event data store"),
    (f"DELETE FROM {STORE}", "one SELECT statement"),
    (f"DROP TABLE {STORE}", "names no event data store"),
    (f"SELECT * FROM {STORE}; SELECT 1", "one SELECT statement"),
    (f"SELECT * FROM {STORE} JOIN sqlite_master ON true", "sqlite_master is not an event data store"),
    (f"SELECT * FROM {STORE} JOIN main.lake_0 ON true", "is not an event data store"),
    (f"SELECT eventName FROM {STORE} WHERE (", "is not valid SQL"),
    # SQLite would answer a column it does not have, quoted, as a string: a member the schema lacks is refused
    (f"SELECT userIdentity.onBehalfOf FROM {STORE}", "userIdentity.onBehalfOf is not a member of the event data "
                                                     "store's schema"),
    (f"SELECT e.eventData.eventName FROM {STORE} e", "eventData.eventName is not a member"),  # another schema's
])
def test_what_is_not_one_select_over_stores_is_refused(statement: str, message: str) -> None:
    with pytest.raises(StatementError, match=message):
        prepare(statement)


def test_a_statement_can_only_read_and_is_stopped_in_time() -> None:
    with pytest.raises(QueryFailed, match="not authorized"):
        _answer("SELECT load_extension('/tmp/x') FROM $EDS")
    endless = prepare(f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n "
                      f"JOIN {STORE} ON true")
    with pytest.raises(QueryTimedOut):
        run(endless, [EVENTS], NOW, 0.2)


def test_advanced_selectors_take_what_they_name() -> None:
    record = {"eventSource": "iam.amazonaws.com", "eventName": "GetRole", "readOnly": True,
              "userIdentity": {"arn": "arn:aws:iam::000000000000:user/ana"}}
    management = {"Field": "eventCategory", "Equals": ["Management"]}
    assert selected([{"FieldSelectors": [management]}], record)
    assert not selected([{"FieldSelectors": [management, {"Field": "readOnly", "Equals": ["false"]}]}], record)
    assert selected([{"FieldSelectors": [management, {"Field": "eventName", "NotStartsWith": ["Delete"]},
                                         {"Field": "userIdentity.arn", "EndsWith": ["/ana"]}]}], record)
    assert not selected([{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]}], record)
    assert selected([{"FieldSelectors": [{"Field": "resources.type", "NotEquals": ["AWS::S3::Object"]},
                                         management]}], record)  # a field it lacks matches only the Not ones
