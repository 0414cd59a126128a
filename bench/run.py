"""Benchmarks: profilestack vs the trivial-ASGI ceiling vs moto_server, in one run.

Requests are signed once with botocore and replayed by wrk (a Lua script per
target), so the load generator is never the bottleneck. The targets take turns
for ``--rounds`` rounds; each figure is the median of its rounds, and each ratio
the median of the ratios within a round (targets measured seconds apart), so one
slow moment of a shared machine does not decide a ratio. A second ceiling spends
``--busy-ceiling`` µs of CPU per request: what that much work costs on this stack under
load. Each target's CPU time per request (all its threads) is measured too. ``--workers N`` runs profilestack
and both ceilings as N server processes each (uvicorn's ``--workers``), moto as its one. Usage:

    make bench                      # or: .venv/bin/python -m bench.run [--rounds 3] [--duration 6] [--workers 1]

Installs what it needs: Debian's wrk (apt-get) and moto[server] in bench/.work/moto-venv.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from profilestack import http_protocol

ROOT = Path(__file__).resolve().parent
WORK = ROOT / ".work"
MOTO_VERSION = "5.2.5"


CEILING, MOTO = "ceiling (trivial ASGI)", "moto_server"  # the baselines' names in the report
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
BENCH_ROLE = "bench-role"
COLD_STARTS = 3  # launches timed; the median is reported, one launch is too noisy a figure on a shared machine


def create_bench_role(endpoint: str) -> None:
    import boto3

    iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                       aws_secret_access_key="test")
    iam.create_role(RoleName=BENCH_ROLE, Path="/bench/", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }))


@dataclass
class Scenario:
    name: str
    service: str  # signing name
    method: str
    path: str
    body: str
    headers: dict[str, str]
    setup: Callable[[str], None] | None = None  # run once against each AWS-speaking target


SCENARIOS = [
    Scenario("sts:GetCallerIdentity", "sts", "POST", "/", "Action=GetCallerIdentity&Version=2011-06-15", FORM),
    Scenario("iam:GetRole", "iam", "POST", "/", f"Action=GetRole&Version=2010-05-08&RoleName={BENCH_ROLE}", FORM,
             create_bench_role),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run(["apt-get", "update", "-qq"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)
    return shutil.which("wrk") or "wrk"


def ensure_moto() -> Path:
    venv = WORK / "moto-venv"
    server = venv / "bin" / "moto_server"
    if not server.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", f"moto[server]=={MOTO_VERSION}"], check=True)
    return server


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30.0) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.1):
                return time.monotonic() - start
        except OSError:
            time.sleep(0.01)
    raise RuntimeError(f"nothing listening on {port}")


def lua_script(request: AWSRequest) -> str:
    body = request.body.decode() if isinstance(request.body, bytes) else (request.body or "")
    lines = [f"wrk.method = {json.dumps(request.method)}", f"wrk.path = {json.dumps(url_path(request.url))}",
             f"wrk.body = {json.dumps(body)}"]
    lines += [f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}" for name, value in request.headers.items()]
    return "\n".join(lines) + "\n"


def url_path(url: str) -> str:
    return "/" + url.split("/", 3)[3] if url.count("/") >= 3 else "/"


def sign(scenario: Scenario, port: int) -> AWSRequest:
    request = AWSRequest(method=scenario.method, url=f"http://127.0.0.1:{port}{scenario.path}",
                         data=scenario.body, headers=dict(scenario.headers))
    SigV4Auth(Credentials("test", "test"), scenario.service, "us-east-1").add_auth(request)
    return request


_LATENCY = re.compile(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)


def run_wrk(wrk: str, port: int, script: str, duration: int, connections: int,
            server_pid: int | None = None) -> dict[str, float]:
    """wrk's requests/s, p50 and p99; with ``server_pid``, also the server's CPU time (all its threads, user and
    system) per request answered."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    cpu_before = _cpu_seconds(server_pid) if server_pid else 0.0
    result = subprocess.run([wrk, "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", handle.name,
                             f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True)
    cpu = _cpu_seconds(server_pid) - cpu_before if server_pid else 0.0
    os.unlink(handle.name)
    output = result.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    latency = {f"p{m.group(1)}_ms": float(m.group(2)) * scale[m.group(3)] for m in _LATENCY.finditer(output)}
    measured = {"cpu_us": cpu / requests * 1e6} if server_pid and requests else {}
    return {"rps": rps, "non_2xx": int(errors.group(1)) if errors else 0, **latency, **measured}


def _cpu_seconds(pid: int) -> float:
    """CPU time of the process and its descendants (a multi-process server's workers)."""
    ticks = sum(int(fields[11]) + int(fields[12])  # utime + stime
                for fields in (_stat_fields(text) for text in proc_texts(process_tree(pid), "stat")))
    return ticks / os.sysconf("SC_CLK_TCK")


def _stat_fields(text: str) -> list[str]:
    """``/proc/<pid>/stat``'s fields after the command name (which may hold spaces and parentheses)."""
    return text.rsplit(")", 1)[1].split()


def proc_texts(pids: Iterable[int], name: str) -> Iterator[str]:
    """``/proc/<pid>/<name>`` of each process still running."""
    for pid in pids:
        try:
            yield Path(f"/proc/{pid}/{name}").read_text()
        except OSError:  # ended since
            continue


def status_kb(pids: Iterable[int], field: str) -> int:
    """A memory field of ``/proc/<pid>/status`` (``VmRSS``, ``VmHWM``, in kB), summed over the processes."""
    return sum(int(line.split()[1]) for text in proc_texts(pids, "status")
               for line in text.splitlines() if line.startswith(f"{field}:"))


def process_tree(pid: int) -> list[int]:
    """The process and its descendants, from ``/proc``."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            for text in proc_texts([int(entry.name)], "stat"):
                parents.setdefault(int(_stat_fields(text)[1]), []).append(int(entry.name))
    tree, waiting = [], [pid]
    while waiting:
        process = waiting.pop()
        tree.append(process)
        waiting.extend(parents.get(process, []))
    return tree


def start(command: list[str], port: int, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, float]:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, **(env or {})})
    return process, wait_for_port(port, process)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=6, help="seconds of measured load per target and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured load per target first")
    parser.add_argument("--busy-ceiling", type=int, default=25, metavar="US",
                        help="also run the ceiling spending US microseconds of CPU per request, a reference for "
                             "the ratios (0: not run)")
    parser.add_argument("--workers", type=int, default=1,
                        help="server processes of profilestack and of the ceilings alike (moto: one)")
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    # Cold start counts as after an install: bytecode written (PYTHONDONTWRITEBYTECODE may forbid the import system to)
    compileall.compile_dir(ROOT.parent / "src", quiet=1)
    wrk = ensure_wrk()
    moto = ensure_moto()
    python = sys.executable
    data_dir = tempfile.mkdtemp(prefix="profilestack-bench-")

    cold_starts = [_cold_start_seconds(python) for _ in range(COLD_STARTS)]
    targets: dict[str, tuple[subprocess.Popen, int]] = {}
    port = free_port()
    process, _ = start(serve_command(python, port, data_dir, args.workers), port)
    targets["profilestack"] = (process, port)
    port = free_port()
    targets[CEILING] = (start(ceiling_command(python, port, args.workers), port)[0], port)
    speak_no_aws = {CEILING}  # nothing to set up in them
    if args.busy_ceiling:
        port, busy = free_port(), f"ceiling + {args.busy_ceiling} µs of CPU per request"
        targets[busy] = (start(ceiling_command(python, port, args.workers), port,
                               {"PROFILESTACK_CEILING_WORK_US": str(args.busy_ceiling)})[0], port)
        speak_no_aws.add(busy)
    port = free_port()
    targets[MOTO] = (start([str(moto), "-p", str(port)], port)[0], port)

    rows = []
    try:
        for scenario in SCENARIOS:
            scripts = {}
            for name, (_, target_port) in targets.items():
                if scenario.setup is not None and name not in speak_no_aws:
                    scenario.setup(f"http://127.0.0.1:{target_port}")
                scripts[name] = lua_script(sign(scenario, target_port))
                if args.warmup:  # first requests pay for imports, caches and connections: not measured
                    run_wrk(wrk, target_port, scripts[name], args.warmup, args.connections)
            rounds = [{name: run_wrk(wrk, target_port, scripts[name], args.duration, args.connections, process.pid)
                       for name, (process, target_port) in targets.items()} for _ in range(args.rounds)]
            rows.append((scenario, rounds))
    finally:
        for process, _ in targets.values():
            process.terminate()
            process.wait(timeout=10)
        shutil.rmtree(data_dir, ignore_errors=True)

    report = _report(rows, cold_starts, args)
    print(report)
    (ROOT / "results.md").write_text(report + "\n")
    return 0


def serve_command(python: str, port: int, data_dir: str | Path, workers: int = 1,
                  storage: list[str] | None = None) -> list[str]:
    """profilestack on its SQLite default in ``data_dir``, or on the ``storage`` given (``["--db", URL]``)."""
    return [python, "-m", "profilestack.cli", "serve", "--port", str(port),
            *(storage or ["--data-dir", str(data_dir)]), "--workers", str(workers)]


def ceiling_command(python: str, port: int, workers: int = 1) -> list[str]:
    return [python, "-m", "uvicorn", "bench.ceiling:app", "--port", str(port), "--loop", "uvloop", "--http",
            http_protocol.IMPORT_STRING, "--no-access-log", "--log-level", "warning", "--workers", str(workers)]


def _cold_start_seconds(python: str) -> float:
    """Process launch (fresh data directory: migrations included) to the first answered GetCallerIdentity."""
    import http.client

    port, data_dir = free_port(), tempfile.mkdtemp(prefix="profilestack-bench-cold-")
    request = sign(SCENARIOS[0], port)  # signed before the launch: the clock measures the server only
    launched = time.monotonic()
    process, _ = start(serve_command(python, port, data_dir), port)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request(request.method, "/", body=request.body, headers=dict(request.headers.items()))
        status = connection.getresponse().status
        answered = time.monotonic() - launched
        connection.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(data_dir, ignore_errors=True)
    if status != 200:
        raise RuntimeError(f"first request answered {status}")
    return answered



def _report(rows, cold_starts: list[float], args) -> str:
    lines = [f"wrk -t1 -c{args.connections} -d{args.duration}s after {args.warmup} s of unmeasured load, "
             f"{processes(args.workers)} each (moto: one), same machine, same run; {args.rounds} rounds, medians "
             "(ratios: median of the rounds' ratios, with their range).",
             "", "| operation | target | requests/s | p50 ms | p99 ms | non-2xx | server CPU µs/request | vs ceiling "
             "| vs moto |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for scenario, rounds in rows:
        for name in rounds[0]:
            median = median_result([round_[name] for round_ in rounds])
            lines.append(f"| {scenario.name} | {name} | {median['rps']:.0f} | {median['p50_ms']:.2f} | "
                         f"{median['p99_ms']:.2f} | {median['non_2xx']} | {median.get('cpu_us', 0):.0f} | "
                         f"{ratio_text(rounds, name, CEILING, '.0%')} | {ratio_text(rounds, name, MOTO, '.1f', 'x')} |")
    lines += ["", f"profilestack cold start to first answered request (fresh data directory): median "
                  f"{statistics.median(cold_starts):.2f} s of {len(cold_starts)} launches "
                  f"({', '.join(f'{seconds:.2f}' for seconds in cold_starts)})",
              "", "Authorization decision, in process (`python -m bench.authorization`):", "",
              _authorization_table()]
    return "\n".join(lines)


def processes(workers: int) -> str:
    return "one server process" if workers == 1 else f"{workers} server processes"


def median_result(runs: list[dict[str, float]]) -> dict[str, float]:
    """One target's rounds as one result: median requests/s, latencies and CPU per request, all the rounds'
    non-2xx answers."""
    median = {key: statistics.median(run.get(key, 0) for run in runs) for key in ("rps", "p50_ms", "p99_ms")}
    if all("cpu_us" in run for run in runs):
        median["cpu_us"] = statistics.median(run["cpu_us"] for run in runs)
    return {**median, "non_2xx": sum(run["non_2xx"] for run in runs)}


def ratio_text(rounds: list[dict[str, dict]], name: str, baseline: str, spec: str, unit: str = "") -> str:
    """Median of the rounds' ratios of ``name`` to ``baseline`` (taken seconds apart), then their range."""
    if any(round_[baseline]["rps"] == 0 for round_ in rounds):  # the baseline answered nothing in some round
        return "n/a"
    ratios = sorted(round_[name]["rps"] / round_[baseline]["rps"] for round_ in rounds)
    if len(ratios) == 1 or name == baseline:
        return f"{ratios[0]:{spec}}{unit}"
    return f"{statistics.median(ratios):{spec}}{unit} ({ratios[0]:{spec}} to {ratios[-1]:{spec}})"


def _authorization_table() -> str:
    result = subprocess.run([sys.executable, "-m", "bench.authorization"], capture_output=True, text=True,
                            check=True, cwd=ROOT.parent)
    return result.stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
