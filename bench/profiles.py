"""Customer Profiles data benchmarks, in one run on SQLite (issue 5's targets), or with ``--postgres`` on a
throwaway PostgreSQL database on the same machine (PROFILESTACK_TEST_POSTGRES, default
postgresql://postgres@127.0.0.1:5432/postgres):

- bulk load of N profiles through ``profilestack load`` (objects per second);
- SearchProfiles by ``_phone`` and BatchGetProfile of 20, replayed by wrk, against the trivial-ASGI ceiling,
  first with 10,000 profiles loaded and again with N (latency must stay within 1.5x); profilestack and the
  ceiling take turns for ``--rounds`` rounds, figures are medians, ratios the median of the rounds' ratios;
- PutProfileObject sustained (every request a distinct object for a known customer, unsigned payload), after
  two seconds of unmeasured puts: the median of ``--put-runs`` runs, as one run can fall in a slow spell of a
  shared machine;
- the server's resident memory while serving the N-profile domain (all its processes).

``--workers N`` runs profilestack and the ceiling as N server processes each. ``--load-only`` measures the bulk
load alone.

    .venv/bin/python -m bench.profiles [--profiles 1000000] [--duration 10] [--rounds 2] [--put-runs 3] [--workers 1]
                                       [--postgres]
    .venv/bin/python -m bench.profiles --load-only --profiles 30000 [--postgres]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from bench.run import (
    ROOT,
    ceiling_command,
    ensure_wrk,
    free_port,
    lua_script,
    median_result,
    process_tree,
    processes,
    ratio_text,
    run_wrk,
    serve_command,
    start,
    status_kb,
)

DOMAIN = "bench"
SMALL = 10_000


def order_object(index: int) -> str:
    return json.dumps({"order": {"id": f"o-{index}"}, "customer": {
        "email": f"c{index}@example.com", "phone": f"+1555{index:07d}", "first": f"First{index}", "last": "Bench"}})


def profiles_client(port: int):
    return boto3.client("customer-profiles", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")


def define_domain(port: int) -> None:
    client = profiles_client(port)
    client.create_domain(DomainName=DOMAIN, DefaultExpirationDays=365)
    client.put_profile_object_type(
        DomainName=DOMAIN, ObjectTypeName="Order", Description="orders", AllowProfileCreation=True,
        Fields={"orderId": {"Source": "_source.order.id"},
                "email": {"Source": "_source.customer.email", "Target": "_profile.EmailAddress",
                          "ContentType": "EMAIL_ADDRESS"},
                "phone": {"Source": "_source.customer.phone", "Target": "_profile.PhoneNumber",
                          "ContentType": "PHONE_NUMBER"},
                "first": {"Source": "_source.customer.first", "Target": "_profile.FirstName"},
                "last": {"Source": "_source.customer.last", "Target": "_profile.LastName"}},
        Keys={"_orderId": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["orderId"]}],
              "_email": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["email"]}]})


def bulk_load(data_dir: Path, first: int, last: int, make: Callable[[int], str] = order_object,
              storage: list[str] | None = None) -> float:
    """Objects per second loading objects first..last-1 (by default each a profile's) with the bulk loader, into
    the SQLite database of ``data_dir`` (or the ``storage`` given: ``["--db", URL]``)."""
    source = data_dir / "load.jsonl"
    with source.open("w") as handle:
        for index in range(first, last):
            handle.write(make(index) + "\n")
    began = time.monotonic()
    subprocess.run([sys.executable, "-m", "profilestack.cli", "load", DOMAIN, str(source), "--object-type", "Order",
                    *(storage or ["--data-dir", str(data_dir)])], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    source.unlink()
    return (last - first) / (time.monotonic() - began)


def signed_request(port: int, path: str, body: dict, unsigned: bool = False, method: str = "POST") -> AWSRequest:
    headers = {"Content-Type": "application/json"}
    if unsigned:
        headers["X-Amz-Content-SHA256"] = "UNSIGNED-PAYLOAD"
    request = AWSRequest(method=method, url=f"http://127.0.0.1:{port}{path}", data=json.dumps(body),
                         headers=headers)
    SigV4Auth(Credentials("test", "test"), "profile", "us-east-1").add_auth(request)
    return request


def _put_object_script(port: int, known: int) -> str:
    """Distinct objects per request (the signature leaves the payload unsigned, as SigV4 allows)."""
    request = signed_request(port, f"/domains/{DOMAIN}/profiles/objects", {}, unsigned=True, method="PUT")
    headers = "\n".join(f"headers[{json.dumps(name)}] = {json.dumps(value)}" for name, value in request.headers.items())
    script = """
counter = 0
headers = {}
HEADERS
request = function()
  counter = counter + 1
  local object = [[{\\"order\\":{\\"id\\":\\"w-]] .. counter .. [[\\"},\\"customer\\":{\\"email\\":\\"c]]
    .. (counter % KNOWN) .. [[@example.com\\"}}]]
  return wrk.format("PUT", "PATH", headers, [[{"ObjectTypeName":"Order","Object":"]] .. object .. [["}]])
end
"""
    return (script.replace("HEADERS", headers).replace("KNOWN", str(known))
            .replace("PATH", f"/domains/{DOMAIN}/profiles/objects"))


def _reads(wrk: str, port: int, ceiling: int, profiles: int, duration: int, connections: int,
           rounds_count: int) -> list[tuple]:
    search = signed_request(port, f"/domains/{DOMAIN}/profiles/search",
                     {"KeyName": "_phone", "Values": [f"+1555{profiles // 2:07d}"]})
    ids = [item["ProfileId"] for item in profiles_client(port).search_profiles(
        DomainName=DOMAIN, KeyName="_email", Values=[f"c{profiles - 1 - i}@example.com" for i in range(20)],
        MaxResults=20)["Items"]]
    assert len(ids) == 20, ids
    batch = signed_request(port, f"/domains/{DOMAIN}/batch-get-profiles", {"ProfileIds": ids})
    rows = []
    for name, request in (("SearchProfiles _phone", search), ("BatchGetProfile x20", batch)):
        script = lua_script(request)
        rounds = [{"profilestack": run_wrk(wrk, port, script, duration, connections),
                   "ceiling": run_wrk(wrk, ceiling, script, duration, connections)} for _ in range(rounds_count)]
        rows.append((name, profiles, rounds))
    return rows


def rss_mb(pid: int) -> float:
    """Resident memory of the server's processes together."""
    return status_kb(process_tree(pid), "VmRSS") / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", type=int, default=200_000, help="the large domain's size (target: 1000000)")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2, help="turns of profilestack and the ceiling per read")
    parser.add_argument("--put-runs", type=int, default=3, help="measured runs of PutProfileObject (the median counts)")
    parser.add_argument("--puts-only", action="store_true",
                        help="load the domain and measure PutProfileObject only (for A/B runs of two checkouts)")
    parser.add_argument("--workers", type=int, default=1, help="server processes of profilestack and the ceiling")
    parser.add_argument("--load-only", action="store_true", help="the bulk load of --profiles objects alone, printed")
    parser.add_argument("--postgres", action="store_true",
                        help="profilestack on a throwaway PostgreSQL database (PROFILESTACK_TEST_POSTGRES, default "
                             "postgresql://postgres@127.0.0.1:5432/postgres); not with --puts-only")
    args = parser.parse_args()
    if args.puts_only and args.postgres:
        parser.error("--puts-only measures SQLite's puts (A/B runs of two checkouts); --postgres runs the whole "
                     "benchmark or, with --load-only, the load")
    if args.puts_only:
        return _puts_only(args)
    if args.load_only:
        return _load_only(args)
    wrk = ensure_wrk()
    data_dir = Path(tempfile.mkdtemp(prefix="profilestack-bench-profiles-"))
    with storage_arguments(args.postgres) as storage:
        python = sys.executable
        ceiling_port = free_port()
        ceiling, _ = start(ceiling_command(python, ceiling_port, args.workers), ceiling_port)
        port = free_port()
        command = serve_command(python, port, data_dir, args.workers, storage)
        server, _ = start(command, port)
        lines = []
        try:
            define_domain(port)
            server.terminate()
            server.wait()
            small_rate = bulk_load(data_dir, 0, SMALL, storage=storage)
            server, _ = start(command, port)
            rows = _reads(wrk, port, ceiling_port, SMALL, args.duration, args.connections, args.rounds)
            server.terminate()
            server.wait()
            large_rate = bulk_load(data_dir, SMALL, args.profiles, storage=storage)
            server, _ = start(command, port)
            rows += _reads(wrk, port, ceiling_port, args.profiles, args.duration, args.connections, args.rounds)
            put_script = _put_object_script(port, args.profiles)
            run_wrk(wrk, port, put_script, 2, args.connections)  # unmeasured: the first puts warm the caches
            puts = [run_wrk(wrk, port, put_script, args.duration, args.connections) for _ in range(args.put_runs)]
            rss = rss_mb(server.pid)
            lines = _report(args, small_rate, large_rate, rows, puts, rss)
        finally:
            for process in (server, ceiling):
                process.terminate()
                process.wait(timeout=30)
            shutil.rmtree(data_dir, ignore_errors=True)
    report = "\n".join(lines)
    print(report)
    (ROOT / ("results-profiles-postgres.md" if args.postgres else "results-profiles.md")).write_text(report + "\n")
    return 0


@contextmanager
def storage_arguments(postgres: bool) -> Iterator[list[str] | None]:
    """The server's and the loader's storage arguments: None for SQLite in the run's data directory, or with
    ``postgres`` a throwaway PostgreSQL database's, dropped when the run ends."""
    if not postgres:
        yield None
        return
    from tests.postgres import PostgresDatabase

    database = PostgresDatabase()
    try:
        yield ["--db", database.url]
    finally:
        database.drop()


def _load_only(args: argparse.Namespace) -> int:
    """The bulk load alone, on SQLite or (``--postgres``) PostgreSQL; printed, not written to the results file."""
    data_dir = Path(tempfile.mkdtemp(prefix="profilestack-bench-load-"))
    with storage_arguments(args.postgres) as storage:
        port = free_port()
        server, _ = start(serve_command(sys.executable, port, data_dir, storage=storage), port)
        try:
            define_domain(port)
            server.terminate()
            server.wait()
            rate = bulk_load(data_dir, 0, args.profiles, storage=storage)
        finally:
            server.terminate()
            server.wait(timeout=30)
            shutil.rmtree(data_dir, ignore_errors=True)
    where = "PostgreSQL" if args.postgres else "SQLite"
    print(f"bulk load of {args.profiles:,} objects on {where}: {rate:,.0f} objects/s")
    return 0


def _puts_only(args: argparse.Namespace) -> int:
    """Load ``--profiles`` customers, then the put runs alone; printed, not written to the results file."""
    wrk = ensure_wrk()
    data_dir = Path(tempfile.mkdtemp(prefix="profilestack-bench-puts-"))
    port = free_port()
    command = serve_command(sys.executable, port, data_dir, args.workers)
    server, _ = start(command, port)
    try:
        define_domain(port)
        server.terminate()
        server.wait()
        bulk_load(data_dir, 0, args.profiles)
        server, _ = start(command, port)
        script = _put_object_script(port, args.profiles)
        run_wrk(wrk, port, script, 2, args.connections)  # unmeasured, as in the full run
        rates = [run_wrk(wrk, port, script, args.duration, args.connections)["rps"] for _ in range(args.put_runs)]
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
    print(f"PutProfileObject at {args.profiles:,} profiles: {sorted(rates)[len(rates) // 2]:,.0f}/s "
          f"(runs: {', '.join(f'{rate:,.0f}' for rate in rates)})")
    return 0


def _report(args, small_rate: float, large_rate: float, rows: list[tuple], puts: list[dict], rss: float
            ) -> list[str]:
    where = "PostgreSQL (a throwaway database on the same machine)" if args.postgres else "SQLite"
    lines = [f"{where}, {processes(args.workers)} (the ceiling too), wrk -t1 -c{args.connections} "
             f"-d{args.duration}s, same machine, same run; reads: {args.rounds} rounds, medians (vs ceiling: median "
             "of the rounds' ratios, with their range).",
             "", "| operation | profiles | requests/s | p50 ms | p99 ms | ceiling requests/s | vs ceiling |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    p50s: dict[str, list[float]] = {}
    for name, profiles, rounds in rows:
        result = median_result([round_["profilestack"] for round_ in rounds])
        ceiling = median_result([round_["ceiling"] for round_ in rounds])
        lines.append(f"| {name} | {profiles:,} | {result['rps']:,.0f} | {result['p50_ms']:.2f} | "
                     f"{result['p99_ms']:.2f} | {ceiling['rps']:,.0f} | "
                     f"{ratio_text(rounds, 'profilestack', 'ceiling', '.0%')} |")
        p50s.setdefault(name, []).append(result["p50_ms"])
    lines.append("")
    for name, (small, large) in p50s.items():
        lines.append(f"- {name}: p50 at {args.profiles:,} profiles is {large / small:.2f}x its p50 at {SMALL:,}")
    put = median_result(puts)
    each = ", ".join(f"{run['rps']:,.0f}" for run in puts)
    lines += [f"- PutProfileObject (distinct objects, known customers): {put['rps']:,.0f}/s sustained (median of "
              f"{len(puts)} runs of {args.duration} s: {each}/s), p50 {put['p50_ms']:.2f} ms, p99 "
              f"{put['p99_ms']:.2f} ms, non-2xx {put['non_2xx']}",
              f"- bulk load: {small_rate:,.0f} objects/s for the first {SMALL:,}, {large_rate:,.0f} objects/s up to "
              f"{args.profiles:,} (1,000,000 would take {1_000_000 / large_rate / 60:.1f} min)",
              f"- server resident memory serving {args.profiles:,} profiles: {rss:.0f} MB"]
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
