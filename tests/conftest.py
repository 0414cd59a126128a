"""Shared fixtures: a real profilestack server process per storage backend, and boto3 clients for it."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from botocore.config import Config
from sqlalchemy import create_engine, text

from profilestack.store.engine import sqlite_url
from profilestack.testing import LocalServer
from tests.postgres import POSTGRES_ADMIN_URL, PostgresDatabase, postgres_available

REQUIRE_POSTGRES = os.environ.get("PROFILESTACK_REQUIRE_POSTGRES") == "1"


@dataclass
class Server(LocalServer):
    """A running ``profilestack serve`` process (profilestack.testing, as other projects' tests use it), on a
    storage ``backend``, with what the tests look at beyond the API: its database and its log."""

    backend: str = "sqlite"

    def __post_init__(self) -> None:
        self.extra_env = {"PROFILESTACK_LOG_LEVEL": "info", "PROFILESTACK_TEST_READ_ONLY_CHECKS": "true",
                          "PROFILESTACK_TEST_ANSWER_CHECKS": "true",
                          **(self.extra_env or {})}
        super().__post_init__()

    @property
    def database_url(self) -> str:
        return self.db_url or sqlite_url(self.data_dir)

    def read(self, sql: str, **params: object) -> list:
        """The first column of a query on the server's database: what its tables hold, beyond what the API shows."""
        return [row[0] for row in self.rows(sql, **params)]

    def rows(self, sql: str, **params: object) -> list:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                return list(connection.execute(text(sql), params))
        finally:
            engine.dispose()

    def diagnosis(self) -> str:
        """What the server is doing now, for a failed test's report: every thread's stack (its SIGUSR1 dump), the
        outbox tasks not done yet, the last ones finished and, on PostgreSQL, the other sessions on its database."""
        parts = []
        if self.process is not None and self.process.poll() is None:
            logged = len(self.logs())
            self.process.send_signal(signal.SIGUSR1)
            time.sleep(0.5)
            parts.append("threads:\n" + self.logs()[logged:])
        parts.append(self._listing("outbox tasks not done (id, kind, available_at, claimed_until, attempts, "
                                   "last_error)", "SELECT id, kind, available_at, claimed_until, attempts, last_error "
                                   "FROM outbox WHERE status = 'pending' ORDER BY id"))
        parts.append(self._listing("the last outbox tasks finished (id, kind, status, created_at, available_at, "
                                   "finished_at)", "SELECT id, kind, status, created_at, available_at, finished_at "
                                   "FROM outbox WHERE status <> 'pending' ORDER BY id DESC LIMIT 30"))
        if self.backend == "postgresql":
            parts.append(self._listing("database sessions (pid, state, waiting for, in transaction for, query)",
                                       "SELECT pid, state, wait_event_type, wait_event, now() - xact_start, "
                                       "left(query, 200) FROM pg_stat_activity WHERE datname = current_database() "
                                       "AND pid <> pg_backend_pid()"))
        return "\n\n".join(parts)

    def _listing(self, title: str, sql: str) -> str:
        """A query's rows under ``title``, one line each."""
        return f"{title}:\n" + "\n".join(", ".join(map(str, row)) for row in self.rows(sql))

    def logs(self) -> str:
        return "".join(path.read_text() for path in sorted(self.data_dir.glob("server-*.log")))

    def client(self, service: str, region: str = "us-east-1", **kwargs) -> object:
        """Without retries: a test sees the first answer."""
        kwargs["config"] = kwargs.get("config") or Config(retries={"total_max_attempts": 1})
        return super().client(service, region, **kwargs)


BACKENDS = ["sqlite", "postgresql"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """A failed test's report also shows what each server it used was doing at the time (Server.diagnosis): a
    wait that ran out is otherwise a bare "condition not met in time"."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    for value in getattr(item, "funcargs", {}).values():
        for server in value if isinstance(value, tuple) else (value,):
            if isinstance(server, Server):
                try:
                    diagnosis = server.diagnosis()
                except Exception as error:  # never in the way of the failure itself
                    diagnosis = f"no diagnosis: {error!r}"
                report.sections.append((f"server {server.endpoint} ({server.backend}) after the failure", diagnosis))


def require_postgres(why: str = "") -> None:
    """Skip the test when no PostgreSQL answers (fail it when CI requires one); ``why`` says what it needs it for."""
    if not postgres_available():
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required but not reachable at {POSTGRES_ADMIN_URL}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}{why}")


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        require_postgres()
    return request.param


# A second account every test server has, whose root signs with this key pair (cross-account tests)
OTHER_ACCOUNT, OTHER_ROOT_KEY, OTHER_ROOT_SECRET = "222233334444", "OTHERROOT", "other-root-secret"


@contextmanager
def server_on(backend: str, data_dir: Path, **env: str) -> Iterator[Server]:
    """A running server on ``backend``: SQLite in ``data_dir``, or a fresh PostgreSQL database, dropped after;
    started with extra ``PROFILESTACK_*`` settings (and the second account)."""
    database = PostgresDatabase() if backend == "postgresql" else None
    env = {"PROFILESTACK_ACCOUNTS": f"{OTHER_ACCOUNT}:{OTHER_ROOT_KEY}:{OTHER_ROOT_SECRET}", **env}
    instance = Server(data_dir=data_dir, db_url=database.url if database else None, extra_env=env, backend=backend)
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()
        if database is not None:
            database.drop()


@pytest.fixture(scope="session")
def shared_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Server]]:
    """The test process's one server per backend, started when first asked for and stopped at the session's end.

    ``server`` takes its instance from here rather than starting it: pytest tears a session fixture down whenever
    its parameter changes, and test files run in parallel processes (``--dist loadfile``) each alternate between
    the backends, which would start both servers anew for every file."""
    with ExitStack() as stack:
        running: dict[str, Server] = {}

        def server_for(backend: str) -> Server:
            if backend not in running:
                data_dir = tmp_path_factory.mktemp(f"server-{backend}")
                running[backend] = stack.enter_context(server_on(backend, data_dir))
            return running[backend]

        yield server_for


@pytest.fixture(scope="session")
def server(backend: str, shared_servers: Callable[[str], Server]) -> Server:
    return shared_servers(backend)


@pytest.fixture
def client(server: Server) -> Callable[..., object]:
    return server.client


@contextmanager
def dedicated_server(data_dir: Path, **env: str) -> Iterator[Server]:
    """A SQLite server of a test's own, started with extra ``PROFILESTACK_*`` settings."""
    with server_on("sqlite", data_dir, **env) as instance:
        yield instance


def narrowed_policy_server(data_dir: Path, policy_arn: str, document: dict) -> Iterator[Server]:
    """A server where an AWS managed policy's default version is replaced (PROFILESTACK_TEST_POLICY_OVERRIDES)."""
    overrides = data_dir / "policies.json"
    overrides.write_text(json.dumps({policy_arn: document}))
    with dedicated_server(data_dir, PROFILESTACK_TEST_POLICY_OVERRIDES=str(overrides)) as instance:
        yield instance


@pytest.fixture(scope="module")
def clocked_server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    """A server whose clock the test moves forward by writing seconds to the returned file."""
    data_dir = tmp_path_factory.mktemp(f"clocked-{backend}")
    offset = data_dir / "clock-offset"
    offset.write_text("0")
    with server_on(backend, data_dir, PROFILESTACK_CLOCK_OFFSET_FILE=str(offset)) as instance:
        yield instance, offset
