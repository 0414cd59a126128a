"""A profilestack server for other projects' test suites: a real ``profilestack serve`` process on a free port,
with its own SQLite directory (or a database URL), and the settings an AWS client needs to reach it.

    with LocalServer() as server:
        os.environ.update(server.environ())   # boto3, the AWS CLI and the SDKs now call it
        server.client("customer-profiles").create_domain(DomainName="test", DefaultExpirationDays=7)

With pytest, the ``profilestack_server`` and ``profilestack_env`` fixtures do the same (profilestack.pytest_plugin).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any

STARTUP_SECONDS = 20.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@cache
def _isolated_session() -> Any:
    """One boto3 session for every client made here (its service models loaded once), reading no profile, config
    or credentials file of the caller's."""
    import boto3
    import botocore.session

    # (config file key, environment variable, default, conversion): read from nowhere the caller controls
    botocore_session = botocore.session.Session(session_vars={
        "profile": (None, None, None, None), "config_file": (None, None, os.devnull, None),
        "credentials_file": (None, None, os.devnull, None)})
    return boto3.session.Session(botocore_session=botocore_session)


@dataclass
class LocalServer:
    """A ``profilestack serve`` process on 127.0.0.1. ``endpoint`` defaults to a free port over plain HTTP;
    ``data_dir`` to a temporary directory, removed when the server stops; ``extra_env`` adds ``PROFILESTACK_*``
    settings; ``ca_bundle`` is the certificate clients trust when the server answers HTTPS."""

    endpoint: str = ""
    data_dir: Path | None = None
    db_url: str | None = None
    extra_env: dict[str, str] | None = None
    ca_bundle: str | None = None
    access_key: str = "test"
    secret_key: str = "test"
    region: str = "us-east-1"
    process: subprocess.Popen[str] | None = field(default=None, repr=False)
    log_path: Path | None = None
    _temporary: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        if not self.endpoint:
            self.endpoint = f"http://127.0.0.1:{free_port()}"
        if self.data_dir is None:
            self.data_dir = Path(tempfile.mkdtemp(prefix="profilestack-"))
            self._temporary = True

    @property
    def port(self) -> int:
        return int(self.endpoint.rsplit(":", 1)[1])

    @property
    def directory(self) -> Path:
        assert self.data_dir is not None  # set in __post_init__
        return self.data_dir

    def start(self) -> None:
        """Start the process and wait until it answers; RuntimeError with its output if it does not."""
        command = [sys.executable, "-m", "profilestack.cli", "serve", "--port", str(self.port),
                   "--data-dir", str(self.directory)]
        if self.db_url:
            command += ["--db", self.db_url]
        env = {**os.environ, **(self.extra_env or {})}
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.log_path = self.directory / f"server-{time.monotonic_ns()}.log"
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, text=True)
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"profilestack exited early:\n{self.log_path.read_text()}")
            try:  # uvicorn listens once the application has started: an open port is a ready server
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"profilestack did not start in {STARTUP_SECONDS:.0f} s:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        """Stop the process cleanly (the audit trail is flushed); its data stays for a restart. Leaving the ``with``
        block also removes a temporary data directory."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def environ(self) -> dict[str, str]:
        """The environment variables that point AWS clients (boto3, the AWS CLI, the SDKs) at this server, with no
        config or credentials file of the caller's to read instead (a session token, a service's own endpoint
        variable in the caller's environment is theirs to drop: ``profilestack_env`` does)."""
        env = {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": self.access_key,
               "AWS_SECRET_ACCESS_KEY": self.secret_key, "AWS_DEFAULT_REGION": self.region,
               "AWS_REGION": self.region, "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
        if self.ca_bundle:
            env["AWS_CA_BUNDLE"] = self.ca_bundle
        return env

    def client(self, service: str, region: str | None = None, **kwargs: Any) -> Any:
        """A boto3 client for this server, signed by the bootstrap root unless other credentials are given. It
        reads none of the caller's AWS configuration: a profile or config file named in the environment (which
        boto3 would insist on finding) changes nothing."""
        kwargs.setdefault("aws_access_key_id", self.access_key)
        kwargs.setdefault("aws_secret_access_key", self.secret_key)
        if self.ca_bundle:
            kwargs.setdefault("verify", self.ca_bundle)
        return _isolated_session().client(service, endpoint_url=self.endpoint, region_name=region or self.region,
                                          **kwargs)

    def __enter__(self) -> LocalServer:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()
        if self._temporary:
            shutil.rmtree(self.directory, ignore_errors=True)
