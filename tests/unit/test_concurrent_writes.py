"""Writes that race with each other on a shared database (PostgreSQL runs requests and tasks on threads), what a
process remembers of them, and what a read under way sees of them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import Connection, Row, delete, func, insert, select

from profilestack.gateway.errors import AwsError
from profilestack.runtime import Ids, SystemClock
from profilestack.services.cloudtrail.event_data_stores import MOST_STORES, create_event_data_store
from profilestack.services.cloudtrail.tables import cloudtrail_event_data_stores
from profilestack.services.cloudwatch.handlers import put_metric_data
from profilestack.services.cloudwatch.metrics import MetricIds
from profilestack.services.cloudwatch.tables import cloudwatch_metrics
from profilestack.services.profiles import profile_store as store
from profilestack.services.profiles.objects import ingest, ingest_batch
from profilestack.services.profiles.profile_operations import add_profile_key, create_profile, merge_profiles
from profilestack.services.profiles.tables import (
    profile_domains,
    profile_history_records,
    profile_keys,
    profile_objects,
    profiles_table,
)
from profilestack.store.database import Database
from profilestack.store.locks import domain_data_key, lock_for_transaction
from profilestack.store.resource_tags import resource_tags
from tests.unit.domains import insert_domain

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _context(connection) -> SimpleNamespace:
    """What PutMetricData reads of its call; each its own process's metric ids (nothing remembered yet)."""
    return SimpleNamespace(db=connection, account="000000000000", region="us-east-1",
                           app=SimpleNamespace(metric_ids=MetricIds()), principal=SimpleNamespace(invoked_by=None),
                           now=lambda: NOW, on_commit=lambda _hook: None)


def test_two_calls_creating_the_same_metric_both_succeed(database: Database) -> None:
    params = {"Namespace": "App", "MetricData": [{"MetricName": "Hits", "Value": 1.0}]}
    second_done = threading.Event()
    failures: list[BaseException] = []

    def second_call() -> None:
        try:
            with database.transaction() as connection:
                put_metric_data(_context(connection), params)
        except BaseException as error:
            failures.append(error)
        second_done.set()

    with database.transaction() as connection:
        put_metric_data(_context(connection), params)  # creates the metric, not yet committed
        racer = threading.Thread(target=second_call)
        racer.start()
        assert not second_done.wait(0.5)  # it waits for this transaction (PostgreSQL: on the unique key)
    racer.join(timeout=10)
    assert failures == []
    with database.transaction(write=False) as connection:
        assert connection.execute(select(func.count()).select_from(cloudwatch_metrics)).scalar() == 1


def test_a_transaction_lock_holds_others_off_until_it_ends(database: Database) -> None:
    order: list[str] = []

    def second() -> None:
        with database.transaction() as connection:
            lock_for_transaction(connection, "trigger-limits:1:t:p")
            order.append("second")

    with database.transaction() as connection:
        lock_for_transaction(connection, "trigger-limits:1:t:p")
        waiting = threading.Thread(target=second)
        waiting.start()
        waiting.join(timeout=0.5)
        assert waiting.is_alive()  # still waiting for the lock
        if database.backend == "postgresql":  # another key is free (SQLite: one writer at a time anyway)
            with database.transaction() as other:
                lock_for_transaction(other, "trigger-limits:1:t:q")
        order.append("first")
    waiting.join(timeout=10)
    assert order == ["first", "second"]


def test_a_metric_created_by_a_rolled_back_call_is_not_remembered(database: Database) -> None:
    metric_ids, hooks = MetricIds(), []

    def context(connection) -> SimpleNamespace:
        return SimpleNamespace(db=connection, account="000000000000", region="us-east-1", on_commit=hooks.append)

    with pytest.raises(RuntimeError), database.transaction() as connection:
        metric_ids.id_for(context(connection), "App", "Hits", None, NOW)
        raise RuntimeError("the call failed after creating the metric")
    hooks.clear()  # the gateway runs commit hooks only after a commit
    with database.transaction() as connection:
        created = metric_ids.id_for(context(connection), "App", "Hits", None, NOW)
    for hook in hooks:
        hook()
    with database.transaction(write=False) as connection:
        assert connection.execute(select(cloudwatch_metrics.c.id)).scalars().all() == [created]
        assert metric_ids.id_for(context(connection), "App", "Hits", None, NOW) == created


