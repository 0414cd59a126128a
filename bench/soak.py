"""Memory over a long run: does the server's resident memory level off, or grow with what it is sent?

One server (SQLite in a temporary directory, or ``--postgres``), two phases:

- **junk**: ``--junk`` requests, every one different, refused before or at authentication: made-up access keys,
  signing names, regions, targets, actions, paths, origins and console cookies, on keep-alive connections. What
  the server keeps of a request it refuses must not add up.
- **varied**: ``--rounds`` rounds of real work by ever new principals: a user with an access key and an inline
  policy makes a profile in a new domain and searches for it, assumes a role whose session puts a metric and asks
  who it is; then the user and the domain are deleted (about fifteen calls a round). The server's caches of
  principals and domains are bounded: they must level off once full.

The resident memory of the server's processes is read after the first tenth of each phase (the baseline: caches
warm, the allocator's arenas grown) and at its end; the growth is given per 100,000 requests.

    .venv/bin/python -m bench.soak [--junk 300000] [--rounds 12000] [--postgres]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import string
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
from botocore.config import Config

from bench.profiles import rss_mb, storage_arguments
from bench.run import free_port, serve_command, start

ACCOUNT = "000000000000"
CALLS_PER_ROUND = 15
Request = tuple[str, str, dict[str, str], bytes]


def _junk(rng: random.Random) -> Iterator[Request]:
    """Endless requests, each with a made-up part the server must not keep."""

    def word(length: int = 12) -> str:
        return "".join(rng.choice(string.ascii_lowercase) for _ in range(length))

    def signed(key: str = "test", region: str = "us-east-1", service: str = "sts") -> dict[str, str]:
        return {"Authorization": f"AWS4-HMAC-SHA256 Credential={key}/20261207/{region}/{service}/aws4_request, "
                                 f"SignedHeaders=host;x-amz-date, Signature={'0' * 64}",
                "X-Amz-Date": "20261207T000000Z", "Content-Type": "application/x-www-form-urlencoded"}

    caller = b"Action=GetCallerIdentity&Version=2011-06-15"
    kinds: list[Callable[[], Request]] = [
        lambda: ("POST", "/", signed(service=word()), caller),
        lambda: ("POST", "/", signed(key="AKIA" + word(16).upper()), caller),
        lambda: ("POST", "/", signed(region=word()), caller),
        lambda: ("POST", "/", {**signed(), "X-Amz-Target": f"{word()}.{word()}"}, b"{}"),
        lambda: ("POST", "/", {**signed(), "X-Amz-Target": f"GraniteServiceVersion20100801.{word()}"}, b"{}"),
        lambda: ("POST", "/", signed(service="iam"), f"Action={word()}&Version=2010-05-08".encode()),
        lambda: ("GET", "/" + "/".join(word(5) for _ in range(3)), signed(service="profile"), b""),
        lambda: ("GET", f"/domains/{word()}", signed(service="profile"), b""),
        lambda: ("POST", f"/service/{word()}/operation/{word()}",
                 {**signed(service="monitoring"), "smithy-protocol": "rpc-v2-cbor"}, b""),
        lambda: ("GET", f"/?Action=GetCallerIdentity&X-Amz-Credential={word()}%2F20261207%2F{word()}%2F{word()}"
                        "%2Faws4_request", {}, b""),
        lambda: ("OPTIONS", "/", {"Origin": f"http://{word()}.example", "Access-Control-Request-Method": "POST"},
                 b""),
        lambda: ("POST", "/", {**signed(), "Origin": f"http://{word()}.example"}, caller),
        lambda: ("GET", f"/_profilestack/console/{word()}", {"Cookie": f"profilestack_session={word(40)}"}, b""),
    ]
    while True:
        yield rng.choice(kinds)()


def _send_junk(port: int, requests: Iterator[Request], count: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    for _ in range(count):
        method, path, headers, body = next(requests)
        try:
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            answer.read()
        except (http.client.HTTPException, OSError):
            connection.close()  # the server closed it (as for a request it will not read): a new one
            connection = http.client.HTTPConnection("127.0.0.1", port)
            continue
        if answer.status >= 500:
            raise RuntimeError(f"{method} {path} answered {answer.status}")


class _Rounds:
    """Rounds of real work, each by a new user, in a new domain, through a new role session."""

    def __init__(self, port: int) -> None:
        self.endpoint = f"http://127.0.0.1:{port}"
        self.iam, self.profiles = self.client("iam"), self.client("customer-profiles")
        allowed = ["sts:GetCallerIdentity", "sts:AssumeRole", "profile:CreateProfile", "profile:SearchProfiles",
                   "cloudwatch:PutMetricData"]
        self.policy = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": allowed, "Resource": "*"}]})
        trust = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]})
        self.role = self.iam.create_role(RoleName="soak", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        self.iam.put_role_policy(RoleName="soak", PolicyName="soak", PolicyDocument=self.policy)

    def client(self, service: str, key: str = "test", secret: str = "test", token: str | None = None) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1", aws_access_key_id=key,
                            aws_secret_access_key=secret, aws_session_token=token,
                            config=Config(retries={"max_attempts": 1}))

    def run(self, index: int) -> None:
        name = f"soak-{index}"
        self.iam.create_user(UserName=name)
        self.iam.put_user_policy(UserName=name, PolicyName="soak", PolicyDocument=self.policy)
        key = self.iam.create_access_key(UserName=name)["AccessKey"]
        as_user = {"key": key["AccessKeyId"], "secret": key["SecretAccessKey"]}
        self.profiles.create_domain(DomainName=name, DefaultExpirationDays=30)
        phone = f"+1555{index:07d}"
        user_profiles = self.client("customer-profiles", **as_user)
        user_profiles.create_profile(DomainName=name, PhoneNumber=phone)
        found = user_profiles.search_profiles(DomainName=name, KeyName="_phone", Values=[phone])["Items"]
        if len(found) != 1:
            raise RuntimeError(f"round {index}: the search found {len(found)} profiles")
        credentials = self.client("sts", **as_user).assume_role(RoleArn=self.role, RoleSessionName=name)[
            "Credentials"]
        as_session = {"key": credentials["AccessKeyId"], "secret": credentials["SecretAccessKey"],
                      "token": credentials["SessionToken"]}
        self.client("cloudwatch", **as_session).put_metric_data(Namespace=f"Soak/{index % 50}", MetricData=[
            {"MetricName": f"m{index}", "Value": 1.0, "Dimensions": [{"Name": "user", "Value": name}]}])
        self.client("sts", **as_session).get_caller_identity()
        self.profiles.delete_domain(DomainName=name)
        self.iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
        self.iam.delete_user_policy(UserName=name, PolicyName="soak")
        self.iam.delete_user(UserName=name)


def _phase(name: str, total: int, step: Callable[[int, int], None], rss: Callable[[], float],
           requests_per_unit: int) -> dict[str, float]:
    """``step(first, count)`` over ``total`` units in tenths; the resident memory after the first tenth and at
    the end."""
    tenth = max(1, total // 10)
    began = time.perf_counter()
    samples = []
    for first in range(0, total, tenth):
        step(first, min(tenth, total - first))
        samples.append(rss())
        print(f"  {name}: {first + min(tenth, total - first):,} of {total:,}, {samples[-1]:.1f} MB", file=sys.stderr)
    requests = total * requests_per_unit
    grown = samples[-1] - samples[0]
    return {"requests": requests, "seconds": time.perf_counter() - began, "start": samples[0], "end": samples[-1],
            "peak": max(samples), "per_100k": grown / max(1, requests - tenth * requests_per_unit) * 100_000}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--junk", type=int, default=300_000, help="junk requests")
    parser.add_argument("--rounds", type=int, default=12_000, help="rounds of real work (about 15 calls each)")
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL database instead of SQLite")
    args = parser.parse_args()
    port = free_port()
    with (tempfile.TemporaryDirectory(prefix="profilestack-soak-") as data_dir,
          storage_arguments(args.postgres) as storage):
        server, _ = start(serve_command(sys.executable, port, data_dir, storage=storage), port)
        try:
            rss = lambda: rss_mb(server.pid)  # noqa: E731
            started = rss()
            junk = _junk(random.Random(20261207))
            results = {}
            if args.junk:
                results["junk"] = _phase("junk", args.junk, lambda _first, count: _send_junk(port, junk, count), rss,
                                         1)
            rounds = _Rounds(port)

            def work(first: int, count: int) -> None:
                for index in range(first, first + count):
                    rounds.run(index)

            if args.rounds:
                results["varied"] = _phase("varied", args.rounds, work, rss, CALLS_PER_ROUND)
        finally:
            server.terminate()
            server.wait(timeout=30)
    where = "PostgreSQL" if args.postgres else "SQLite"
    lines = [f"Server resident memory over a long run ({where}; {started:.1f} MB once started):", "",
             "| phase | requests | requests/s | after the first tenth | at the end | peak | growth per 100,000 "
             "requests |", "|---|---:|---:|---:|---:|---:|---:|"]
    for name, result in results.items():
        lines.append(f"| {name} | {result['requests']:,} | {result['requests'] / result['seconds']:,.0f} | "
                     f"{result['start']:.1f} MB | {result['end']:.1f} MB | {result['peak']:.1f} MB | "
                     f"{result['per_100k']:+.1f} MB |")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
