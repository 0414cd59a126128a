"""One settings object, from command-line flags and ``PROFILESTACK_*`` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

from profilestack.store.engine import sqlite_url

ENV_PREFIX = "PROFILESTACK_"


def _env_bool(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 4566
    data_dir: Path = field(default_factory=lambda: Path(".profilestack"))
    db: str | None = None  # SQLAlchemy URL; None means SQLite in data_dir
    account_id: str = "000000000000"
    root_access_key: str = "test"
    root_secret_key: str = "test"
    bootstrap_credentials: bool = True
    workers: int = 1  # server processes
    outbox_worker: bool = True  # run an outbox worker inside each server process
    log_level: str = "warning"
    max_request_bytes: int = 16 * 1024 * 1024  # a larger body is refused unread (413), not buffered
    # where clients reach this server, for the URLs it hands out (upload jobs'); by default http://host:port
    public_url: str | None = None
    audit_retention_days: int = 90  # CloudTrail's event history keeps 90 days; 0 keeps every event
    clock_offset_file: str | None = None  # testing aid: see runtime.OffsetFileClock
    test_policy_overrides: str | None = None  # testing aid: JSON file {managed policy ARN: document}
    # testing aid: read transactions refuse writes, so an operation that writes in one (which SQLite refuses
    # only when another connection wrote meanwhile) fails every time, in the tests, instead of now and then
    test_read_only_checks: bool = False

    @property
    def database_url(self) -> str:
        return self.db or sqlite_url(self.data_dir)

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        environ = dict(os.environ if environ is None else environ)
        values: dict[str, object] = {}
        for spec in fields(cls):
            raw = environ.get(ENV_PREFIX + spec.name.upper())
            if raw is None:
                continue
            values[spec.name] = _convert(spec.type, raw)
        values.update({key: value for key, value in overrides.items() if value is not None})
        settings = cls(**values)  # type: ignore[arg-type]
        settings.data_dir = Path(settings.data_dir)
        return settings

    def to_env(self) -> dict[str, str]:
        """The environment that reproduces these settings in a child process."""
        env = {}
        for spec in fields(self):
            value = getattr(self, spec.name)
            if value is not None:
                env[ENV_PREFIX + spec.name.upper()] = str(value)
        return env


def _convert(kind: object, raw: str) -> object:
    text = str(kind)
    if "bool" in text:
        return _env_bool(raw)
    if "int" in text:
        return int(raw)
    return raw


def redact_url(url: str) -> str:
    """A database URL fit for logs: the password is never shown."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else f"{scheme}://{user}@{host}"
