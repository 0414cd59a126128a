"""One settings object, from command-line flags and ``PROFILESTACK_*`` environment variables."""

from __future__ import annotations

import os
import re
import ssl
from collections import Counter
from dataclasses import dataclass, field, fields
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from profilestack.store.engine import sqlite_url

ENV_PREFIX = "PROFILESTACK_"
_ACCOUNT_ID = re.compile(r"[0-9]{12}")
_ACCESS_KEY = re.compile(r"[A-Za-z0-9]{4,128}")
_DATABASE_FORMS = "sqlite:////path/to/profilestack.db or postgresql+psycopg://user[:password]@host:port/database"


class SettingsError(ValueError):
    """Settings that cannot be served; the message says which and why."""


@dataclass(frozen=True)
class RootKeys:
    """An account's root user and a key pair that signs as it."""

    account: str
    access_key: str
    secret: str


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


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
    # more accounts, each with a root key pair of its own: "ACCOUNT:ACCESS_KEY:SECRET[,ACCOUNT:ACCESS_KEY:SECRET…]"
    accounts: str | None = None
    workers: int = 1  # server processes
    # set by ``serve --workers N`` for its processes: where each publishes its metrics counts for the others
    metrics_dir: str | None = None
    outbox_worker: bool = True  # run an outbox worker inside each server process
    log_level: str = "warning"
    max_request_bytes: int = 16 * 1024 * 1024  # a larger body is refused unread (413), not buffered
    # the bodies being received at once, over every connection, before their requests can be authenticated: past
    # it, calls are refused (503) rather than memory filled by clients who need not even hold a key
    max_buffered_request_bytes: int = 256 * 1024 * 1024
    # how long a client may take to send a request's head, or pause while sending its body (408, then closed), or
    # leave its answers untaken (then dropped)
    request_read_seconds: int = 60
    # where clients reach this server, for the URLs it hands out (upload jobs'); by default http://host:port
    public_url: str | None = None
    # HTTPS: a PEM certificate (chain) and its private key; aws:SecureTransport is then true
    tls_cert: str | None = None
    tls_key: str | None = None
    # addresses (or networks, "10.0.0.0/8") of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are
    # believed: they then give aws:SourceIp and aws:SecureTransport. Nobody's by default.
    trusted_proxies: str | None = None
    # origins of web pages, besides this machine's and the server's own, that may call it from a browser (CORS):
    # "https://app.example.com[,…]", or "*" for any (cross_origin.py)
    cors_origins: str | None = None
    # names besides this machine's (localhost, loopback addresses) and public_url's host by which clients may reach a
    # server listening on loopback: "profiles.test[,…]", or "*" for any (cross_origin.ServedNames)
    allowed_hosts: str | None = None
    audit_retention_days: int = 90  # CloudTrail's event history keeps 90 days; 0 keeps every event
    # audit events a process holds in memory while the database cannot store them (down, its disk full); at this
    # many it refuses calls (503) until they are stored, rather than serve calls it cannot record
    audit_max_waiting: int = 50_000
    clock_offset_file: str | None = None  # testing aid: see runtime.OffsetFileClock
    test_policy_overrides: str | None = None  # testing aid: JSON file {managed policy ARN: document}
    # testing aid: read transactions refuse writes, so an operation that writes in one (which SQLite refuses
    # only when another connection wrote meanwhile) fails every time, in the tests, instead of now and then
    test_read_only_checks: bool = False
    # testing aid: SQLite databases grow to this many pages at most, and then answer "database or disk is full"
    test_database_pages: int | None = None
    # testing aid: an answer its model does not allow (a required member left out, a value outside its enum or
    # pattern, a page token the operation would refuse back) is an InternalFailure (gateway/answer_checks.py)
    test_answer_checks: bool = False

    def root_keys(self) -> list[RootKeys]:
        """Every configured root key pair: the bootstrap one (unless disabled), then each of ``accounts``.
        SettingsError when ``accounts`` is malformed or repeats an account or an access key."""
        keys = [RootKeys(self.account_id, self.root_access_key, self.root_secret_key)] \
            if self.bootstrap_credentials else []
        for entry in (self.accounts or "").split(","):
            if not entry.strip():
                continue
            parts = entry.strip().split(":")
            if len(parts) != 3 or not _ACCOUNT_ID.fullmatch(parts[0]) or not _ACCESS_KEY.fullmatch(parts[1]) \
                    or not parts[2]:
                raise SettingsError(f"accounts: {entry.strip()!r} is not ACCOUNT:ACCESS_KEY:SECRET (a 12-digit "
                                    "account id, an access key of 4 to 128 letters and digits, a secret)")
            keys.append(RootKeys(*parts))
        for seen, name in ((Counter(key.account for key in keys), "account"),
                           (Counter(key.access_key for key in keys), "access key")):
            repeated = [value for value, count in seen.items() if count > 1]
            if repeated:
                raise SettingsError(f"accounts: {name} {repeated[0]} is configured twice")
        return keys

    def check_tls(self) -> None:
        """SettingsError unless the certificate and key are given together, are readable files, and are a PEM
        certificate (chain) and its unencrypted private key: checked before the server says it listens, which
        uvicorn's own loading comes after."""
        given = [name for name, path in (("tls_cert", self.tls_cert), ("tls_key", self.tls_key)) if path]
        if len(given) == 1:
            raise SettingsError(f"{given[0]} is set without {'tls_key' if given[0] == 'tls_cert' else 'tls_cert'}: "
                                "HTTPS needs a certificate and its private key")
        for name in given:
            if not Path(getattr(self, name)).is_file():
                raise SettingsError(f"{name}: {getattr(self, name)} is not a readable file")
        if given:
            try:  # an empty password: an encrypted key is refused, not asked for on the terminal
                ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(self.tls_cert, self.tls_key, password="")
            except ssl.SSLError as error:
                why = ("the key is another certificate's" if error.reason == "KEY_VALUES_MISMATCH" else
                       "they do not read as PEM, or the key is encrypted")
                raise SettingsError(f"tls_cert, tls_key: {self.tls_cert} and {self.tls_key} are not a PEM "
                                    f"certificate and its unencrypted private key: {why}") from None

    def check_values(self) -> None:
        """SettingsError unless each number, the log level and the public URL are ones the server can run with."""
        if self.log_level.lower() not in LOG_LEVELS:
            raise SettingsError(f"log_level: {self.log_level!r} is none of {', '.join(LOG_LEVELS)}")
        if self.public_url and not re.fullmatch(r"https?://[^/\s]+(/\S*)?", self.public_url):
            raise SettingsError(f"public_url: {self.public_url!r} is not an http:// or https:// URL")
        bounds = {"port": (1, 65535), "workers": (1, None), "max_request_bytes": (1, None),
                  "request_read_seconds": (1, None), "max_buffered_request_bytes": (1, None),
                  "audit_retention_days": (0, None), "audit_max_waiting": (1, None)}
        for name, (low, high) in bounds.items():
            value = getattr(self, name)
            if value < low or (high is not None and value > high):
                allowed = f"from {low} to {high}" if high is not None else f"{low} or more"
                raise SettingsError(f"{name}: {value} is out of range ({allowed})")
        if self.max_buffered_request_bytes < self.max_request_bytes:
            raise SettingsError(f"max_buffered_request_bytes: {self.max_buffered_request_bytes} is under "
                                f"max_request_bytes ({self.max_request_bytes}): no request that large could be read")

    def check_db(self) -> None:
        """SettingsError unless ``db``, when given, is a SQLite or PostgreSQL URL whose driver is installed. A
        ``postgres://`` URL, as hosting platforms write it, is taken as PostgreSQL through psycopg."""
        if not self.db:
            return
        try:
            url = make_url(self.db)
        except ArgumentError:
            raise SettingsError(f"db: {redact_url(self.db)} is not a database URL; use {_DATABASE_FORMS}") from None
        if url.drivername == "postgres":
            url = url.set(drivername="postgresql+psycopg")
            self.db = url.render_as_string(hide_password=False)
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise SettingsError(f"db: profilestack keeps its data in SQLite or PostgreSQL, not "
                                f"{url.get_backend_name()}; use {_DATABASE_FORMS}")
        try:
            url.get_dialect().import_dbapi()
        except (NoSuchModuleError, ImportError):
            raise SettingsError(f"db: the driver {url.drivername} is not installed here; use {_DATABASE_FORMS}"
                                ) from None

    @property
    def scheme(self) -> str:
        return "https" if self.tls_cert else "http"

    def accounts_held(self) -> set[str]:
        """The accounts whose identities this server holds: the bootstrap account and every configured one."""
        return {self.account_id, *(key.account for key in self.root_keys())}

    def has_root_keys(self, account: str) -> bool:
        """Whether the account's root user has a configured key pair (the credential report and account summary
        show it)."""
        return any(key.account == account for key in self.root_keys())

    @property
    def database_url(self) -> str:
        return self.db or sqlite_url(self.data_dir)

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        return self._url("127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host)

    @property
    def listen_url(self) -> str:
        """Where the server listens, as a URL (an IPv6 address in brackets)."""
        return self._url(self.host)

    def _url(self, host: str) -> str:
        return f"{self.scheme}://[{host}]:{self.port}" if ":" in host else f"{self.scheme}://{host}:{self.port}"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        environ = dict(os.environ if environ is None else environ)
        values: dict[str, object] = {}
        for spec in fields(cls):
            raw = environ.get(ENV_PREFIX + spec.name.upper())
            if raw is None:
                continue
            values[spec.name] = _convert(spec.type, raw, ENV_PREFIX + spec.name.upper())
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


def _convert(kind: object, raw: str, name: str) -> object:
    text = str(kind)
    if "bool" in text:
        word = raw.strip().lower()
        if word not in _TRUE + _FALSE:
            raise SettingsError(f"{name}: {raw!r} is neither true nor false ({', '.join(_TRUE)}; "
                                f"{', '.join(_FALSE)})")
        return word in _TRUE
    if "int" in text:
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(f"{name}: {raw!r} is not a whole number") from None
    return raw


def redact_url(url: str) -> str:
    """A database URL fit for logs: the password is never shown."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else f"{scheme}://{user}@{host}"
