"""Writes sent without waiting for their answers (``store.pipeline``): what a block of them reads, and where a write
that fails raises; lookups sent together (``Prepared.all_each``). On SQLite neither changes anything; the same
tests hold there."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, insert, select

from profilestack.services.profiles.tables import profile_keys
from profilestack.store.database import Database
from profilestack.store.pipeline import pipelined
from profilestack.store.prepared import Prepared

_INSERT = Prepared(insert(profile_keys))
_HOLDERS = Prepared(select(profile_keys.c.profile_id).where(profile_keys.c.key_value == bindparam("value")))


def _key(value: str, profile_id: str = "p1") -> dict[str, object]:
    return {"domain_id": 1, "key_name": "_email", "key_value": value, "profile_id": profile_id, "origin": "Order"}


def test_reads_inside_the_block_see_the_writes_sent_before_them(database: Database) -> None:
    with database.transaction() as db, pipelined(db):
        _INSERT.run(db, _key("a@example.com"))
        _INSERT.run_many(db, [_key("b@example.com", "p2"), _key("b@example.com", "p3")])
        assert [row.profile_id for row in _HOLDERS.all(db, {"value": "a@example.com"})] == ["p1"]
        # a statement run through SQLAlchemy has its rows (it looks at its answer as soon as it is sent)
        rows = db.execute(select(profile_keys.c.profile_id).where(profile_keys.c.key_value == "b@example.com")
                          .order_by(profile_keys.c.profile_id)).all()
        assert [row.profile_id for row in rows] == ["p2", "p3"]
        _INSERT.run(db, _key("c@example.com"))  # sent last, answered when the block ends
    with database.transaction(write=False) as db:
        assert len(db.execute(select(profile_keys)).all()) == 4


def test_a_write_that_fails_raises_by_the_end_of_the_block_and_nothing_stays(database: Database) -> None:
    # the driver's own error, which differs by backend
    with pytest.raises(Exception) as raised, database.transaction() as db, pipelined(db):
        _INSERT.run(db, _key("a@example.com"))
        _INSERT.run(db, _key("a@example.com"))  # the same row again
    assert database.refused(raised.value)  # the database's refusal (a unique key), not a broken pipeline
    with database.transaction(write=False) as db:
        assert db.execute(select(profile_keys)).all() == []
    with database.transaction() as db, pipelined(db):  # the connection goes on to serve others
        _INSERT.run(db, _key("a@example.com"))
    with database.transaction(write=False) as db:
        assert len(db.execute(select(profile_keys)).all()) == 1


def test_lookups_sent_together_answer_each_in_order(database: Database) -> None:
    with database.transaction() as db, pipelined(db):
        _INSERT.run_many(db, [_key("a@example.com"), _key("b@example.com", "p2"), _key("b@example.com", "p3")])
        answers = _HOLDERS.all_each(db, [{"value": value} for value in
                                         ("b@example.com", "none@example.com", "a@example.com")])
        assert [sorted(row.profile_id for row in rows) for rows in answers] == [["p2", "p3"], [], ["p1"]]
    with database.transaction(write=False) as db:  # outside a pipelined block too
        assert [len(rows) for rows in _HOLDERS.all_each(db, [{"value": "a@example.com"}] * 3)] == [1, 1, 1]
        assert _HOLDERS.all_each(db, []) == []
