"""Databases on each backend, for tests of the storage layer and the code right above it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from profilestack.store.database import Database


@pytest.fixture
def database_url(backend: str, tmp_path) -> Iterator[str]:
    """An empty database (no schema yet) on the backend; a PostgreSQL one is dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    from tests.postgres import PostgresDatabase

    postgres = PostgresDatabase()
    try:
        yield postgres.url
    finally:
        postgres.drop()


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A migrated database on the backend."""
    db = Database(database_url)
    db.migrate()
    yield db
    db.dispose()


@pytest.fixture
def new_york(monkeypatch) -> Iterator[None]:
    """This process's time zone five hours behind UTC, as a self-hosted server's may be where its people are."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
