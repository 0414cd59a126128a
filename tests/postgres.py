"""Throwaway databases on the local PostgreSQL server, for the tests and the scale-out benchmark."""

from __future__ import annotations

import os
import uuid

POSTGRES_ADMIN_URL = os.environ.get("PROFILESTACK_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=2):
            return True
    except Exception:
        return False


class PostgresDatabase:
    """A throwaway database on the local PostgreSQL server."""

    def __init__(self) -> None:
        import psycopg

        self.name = f"profilestack_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{self.name}"')
        base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
        self.url = f"{base}/{self.name}"

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def end_sessions(self) -> int:
        """Ends every session connected to the database, as a restart of the server would; how many there were."""
        import psycopg

        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
            ended = connection.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                                       [self.name]).fetchall()
        return len(ended)
