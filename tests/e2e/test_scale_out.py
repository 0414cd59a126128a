"""Several server and worker processes on one PostgreSQL database: every event handled exactly once."""

from __future__ import annotations

import json
import random
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import Server, require_postgres
from tests.e2e.cli import PROFILESTACK
from tests.e2e.identities import unique
from tests.e2e.test_event_triggers import Scenario
from tests.e2e.waiting import wait_for
from tests.postgres import PostgresDatabase


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    require_postgres()
    database = PostgresDatabase()
    servers = [Server(data_dir=tmp_path_factory.mktemp(f"node{index}"), db_url=database.url,
                      backend="postgresql") for index in range(2)]
    worker = None
    try:
        for server in servers:
            server.start()
        worker = subprocess.Popen([*PROFILESTACK, "worker", "--db", database.url],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        yield servers
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=15)
        for server in servers:
            server.stop()
        database.drop()


def test_events_from_two_servers_and_three_workers_arrive_exactly_once(cluster) -> None:
    first, second = cluster
    scenario = Scenario(first)
    scenario.trigger()
    nodes = [scenario.via(server) for server in cluster]
    for index in range(40):
        nodes[index % 2].put(f"o-{index}", f"customer{index}@example.com", "abandoned")
    wait_for(lambda: len(scenario.received()) >= 40, timeout=30, interval=0.2)
    time.sleep(1.0)  # a duplicate would show up now
    received = scenario.received()
    assert len(received) == 40
    assert len({item["clientToken"] for item in received}) == 40
    assert len({item["profileId"] for item in received}) == 40
    assert second.client("connectcampaignsv2").get_campaign_state(id=scenario.campaign["id"])["state"] == "Running"


def test_one_customers_objects_at_once_make_one_profile_and_keep_its_period_limit(cluster) -> None:
    scenario = Scenario(cluster[0])
    scenario.trigger(EventTriggerLimits={"Periods": [{"Unit": "HOURS", "Value": 1, "MaxInvocationsPerProfile": 2}]})
    nodes = [scenario.via(server) for server in cluster]
    with ThreadPoolExecutor(8) as pool:  # one customer's objects, through both servers, all at once
        list(pool.map(lambda index: nodes[index % 2].put(f"o-{index}", "same@example.com", "abandoned"), range(30)))
    found = scenario.profiles.search_profiles(DomainName=scenario.domain, KeyName="_email",
                                              Values=["same@example.com"])["Items"]
    assert len(found) == 1  # not one profile per server that saw the customer first
    wait_for(lambda: scenario.metric("TriggerEvaluations") >= 30, timeout=30, interval=0.3)
    time.sleep(1.0)
    assert len(scenario.received()) == 2
    assert scenario.metric("TriggerInvocations") == 2
    assert scenario.metric("ThrottledInvocations") == 28


def test_layouts_made_the_default_at_once_leave_one_default(cluster) -> None:
    clients = [server.client("customer-profiles") for server in cluster]
    domain = unique("layouts")
    clients[0].create_domain(DomainName=domain, DefaultExpirationDays=30)

    def create(index: int) -> None:
        clients[index % 2].create_domain_layout(
            DomainName=domain, LayoutDefinitionName=f"layout{index}", Description="d", DisplayName="Layout",
            LayoutType="PROFILE_EXPLORER", Layout="{}", IsDefault=True)

    with ThreadPoolExecutor(8) as pool:  # through both servers, all at once
        list(pool.map(create, range(16)))
    items = clients[1].list_domain_layouts(DomainName=domain)["Items"]
    assert len(items) == 16 and sum(item["IsDefault"] for item in items) == 1


def test_servers_started_together_on_a_new_database_all_come_up(tmp_path) -> None:
    require_postgres()
    database = PostgresDatabase()
    servers = [Server(data_dir=tmp_path / f"node{index}", db_url=database.url, backend="postgresql")
               for index in range(3)]
    for server in servers:
        server.data_dir.mkdir()
    try:
        with ThreadPoolExecutor(3) as pool:  # each migrates the empty database at start
            list(pool.map(lambda server: server.start(), servers))
        for server in servers:
            assert server.client("sts").get_caller_identity()["Account"] == "000000000000"
    finally:
        for server in servers:
            server.stop()
        database.drop()


def test_deleting_while_objects_come_in_never_answers_a_server_error(cluster) -> None:
    """Domains and object types deleted and made again while objects come in, in batches, and searches read them,
    through both servers: no deadlock between them, and rows deleted under a call are no 500."""
    domain = unique("churn")
    fields = {"email": {"Source": "_source.email", "Target": "_profile.EmailAddress"}, "id": {"Source": "_source.id"}}
    keys = {"_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}],
            "orderId": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}]}

    def objects(rng: random.Random) -> list[dict]:
        return [{"Id": str(item), "Object": json.dumps({"email": f"c{rng.randrange(4)}@example.com",
                                                        "id": f"o{rng.randrange(10)}"})} for item in range(3)]

    def churn(seed: int) -> list[str]:
        rng = random.Random(seed)
        profiles = cluster[seed % 2].client("customer-profiles", config=Config(retries={"total_max_attempts": 1}))
        calls = [lambda: profiles.create_domain(DomainName=domain, DefaultExpirationDays=5),
                 lambda: profiles.delete_domain(DomainName=domain),
                 lambda: profiles.put_profile_object_type(DomainName=domain, ObjectTypeName="Order", Description="o",
                                                          AllowProfileCreation=True, Fields=fields, Keys=keys),
                 lambda: profiles.delete_profile_object_type(DomainName=domain, ObjectTypeName="Order"),
                 *[lambda: profiles.batch_put_profile_object(DomainName=domain, ObjectTypeName="Order",
                                                             Items=objects(rng))] * 4,
                 *[lambda: profiles.search_profiles(DomainName=domain, KeyName="_email",
                                                    Values=[f"c{rng.randrange(4)}@example.com"])] * 2]
        errors = []
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            try:
                rng.choice(calls)()
            except ClientError as error:
                if error.response["ResponseMetadata"]["HTTPStatusCode"] >= 500:
                    errors.append(f"{error.operation_name}: {error.response['Error']}")
        return errors

    with ThreadPoolExecutor(10) as pool:
        errors = [error for found in pool.map(churn, range(10)) for error in found]
    assert errors == []
    assert all("Traceback" not in server.logs() for server in cluster)
