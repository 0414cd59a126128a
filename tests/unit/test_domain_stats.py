"""GetDomain's counters: recorded as changes, exact before and after they are folded into the domain's row."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from sqlalchemy import func, select

from profilestack.services.profiles import domain_stats
from profilestack.services.profiles.tables import profile_domain_stat_changes, profile_domains
from profilestack.store.database import Database
from tests.unit.domains import insert_domain

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _domain(database: Database, name: str) -> int:
    with database.transaction() as db:
        return insert_domain(db, name).id


def _counts(database: Database, domain_id: int) -> tuple[tuple[int, int, int], int]:
    """The counters GetDomain shows, and how many changes are still waiting to be folded."""
    with database.transaction(write=False) as db:
        row = db.execute(select(profile_domains).where(profile_domains.c.id == domain_id)).one()
        waiting = db.execute(select(func.count()).select_from(profile_domain_stat_changes)).scalar()
        return domain_stats.counts(db, row), waiting


def test_counters_are_exact_before_and_after_folding(database: Database) -> None:
    first, second = _domain(database, "first"), _domain(database, "second")
    with database.transaction() as db:
        domain_stats.adjust(db, first, profiles=2, objects=3, size=300)
        domain_stats.adjust(db, second, objects=1, size=10)
    with database.transaction() as db, domain_stats.batched(db):  # many changes, one row
        for _ in range(5):
            domain_stats.adjust(db, first, objects=-1, size=-50)
    assert _counts(database, first) == ((2, -2, 50), 3)
    domain_stats.fold(SimpleNamespace(database=database), {})
    assert _counts(database, first) == ((2, -2, 50), 0)
    assert _counts(database, second) == ((0, 1, 10), 0)
    with database.transaction() as db:
        domain_stats.adjust(db, first, profiles=1)
    assert _counts(database, first) == ((3, -2, 50), 1)


def test_a_rolled_back_change_never_counts(database: Database) -> None:
    domain = _domain(database, "rolled-back")
    try:
        with database.transaction() as db:
            domain_stats.adjust(db, domain, profiles=1)
            raise RuntimeError("the call failed")
    except RuntimeError:
        pass
    domain_stats.fold(SimpleNamespace(database=database), {})
    assert _counts(database, domain) == ((0, 0, 0), 0)


def test_a_deleted_domain_takes_its_unfolded_changes_along(database: Database) -> None:
    domain = _domain(database, "deleted")
    with database.transaction() as db:
        domain_stats.adjust(db, domain, profiles=4)
        domain_stats.forget(db, domain)
    with database.transaction(write=False) as db:
        assert db.execute(select(func.count()).select_from(profile_domain_stat_changes)).scalar() == 0
