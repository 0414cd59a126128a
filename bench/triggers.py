"""Ingestion-to-outbound-request latency of event triggers (issue 6's target: p50 < 20 ms, p99 < 100 ms at 500
matching objects/s on SQLite).

Matching objects are put at a fixed rate by a light raw-HTTP client (``bench/paced.py``: boto3 in client
threads could not offer more than ~200 objects/s on this machine); each outbound request the campaign
receives carries its object, so latency = the request's creation time - the moment the object was sent.
Also checks that none is lost or duplicated.

    .venv/bin/python -m bench.triggers [--rate 100] [--seconds 20] [--worker-process | --postgres]

``--postgres`` runs issue 6's scale-out check: two servers and two workers sharing one PostgreSQL database,
the load spread over both servers, nothing lost or duplicated.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from bench.paced import offer
from bench.profiles import signed_request
from bench.run import free_port, start
from tests.postgres import PostgresDatabase

DOMAIN = "bench"


def _client(port: int, service: str):
    return boto3.client(service, endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(max_pool_connections=64, retries={"total_max_attempts": 1}))


def _setup(port: int) -> dict:
    profiles, campaigns = _client(port, "customer-profiles"), _client(port, "connectcampaignsv2")
    profiles.create_domain(DomainName=DOMAIN, DefaultExpirationDays=30)
    profiles.put_profile_object_type(
        DomainName=DOMAIN, ObjectTypeName="Order", Description="orders", AllowProfileCreation=True,
        Fields={"id": {"Source": "_source.id"}, "status": {"Source": "_source.status"},
                "email": {"Source": "_source.email", "Target": "_profile.EmailAddress",
                          "ContentType": "EMAIL_ADDRESS"}},
        Keys={"orderId": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["id"]}],
              "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}]})
    campaign = campaigns.create_campaign(name="bench", connectInstanceId="instance", source={"eventTrigger": {
        "customerProfilesDomainArn": f"arn:aws:profile:us-east-1:000000000000:domains/{DOMAIN}"}})
    campaigns.start_campaign(id=campaign["id"])
    profiles.create_event_trigger(
        DomainName=DOMAIN, EventTriggerName="abandoned", ObjectTypeName="Order",
        EventTriggerLimits={"Periods": [{"Unit": "DAYS", "Value": 1, "Unlimited": True}]},
        EventTriggerConditions=[{"LogicalOperator": "ANY", "EventTriggerDimensions": [{"ObjectAttributes": [
            {"Source": "_source.status", "ComparisonOperator": "EQUAL", "Values": ["abandoned"]}]}]}])
    profiles.put_integration(DomainName=DOMAIN, Uri=campaign["arn"], EventTriggerNames=["abandoned"])
    return campaign


def _received(port: int, campaign_id: str) -> list[dict]:
    request = AWSRequest(method="GET",
                         url=f"http://127.0.0.1:{port}/_profilestack/campaigns/{campaign_id}/outbound-requests")
    SigV4Auth(Credentials("test", "test"), "connect-campaigns", "us-east-1").add_auth(request)
    with urllib.request.urlopen(urllib.request.Request(request.url, headers=dict(request.headers))) as answer:
        return json.loads(answer.read())["outboundRequests"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=int, default=100, help="matching objects per second")
    parser.add_argument("--seconds", type=int, default=20)
    layouts = parser.add_mutually_exclusive_group()
    layouts.add_argument("--worker-process", action="store_true",
                         help="evaluate triggers in a separate `profilestack worker` process instead of the server's")
    layouts.add_argument("--postgres", action="store_true",
                         help="two server processes and two worker processes on a throwaway PostgreSQL database "
                              "(PROFILESTACK_TEST_POSTGRES, default postgresql://postgres@127.0.0.1:5432/postgres); "
                              "load is spread over both servers")
    args = parser.parse_args()
    database = PostgresDatabase() if args.postgres else None
    storage = ["--db", database.url] if database else ["--data-dir", tempfile.mkdtemp(prefix="profilestack-bench-")]
    separate_workers = 2 if database else 1 if args.worker_process else 0
    processes: list[subprocess.Popen] = []
    try:
        ports = [free_port() for _ in range(2 if database else 1)]
        for port in ports:
            command = [sys.executable, "-m", "profilestack.cli", "serve", "--port", str(port), *storage]
            processes.append(start(command + (["--no-outbox-worker"] if separate_workers else []), port)[0])
        for _ in range(separate_workers):
            processes.append(subprocess.Popen([sys.executable, "-m", "profilestack.cli", "worker", *storage],
                                              stdout=subprocess.DEVNULL))
        campaign = _setup(ports[0])
        total = args.rate * args.seconds
        path = f"/domains/{DOMAIN}/profiles/objects"
        targets = [(port, dict(signed_request(port, path, {}, unsigned=True, method="PUT").headers.items()))
                   for port in ports]

        def body(index: int) -> bytes:
            obj = json.dumps({"id": f"o-{index}", "email": f"c{index}@example.com", "status": "abandoned"})
            return json.dumps({"ObjectTypeName": "Order", "Object": obj}).encode()

        sent_at, statuses, achieved = offer(targets, "PUT", path, body, total, args.rate)
        failed = sum(1 for status in statuses if status != 200)
        sent = {f"o-{index}": moment for index, moment in enumerate(sent_at)}
        deadline = time.monotonic() + 60
        received = _received(ports[0], campaign["id"])
        while len(received) < total and time.monotonic() < deadline:
            time.sleep(0.5)
            received = _received(ports[0], campaign["id"])
        time.sleep(1.0)  # a late duplicate would show up now
        received = _received(ports[0], campaign["id"])
        latencies = sorted(
            (datetime.fromisoformat(item["createdAt"]).timestamp()
             - sent[json.loads(item["eventTriggerContext"]["sourceEvent"])["id"]]) * 1000 for item in received)
        objects = [json.loads(item["eventTriggerContext"]["sourceEvent"])["id"] for item in received]
        p50 = statistics.median(latencies) if latencies else float("nan")
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else float("nan")
        layout = ("PostgreSQL, two server processes and two worker processes" if database
                  else "SQLite, a server process and a worker process" if args.worker_process
                  else "SQLite, one server process")
        print(f"{layout}; {total:,} matching objects offered at {args.rate}/s (achieved {achieved:,.0f}/s)")
        print(f"- PutProfileObject answers other than 200: {failed:,}")
        print(f"- outbound requests received: {len(received):,} (lost {total - len(set(objects)):,}, "
              f"duplicated {len(objects) - len(set(objects)):,})")
        print(f"- ingestion to outbound request: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
        if database is not None:
            database.drop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
