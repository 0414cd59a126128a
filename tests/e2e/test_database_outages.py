"""A database out of reach: at start, every command stops with one line saying which and why; a PostgreSQL server
that drops every connection (a restart, a failover) has profilestack serve on through new ones, lose no audit
event, and say so in its log in a line, not in tracebacks."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from profilestack.testing import free_port
from tests.conftest import Server, require_postgres
from tests.e2e.cli import profilestack
from tests.e2e.identities import unique
from tests.e2e.waiting import wait_for
from tests.postgres import PostgresDatabase

IDLE_PING_SECONDS = 1.0  # a pooled connection idle longer is checked before use (store/engine.py)


@pytest.mark.parametrize("command", [["serve", "--port", "1"], ["worker"], ["migrate"],
                                     ["load", "shop", "orders.jsonl", "--object-type", "Order"]])
def test_a_database_out_of_reach_stops_a_command_with_one_line(tmp_path, command: list[str]) -> None:
    port = free_port()  # nothing listens there
    answer = profilestack(*command, "--db", f"postgresql+psycopg://admin:s3cret@127.0.0.1:{port}/profiles",
                          cwd=tmp_path)
    assert answer.returncode == 1
    assert answer.stderr.strip().splitlines()[-1].startswith(
        f"profilestack: error: cannot open the database postgresql+psycopg://admin:***@127.0.0.1:{port}/profiles: "
    ), answer.stderr
    assert "Connection refused" in answer.stderr
    assert "Traceback" not in answer.stderr and "s3cret" not in answer.stderr + answer.stdout


@pytest.mark.parametrize(("url", "said"), [
    ("nonsense", "db: nonsense is not a database URL"),
    ("mysql://root:s3cret@127.0.0.1/test", "db: profilestack keeps its data in SQLite or PostgreSQL, not mysql"),
    ("postgresql+psycopg2://admin:s3cret@127.0.0.1/profiles",
     "db: the driver postgresql+psycopg2 is not installed here"),
])
def test_a_database_url_profilestack_cannot_use_stops_a_command_with_one_line(tmp_path, url: str, said: str) -> None:
    answer = profilestack("migrate", "--db", url, cwd=tmp_path)
    assert answer.returncode == 1
    assert answer.stderr.strip() == f"profilestack: error: {said}; use sqlite:////path/to/profilestack.db or " \
                                    "postgresql+psycopg://user[:password]@host:port/database"  # before, a traceback
    assert "s3cret" not in answer.stderr + answer.stdout


def test_a_postgres_url_as_hosting_platforms_write_it_is_taken(tmp_path) -> None:
    require_postgres()
    database = PostgresDatabase()
    try:
        url = database.url.replace("postgresql+psycopg://", "postgres://", 1)
        answer = profilestack("migrate", "--db", url, cwd=tmp_path)
        assert answer.returncode == 0, answer.stderr  # before, SQLAlchemy knew no "postgres" dialect
        answer = profilestack("load", "nowhere", "orders.jsonl", "--object-type", "Order", "--db", url, cwd=tmp_path)
        assert "no domain nowhere" in answer.stderr and "(in the database postgresql+psycopg://" in answer.stderr
    finally:
        database.drop()


def test_a_data_directory_that_cannot_be_made_stops_the_server_with_one_line(tmp_path) -> None:
    taken = tmp_path / "taken"
    taken.write_text("a file, not a directory")
    answer = profilestack("serve", "--port", "1", "--data-dir", str(taken), timeout=60)
    database = f"sqlite:///{taken.resolve()}/profilestack.db"
    assert (answer.returncode, answer.stderr.strip()) == (
        1, f"profilestack: error: cannot open the database {database}: the data directory {taken} cannot be made: "
           "File exists")


@pytest.fixture
def own_database(tmp_path):
    require_postgres()
    database = PostgresDatabase()
    server = Server(data_dir=tmp_path, db_url=database.url, backend="postgresql")
    server.start()
    try:
        yield server, database
    finally:
        server.stop()
        database.drop()


def test_connections_dropped_under_load_are_replaced_and_no_event_is_lost(own_database) -> None:
    server, database = own_database
    iam = server.client("iam")
    prefix = unique("restart")

    def create(index: int) -> str | None:
        """The user's name when made; None when the call met a dropped connection (answered as AWS answers an
        internal failure: a 500 the SDKs retry, with no trace of the server's code)."""
        name = f"{prefix}-{index}"
        try:
            iam.create_user(UserName=name)
        except ClientError as error:
            response = error.response
            assert (response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]) == (
                500, "InternalFailure"), response
            assert "Traceback" not in response["Error"]["Message"]
            return None
        return name

    numbers = iter(range(100_000))
    ended_at: list[float] = []

    def keep_creating() -> list[str | None]:
        """Users made one after another until half a second after the sessions end."""
        outcomes = []
        while not ended_at or time.monotonic() < ended_at[0] + 0.5:
            outcomes.append(create(next(numbers)))
        return outcomes

    with ThreadPoolExecutor(4) as pool:
        clients = [pool.submit(keep_creating) for _ in range(4)]
        time.sleep(0.3)
        assert database.end_sessions() > 0
        ended_at.append(time.monotonic())
        outcomes = [outcome for client in clients for outcome in client.result()]
    assert None in outcomes  # some calls met a dropped connection: what this test is about
    made = [name for name in outcomes if name]
    time.sleep(IDLE_PING_SECONDS + 0.2)
    made.append(create(1000))
    assert made[-1] is not None, "the server did not take new connections"
    listed = {user["UserName"] for page in iam.get_paginator("list_users").paginate() for user in page["Users"]}
    assert set(made) <= listed

    cloudtrail = server.client("cloudtrail")

    def recorded() -> set[str]:
        events = [event for page in cloudtrail.get_paginator("lookup_events").paginate(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateUser"}]) for event in
            page["Events"]]
        return {resource["ResourceName"] for event in events for resource in event.get("Resources", [])}

    wait_for(lambda: {f"arn:aws:iam::000000000000:user/{name}" for name in made} <= recorded())
    log = server.logs()
    assert "Exception during reset" not in log  # a lost connection is dropped, not handed back to the pool
    assert "outbox worker pass failed\nTraceback" not in log
    assert "iam:CreateUser failed: the database is out of reach" in log  # said in one line per call that met it
    assert "unexpected failure in iam:CreateUser" not in log