def test_a_deadlock_victim_and_a_lost_unique_key_are_races_worth_running_again(database: Database) -> None:
    if database.backend == "postgresql":  # two transactions taking two locks in opposite orders
        first_holds, errors = threading.Barrier(2), []

        def take(first: str, second: str) -> None:
            try:
                with database.transaction() as connection:
                    lock_for_transaction(connection, first)
                    first_holds.wait(timeout=5)
                    lock_for_transaction(connection, second)
            except Exception as error:
                errors.append(error)

        racers = [threading.Thread(target=take, args=keys) for keys in (("a", "b"), ("b", "a"))]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join(timeout=15)
        assert len(errors) == 1 and database.lost_race(errors[0])
    with pytest.raises(Exception) as duplicate, database.transaction() as connection:
        for _ in range(2):
            connection.execute(insert(cloudwatch_metrics).values(
                account_id="000000000000", region="us-east-1", namespace="App", metric_name="Twice",
                dimensions_key="", dimensions=[], last_put_at=NOW))
    assert database.lost_race(duplicate.value)
    assert not database.lost_race(RuntimeError("something else"))


def _insert_tag(db: Connection, key: str) -> None:
    """A tag on one resource, in the caller's transaction."""
    db.execute(insert(resource_tags).values(resource_arn="arn:tagged", key=key, value="v"))


def _tag(database: Database, key: str) -> None:
    """A tag on one resource, committed by a transaction of its own."""
    with database.transaction() as writer:
        _insert_tag(writer, key)


def _tag_keys(db: Connection) -> list[str]:
    return sorted(db.execute(select(resource_tags.c.key).where(resource_tags.c.resource_arn == "arn:tagged")).scalars())


def test_a_read_only_transaction_reads_one_snapshot(database: Database) -> None:
    """What commits while a read is under way stays out of it, on PostgreSQL as on SQLite; the next read sees it."""
    _tag(database, "first")
    with database.transaction(write=False) as reader:
        assert _tag_keys(reader) == ["first"]
        _tag(database, "second")  # committed by another connection meanwhile
        assert _tag_keys(reader) == ["first"]
    with database.transaction(write=False) as reader:
        assert _tag_keys(reader) == ["first", "second"]
    with database.transaction() as writer:  # writers see what is committed at each statement
        assert _tag_keys(writer) == ["first", "second"]


def test_a_read_without_a_snapshot_sees_each_commit_and_leaves_its_connection_transactional(
        database: Database) -> None:
    """``snapshot=False`` on PostgreSQL: each statement sees what was committed when it ran (autocommit, no BEGIN
    and COMMIT round trips); SQLite keeps its snapshot. Afterwards the pooled connection is a transaction's again:
    a write that fails after its first statement leaves nothing."""
    _tag(database, "first")
    with database.transaction(write=False, snapshot=False) as reader:
        assert _tag_keys(reader) == ["first"]
        _tag(database, "second")
        assert _tag_keys(reader) == (["first", "second"] if database.backend == "postgresql" else ["first"])
    for _ in range(3):  # whichever pooled connection the next transactions get
        with pytest.raises(RuntimeError), database.transaction() as writer:
            _insert_tag(writer, "third")
            raise RuntimeError("the call fails after its first write")
    with database.transaction(write=False) as reader:
        assert _tag_keys(reader) == ["first", "second"]


def test_a_read_without_a_snapshot_is_held_to_reading_in_tests(database_url: str) -> None:
    """The testing aid (read-only transactions refuse writes) holds for reads without a snapshot too, and goes
    with them: the next writer writes."""
    database = Database(database_url, read_only_checks=True)
    database.migrate()
    try:
        with pytest.raises(Exception, match=r"read-only|readonly"), \
                database.transaction(write=False, snapshot=False) as reader:
            reader.execute(insert(resource_tags).values(resource_arn="arn:refused", key="k", value="v"))
        for key in ("a", "b", "c"):
            with database.transaction() as writer:
                writer.execute(insert(resource_tags).values(resource_arn="arn:refused", key=key, value="v"))
        with database.transaction(write=False, snapshot=False) as reader:
            assert len(reader.execute(select(resource_tags.c.key)).all()) == 3
    finally:
        database.dispose()


def _racing_domain(database: Database) -> Row:
    with database.transaction() as connection:
        return insert_domain(connection, "racing")


def _while_the_domain_is_deleted(database: Database, domain: Row, write: Callable[[Connection], object]
                                 ) -> BaseException | object:
    """``write``'s outcome, run while DeleteDomain's first steps hold the domain's data lock and its row is
    deleted (the write reads the domain before that commits), once it has committed."""
    outcome: list[BaseException | object] = []

    def racer_work() -> None:
        try:
            with database.transaction() as connection:
                outcome.append(write(connection))
        except BaseException as error:
            outcome.append(error)

    with database.transaction() as connection:
        lock_for_transaction(connection, domain_data_key(domain.id))
        connection.execute(delete(profile_domains).where(profile_domains.c.id == domain.id))
        racer = threading.Thread(target=racer_work)
        racer.start()
        racer.join(timeout=0.5)
        assert racer.is_alive()  # waiting for the domain's data lock
    racer.join(timeout=10)
    assert len(outcome) == 1
    return outcome[0]


