"""In-process cost of whole calls: a signed request through ``Gateway.handle_http``, no HTTP server in between.

A real App on a temporary SQLite database (or with ``--postgres`` a throwaway PostgreSQL database; its audit
writer running, the start-up objects frozen out of the collector's way as ``profilestack serve`` does) answers
the same request ``--calls`` times; the figures are the request thread's CPU time and the wall-clock time per
call, each the fastest of ``--repeats`` passes. The audit writer's own cost is measured apart: one flush of a
batch of events, per event. Set-up (the bench role, a Customer Profiles domain) goes through a throwaway uvicorn
server in a thread; the domain's customers (``--customers``, 2,000 by default) are loaded with
``profilestack load``.

    .venv/bin/python -m bench.pipeline [--calls 5000] [--repeats 5] [--customers 1000000] [--postgres]
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from botocore.awsrequest import AWSRequest

from bench.profiles import DOMAIN, bulk_load, define_domain, signed_request, storage_arguments
from bench.run import SCENARIOS, free_port, sign, url_path
from profilestack.app import App
from profilestack.config import Settings
from profilestack.gateway.http import HttpRequest


def _http_request(request: AWSRequest, body: bytes | None = None) -> HttpRequest:
    raw = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
    headers = {"host": request.url.split("/")[2], **{name.lower(): value for name, value in request.headers.items()}}
    return HttpRequest(method=request.method, raw_path=url_path(request.url), query_string="", headers=headers,
                       body=raw if body is None else body, source_ip="127.0.0.1", secure=False)


def _set_up(app: App, data_dir: Path, customers: int, storage: list[str] | None) -> int:
    """The bench role and the domain, made over HTTP, and its customers; the port the requests are signed for."""
    import uvicorn

    from profilestack.server import AsgiApp

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(AsgiApp(app), port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        for scenario in SCENARIOS:
            if scenario.setup is not None:
                scenario.setup(f"http://127.0.0.1:{port}")
        define_domain(port)
    finally:
        server.should_exit = True
        thread.join()
    bulk_load(data_dir, 0, customers, storage=storage)
    return port


def _calls(app: App, port: int, customers: int) -> dict[str, Callable[[], HttpRequest]]:
    """Each measured call as a maker of its request: a new one every time, as the server builds one per request
    (a request keeps what the gateway parsed of it, its form and its signature; a put also carries a distinct
    object every time)."""
    calls: dict[str, Callable[[], HttpRequest]] = {}
    for scenario in SCENARIOS:
        signed = sign(scenario, port)
        calls[scenario.name] = lambda signed=signed: _http_request(signed)
    search = signed_request(port, f"/domains/{DOMAIN}/profiles/search",
                            {"KeyName": "_phone", "Values": [f"+1555{customers // 2:07d}"]})
    calls["profile:SearchProfiles _phone"] = lambda: _http_request(search)
    ids = [item["ProfileId"] for item in json.loads(app.gateway.handle_http(_http_request(signed_request(
        port, f"/domains/{DOMAIN}/profiles/search",
        {"KeyName": "_email", "Values": [f"c{index}@example.com" for index in range(20)]}))).body)["Items"]]
    batch = signed_request(port, f"/domains/{DOMAIN}/batch-get-profiles", {"ProfileIds": ids})
    calls["profile:BatchGetProfile x20"] = lambda: _http_request(batch)
    put = signed_request(port, f"/domains/{DOMAIN}/profiles/objects", {}, unsigned=True, method="PUT")
    counter = itertools.count()

    def next_put() -> HttpRequest:
        index = next(counter)
        document = {"order": {"id": f"p-{index}"}, "customer": {"email": f"c{index % customers}@example.com"}}
        return _http_request(put, json.dumps({"ObjectTypeName": "Order", "Object": json.dumps(document)}).encode())

    calls["profile:PutProfileObject"] = next_put
    return calls


def _per_call(app: App, make: Callable[[], HttpRequest], calls: int, repeats: int) -> tuple[float, float]:
    """µs per call of the request thread's CPU time and of wall-clock time (which adds waits: the disk, the
    database's single writer), each the fastest pass."""
    cpu = wall = float("inf")
    for _ in range(repeats):
        requests = [make() for _ in range(calls)]
        began, began_cpu = time.perf_counter(), time.thread_time()
        for request in requests:
            response = app.gateway.handle_http(request)
        cpu = min(cpu, (time.thread_time() - began_cpu) / calls)
        wall = min(wall, (time.perf_counter() - began) / calls)
        if response.status != 200:
            raise RuntimeError(f"answered {response.status}: {response.body[:300]!r}")
        app.audit.flush()
    return cpu * 1e6, wall * 1e6


def _audit_flush_per_event(app: App, make: Callable[[], HttpRequest], events: int, repeats: int) -> float:
    app.audit.close()  # its thread stopped: each batch is flushed here, and timed
    best = float("inf")
    for _ in range(repeats):
        for _ in range(events):
            app.gateway.handle_http(make())
        began = time.perf_counter()
        app.audit.flush()
        best = min(best, (time.perf_counter() - began) / events)
    return best * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=5000, help="calls per pass")
    parser.add_argument("--repeats", type=int, default=5, help="passes; the fastest counts")
    parser.add_argument("--customers", type=int, default=2000, help="profiles in the domain")
    parser.add_argument("--postgres", action="store_true",
                        help="a throwaway PostgreSQL database (server at PROFILESTACK_TEST_POSTGRES or "
                             "postgresql://postgres@127.0.0.1:5432/postgres) instead of SQLite")
    args = parser.parse_args()
    with (tempfile.TemporaryDirectory(prefix="profilestack-bench-pipeline-") as data_dir,
          storage_arguments(args.postgres) as storage):
        app = App(Settings(data_dir=Path(data_dir), db=storage[1] if storage else None))
        app.start()
        app.warm_up()
        try:
            port = _set_up(app, Path(data_dir), args.customers, storage)
            calls = _calls(app, port, args.customers)
            gc.freeze()
            rows = [(name, *_per_call(app, make, args.calls, args.repeats)) for name, make in calls.items()]
            flush = _audit_flush_per_event(app, calls[SCENARIOS[0].name], 650, args.repeats)
        finally:
            app.close()
    where = "PostgreSQL" if args.postgres else "SQLite"
    lines = [f"In process, {where}, {args.customers:,} customers: µs per call, fastest of {args.repeats} passes of "
             f"{args.calls:,} calls.", "", "| call | request thread's CPU | wall clock |", "|---|---:|---:|"]
    lines += [f"| {name} | {cpu:.1f} | {wall:.1f} |" for name, cpu, wall in rows]
    lines += [f"| audit writer: one flush of 650 events, per event (its own thread) | | {flush:.1f} |"]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
