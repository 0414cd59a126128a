"""A migrated database on each backend, for tests of the storage layer and the code right above it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from profilestack.store.database import Database


@pytest.fixture
def database(backend: str, tmp_path) -> Iterator[Database]:
    if backend == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'store.db'}")
        db.migrate()
        yield db
        db.dispose()
        return
    from tests.postgres import PostgresDatabase

    postgres = PostgresDatabase()
    db = Database(postgres.url)
    db.migrate()
    try:
        yield db
    finally:
        db.dispose()
        postgres.drop()
