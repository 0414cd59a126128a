"""Command lines the tests run: the AWS CLI (the pinned ``awscli`` in the test environment) pointed at a
profilestack server, and profilestack's own commands."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class AwsCli:
    endpoint: str
    region: str = "us-east-1"
    access_key: str = "test"
    secret: str = "test"
    session_token: str | None = None

    def as_(self, access_key: str, secret: str, session_token: str | None = None) -> AwsCli:
        return replace(self, access_key=access_key, secret=secret, session_token=session_token)

    def __call__(self, *args: str) -> dict[str, Any]:
        """``aws <args> --output json``'s answer; the command must succeed."""
        env = {**os.environ, "AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret,
               "AWS_DEFAULT_REGION": self.region, "AWS_ENDPOINT_URL": self.endpoint,
               "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
        env.pop("AWS_SESSION_TOKEN", None)
        if self.session_token:
            env["AWS_SESSION_TOKEN"] = self.session_token
        result = subprocess.run([str(Path(sys.executable).parent / "aws"), *args, "--output", "json"], env=env,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout) if result.stdout.strip() else {}


PROFILESTACK = [sys.executable, "-m", "profilestack.cli"]  # the console script, in the tests' interpreter


def files_of_at_most(size: int) -> None:
    """For ``preexec_fn``: the process may not grow a file past ``size`` bytes, as on a disk that fills up (Python
    ignores the SIGXFSZ that follows: the write fails with EFBIG)."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


def profilestack(*args: str, timeout: float = 120, cwd: Path | None = None,
                 env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``profilestack <args>`` run to its end, its output captured as text; ``env`` adds to the environment."""
    return subprocess.run([*PROFILESTACK, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd,
                          env={**os.environ, **env} if env else None)
