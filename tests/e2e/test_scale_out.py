"""Several server and worker processes on one PostgreSQL database: every event handled exactly once."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.conftest import REQUIRE_POSTGRES, Server, free_port
from tests.e2e.test_event_triggers import Scenario
from tests.e2e.waiting import wait_for
from tests.postgres import PostgresDatabase, postgres_available


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    if not postgres_available():
        if REQUIRE_POSTGRES:
            pytest.fail("PostgreSQL is required but not reachable")
        pytest.skip("PostgreSQL not reachable")
    database = PostgresDatabase()
    servers = [Server(f"http://127.0.0.1:{free_port()}", "postgresql", tmp_path_factory.mktemp(f"node{index}"),
                      database.url) for index in range(2)]
    worker = None
    try:
        for server in servers:
            server.start()
        worker = subprocess.Popen([sys.executable, "-m", "profilestack.cli", "worker", "--db", database.url],
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
