"""A database out of reach: at start, every command stops with one line saying which and why; a PostgreSQL server
that drops every connection (a restart, a failover) has profilestack serve on through new ones, lose no audit
event, and say so in its log in a line, not in tracebacks. A database out of room (its disk full) fails writes as
an internal failure, said in the log now and then; while audit events cannot be stored, calls are refused past a
bound rather than served unrecorded."""

from __future__ import annotations

import json
import re
import sqlite3
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.config import Config
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


def calls_failed_in_the_log(log: str, phrase: str) -> int:
    """How many calls the log's lines containing ``phrase`` stand for: one each, and the count of those it said
    once for many (logs.Recurring)."""
    lines = [line for line in log.splitlines() if phrase in line]
    return len(lines) + sum(int(count) for line in lines
                            for count in re.findall(r"\(and (\d+) more like it since this was last logged\)", line))


def test_a_full_database_fails_writes_with_a_500_said_in_a_line_now_and_then(tmp_path) -> None:
    server = Server(data_dir=tmp_path)
    server.start()
    pages = server.read("PRAGMA page_count")[0]
    server.stop()
    server.extra_env["PROFILESTACK_TEST_DATABASE_PAGES"] = str(pages + 60)  # as a disk that fills up
    server.start()
    try:
        profiles = server.client("customer-profiles", config=Config(retries={"max_attempts": 1}))
        profiles.create_domain(DomainName="full", DefaultExpirationDays=30)
        failures = []
        for index in range(2000):
            try:
                profiles.create_profile(DomainName="full", FirstName=f"n{index}", AdditionalInformation="x" * 900)
            except ClientError as error:
                failures.append(error.response)
                if len(failures) == 20:
                    break
        assert len(failures) == 20, "the database never filled up"
        assert {(failure["ResponseMetadata"]["HTTPStatusCode"], failure["Error"]["Code"],
                 failure["Error"]["Message"]) for failure in failures} == {
            (500, "InternalFailure", "An internal error occurred.")}  # nothing of the server's own on the wire
        assert profiles.get_domain(DomainName="full")["DomainName"] == "full"  # reads are served on
        log = server.logs()
        said = "customer-profiles:CreateProfile failed: the database is short of room (database or disk is full)"
        assert said in log
        assert calls_failed_in_the_log(log, said) <= 20
        assert log.count(said) < 5  # one line now and then, not one per call: 628,510 lines on a full disk before
        assert "Traceback" not in log and "unexpected failure" not in log
    finally:
        server.stop()
    assert "audit events were never stored: the database could not take them before the server stopped" in \
        server.logs()


def test_calls_are_refused_while_the_audit_trail_cannot_be_stored(tmp_path) -> None:
    waiting_at_most = 15
    server = Server(data_dir=tmp_path, extra_env={"PROFILESTACK_AUDIT_MAX_WAITING": str(waiting_at_most)})
    server.start()
    try:
        sts = server.client("sts", config=Config(retries={"max_attempts": 1}))
        sts.get_caller_identity()
        blocker = sqlite3.connect(tmp_path / "profilestack.db", isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # the audit writer waits for SQLite's write lock meanwhile
        answered, refused = [], []
        try:
            for _ in range(waiting_at_most * 3):
                try:
                    answered.append(sts.get_caller_identity()["ResponseMetadata"]["RequestId"])
                except ClientError as error:
                    refused.append(error.response)
                time.sleep(0.01)
            health = urllib.request.urlopen(server.endpoint + "/_profilestack/health")
        except urllib.error.HTTPError as error:
            health = error
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert health.status == 503
        assert json.loads(health.read())["reason"].endswith(
            "audit events wait for the database to store them; calls are refused until it has.")
        assert refused, "no call was refused"
        assert waiting_at_most <= len(answered) <= waiting_at_most + 32  # those the writer had taken, and the cap
        assert {(failure["ResponseMetadata"]["HTTPStatusCode"], failure["Error"]["Code"]) for failure in refused} \
            == {(503, "ServiceUnavailable")}
        wait_for(lambda: _served(sts))  # the writer stored what waited: calls are taken again
        cloudtrail = server.client("cloudtrail")
        recorded = {event_id for page in cloudtrail.get_paginator("lookup_events").paginate(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetCallerIdentity"}])
            for event in page["Events"] for event_id in [json.loads(event["CloudTrailEvent"])["requestID"]]}
        assert set(answered) <= recorded  # every call answered was recorded, none lost while they waited
        assert "refusing calls: 15 audit events wait for the database to store them" in server.logs()
    finally:
        server.stop()


def _served(sts) -> bool:
    try:
        sts.get_caller_identity()
    except ClientError:
        return False
    return True


@pytest.mark.parametrize("command", [["serve", "--port", "1"], ["serve", "--port", "1", "--workers", "2"],
                                     ["worker"]])
def test_a_database_that_takes_no_writes_stops_a_server_with_one_line(tmp_path, command: list[str]) -> None:
    """A read-only database (here a PostgreSQL one whose transactions are read-only, as a standby's are; a
    read-only SQLite file or mount alike) is said before the server says it listens: its first write came after,
    and failed in a traceback."""
    require_postgres()
    import psycopg

    from tests.postgres import POSTGRES_ADMIN_URL

    database = PostgresDatabase()
    try:
        assert profilestack("migrate", "--db", database.url, cwd=tmp_path).returncode == 0
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{database.name}" SET default_transaction_read_only = on')
        answer = profilestack(*command, "--db", database.url, cwd=tmp_path)
        assert (answer.returncode, answer.stderr.strip()) == (
            1, f"profilestack: error: cannot open the database {database.url}: it takes no writes here "
               "(cannot execute UPDATE in a read-only transaction)")
        assert "listening on" not in answer.stdout
    finally:
        database.drop()