_DATA = (profiles_table, profile_keys, profile_objects, profile_history_records)
NOTHING_LEFT = {table.name: 0 for table in _DATA}


def _left_in(database: Database, domain: Row) -> dict[str, int]:
    with database.transaction(write=False) as connection:
        return {table.name: connection.execute(select(func.count()).select_from(table).where(
            table.c.domain_id == domain.id)).scalar() for table in _DATA}


def _refused_for_the_deleted_domain(outcome: BaseException | object) -> None:
    assert isinstance(outcome, AwsError), outcome
    assert outcome.code == "ResourceNotFoundException" and "racing" in outcome.message


@pytest.mark.parametrize("batched", [False, True], ids=["one", "batch"])
def test_an_object_put_while_its_domain_is_deleted_writes_nothing(database: Database, batched: bool) -> None:
    """The put (one object, or a batch: the loader's, BatchPutProfileObject's) read its domain before DeleteDomain
    committed, and waits for the domain's data lock meanwhile."""
    if database.backend != "postgresql":
        pytest.skip("SQLite has one writer: a put reads its domain inside its own write transaction")
    domain = _racing_domain(database)
    definition = {"AllowProfileCreation": True,
                  "Fields": {"phone": {"Source": "_source.phone", "Target": "_profile.PhoneNumber"}},
                  "Keys": {"_phone": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["phone"]}]}}
    text = '{"phone": "+15550100"}'

    def put(connection: Connection) -> object:
        if batched:
            (outcome,) = ingest_batch(connection, Ids(), SystemClock(), domain, "Calls", definition, [text])
            if isinstance(outcome, AwsError):
                raise outcome
            return outcome
        return ingest(connection, Ids(), domain, "Calls", definition, text, NOW)

    _refused_for_the_deleted_domain(_while_the_domain_is_deleted(database, domain, put))
    assert _left_in(database, domain) == NOTHING_LEFT


@pytest.mark.parametrize("operation", ["CreateProfile", "AddProfileKey", "MergeProfiles"])
def test_a_profile_written_while_its_domain_is_deleted_writes_nothing(database: Database, operation: str) -> None:
    """The call read its domain before DeleteDomain committed, and waits for the domain's data lock meanwhile."""
    if database.backend != "postgresql":
        pytest.skip("SQLite has one writer: a call reads its domain inside its own write transaction")
    domain = _racing_domain(database)
    with database.transaction() as connection:
        for profile_id in ("a" * 32, "b" * 32):
            store.create_profile(connection, domain.id, profile_id, {"FirstName": "Ada"}, NOW)
    handler, params = {
        "CreateProfile": (create_profile, {"FirstName": "Grace"}),
        "AddProfileKey": (add_profile_key, {"ProfileId": "a" * 32, "KeyName": "_account", "Values": ["A-1"]}),
        "MergeProfiles": (merge_profiles, {"MainProfileId": "a" * 32, "ProfileIdsToBeMerged": ["b" * 32]}),
    }[operation]
    before = _left_in(database, domain)

    def call(connection: Connection) -> object:
        ctx = SimpleNamespace(db=connection, account="000000000000", region="us-east-1", app=SimpleNamespace(
            ids=Ids()), principal=SimpleNamespace(arn="arn:aws:iam::000000000000:root"), now=lambda: NOW)
        return handler(ctx, {"DomainName": "racing", **params})

    _refused_for_the_deleted_domain(_while_the_domain_is_deleted(database, domain, call))
    assert _left_in(database, domain) == before  # what the purge will remove, and nothing more


def test_two_stores_made_for_the_last_place_of_a_region_are_not_both_made(database: Database) -> None:
    def make(connection: Connection, name: str) -> None:
        create_event_data_store(SimpleNamespace(db=connection, account="000000000000", region="us-east-1",
                                                now=lambda: NOW), {"Name": name})

    with database.transaction() as connection:
        for index in range(MOST_STORES - 1):
            make(connection, f"store-{index}")
    refusals: list[str] = []

    def second() -> None:
        try:
            with database.transaction() as connection:
                make(connection, "second")
        except AwsError as error:
            refusals.append(error.code)

    with database.transaction() as connection:
        make(connection, "first")  # the region's last place, not yet committed
        racer = threading.Thread(target=second)
        racer.start()
        racer.join(timeout=0.5)
        assert racer.is_alive()  # it waits to count until this call commits
    racer.join(timeout=10)
    assert refusals == ["EventDataStoreMaxLimitExceededException"]
    with database.transaction(write=False) as connection:
        assert connection.execute(select(func.count()).select_from(cloudtrail_event_data_stores)).scalar() == (
            MOST_STORES)
