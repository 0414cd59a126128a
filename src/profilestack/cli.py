"""The ``profilestack`` command: serve, worker, backup, doctor, load and the readers of what AWS keeps elsewhere."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from profilestack import __version__, logs
from profilestack.config import LOG_LEVELS, Settings, SettingsError, redact_url
from profilestack.cross_origin import CrossOriginPolicy, ServedNames, on_this_machine
from profilestack.store.engine import DatabaseUnreachable

if TYPE_CHECKING:
    from sqlalchemy import Connection


KEEP_ALIVE_SECONDS = 65
_STARTUP_FAILURE = 3  # what uvicorn exits with when a server does not start
_BROKEN_PIPE = 128 + signal.SIGPIPE  # the status of a process SIGPIPE ended, as a shell shows it


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {
        "host": getattr(args, "host", None),
        "port": getattr(args, "port", None),
        "data_dir": Path(args.data_dir) if getattr(args, "data_dir", None) else None,
        "db": getattr(args, "db", None),
        "workers": getattr(args, "workers", None),
        "public_url": getattr(args, "public_url", None),
        "tls_cert": getattr(args, "tls_cert", None),
        "tls_key": getattr(args, "tls_key", None),
        "trusted_proxies": ",".join(args.trusted_proxy) if getattr(args, "trusted_proxy", None) else None,
        "cors_origins": ",".join(args.cors_origin) if getattr(args, "cors_origin", None) else None,
        "allowed_hosts": ",".join(args.allowed_host) if getattr(args, "allowed_host", None) else None,
        "log_level": getattr(args, "log_level", None),
    }
    if getattr(args, "no_bootstrap_credentials", False):
        overrides["bootstrap_credentials"] = False
    if getattr(args, "no_outbox_worker", False):
        overrides["outbox_worker"] = False
    try:
        settings = Settings.from_env(**overrides)
        if getattr(args, "account", None):  # --account adds to PROFILESTACK_ACCOUNTS
            settings.accounts = ",".join(filter(None, [settings.accounts, *args.account]))
        settings.check_values()
        settings.root_keys()
        settings.check_tls()
        settings.check_db()
    except SettingsError as error:
        raise SystemExit(f"profilestack: error: {error}") from None
    return settings


def _banner(settings: Settings, backend: str) -> str:
    lines = [
        f"profilestack {__version__} listening on {settings.listen_url}",
        f"  storage: {backend} ({redact_url(settings.database_url)})",
    ]
    if settings.bootstrap_credentials:
        secret = settings.root_secret_key if settings.root_secret_key == "test" else "(as configured)"
        lines.append(
            f"  default credentials: AWS_ACCESS_KEY_ID={settings.root_access_key} "
            f"AWS_SECRET_ACCESS_KEY={secret} (root of account {settings.account_id})"
        )
    else:
        lines.append("  bootstrap credentials disabled")
    for key in settings.root_keys()[1 if settings.bootstrap_credentials else 0:]:
        lines.append(f"  account {key.account}: root with AWS_ACCESS_KEY_ID={key.access_key} (secret as configured)")
    well_known = settings.bootstrap_credentials and settings.root_secret_key == "test"
    if well_known and not on_this_machine(settings.host):
        lines.append(f"  WARNING: listening on {settings.host} with the well-known secret 'test': anyone who can reach "
                     f"this port signs as the root of account {settings.account_id}. Set "
                     "PROFILESTACK_ROOT_SECRET_KEY, or --no-bootstrap-credentials.")
    names = ServedNames(settings.host, settings.public_url, settings.allowed_hosts)
    if names.checked and names.names:
        lines.append(f"  reached as: this machine (localhost, loopback addresses), or {', '.join(sorted(names.names))}")
    policy = CrossOriginPolicy(settings.cors_origins)
    if policy.any_origin or policy.origins:
        shown = "any origin" if policy.any_origin else ", ".join(sorted(policy.origins))
        lines.append(f"  web pages that may call it: this machine's, and {shown}")
        if policy.any_origin and well_known:
            lines.append("  WARNING: any web site open in a browser here may call this server with the well-known "
                         "secret 'test'. Name the origins that need it instead of '*', or set "
                         "PROFILESTACK_ROOT_SECRET_KEY.")
    return "\n".join(lines)


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from profilestack import http_protocol
    from profilestack.app import App
    from profilestack.server import AsgiApp

    settings = _settings(args)
    logs.configure(settings.log_level)
    common = {"host": settings.host, "port": settings.port, "log_level": settings.log_level,
              "access_log": False, "lifespan": "on", "loop": "uvloop", "http": http_protocol.IMPORT_STRING,
              # aws:SourceIp is the connection's address: only a trusted proxy's X-Forwarded-For may say otherwise
              "proxy_headers": bool(settings.trusted_proxies), "forwarded_allow_ips": settings.trusted_proxies or "",
              "ssl_certfile": settings.tls_cert, "ssl_keyfile": settings.tls_key,
              # idle connections stay open past a client's pause between calls (uvicorn's 5 s met polling loops)
              "timeout_keep_alive": KEEP_ALIVE_SECONDS}
    if settings.workers > 1:
        from uvicorn.supervisors import Multiprocess

        from profilestack.store.database import Database

        database = Database(settings.database_url)
        database.migrate()
        database.check_writable()
        backend = database.backend
        database.dispose()
        settings.metrics_dir = tempfile.mkdtemp(prefix="profilestack-metrics-")  # the workers' shared counts
        os.environ.update(settings.to_env())
        config = uvicorn.Config("profilestack.server:create_app", factory=True, workers=settings.workers, **common)
        try:
            listening = config.bind_socket()  # the address taken before the banner says so (as below)
            print(_banner(settings, backend), flush=True)
            with suppress(KeyboardInterrupt):
                Multiprocess(config, sockets=[listening]).run()
        finally:
            shutil.rmtree(settings.metrics_dir, ignore_errors=True)
        return 0
    app = App(settings)
    config = uvicorn.Config(AsgiApp(app), **common)
    server = uvicorn.Server(config)
    listening = config.bind_socket()  # the address taken before the banner says so: uvicorn exits if it is not free
    print(_banner(settings, app.database.backend), flush=True)
    with suppress(KeyboardInterrupt):
        server.run(sockets=[listening])
    return 0 if server.started else _STARTUP_FAILURE


def worker(args: argparse.Namespace) -> int:
    from profilestack.app import App
    from profilestack.stack_dumps import dump_stacks_on_sigusr1

    settings = _settings(args)
    settings.outbox_worker = True
    logs.configure(settings.log_level)
    app = App(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    dump_stacks_on_sigusr1()
    app.start()
    print(f"profilestack outbox worker {app.outbox.worker_id} on {app.database.backend}", flush=True)
    stop.wait()
    app.close()
    return 0


def migrate(args: argparse.Namespace) -> int:
    from profilestack.store.database import Database

    settings = _settings(args)
    database = Database(settings.database_url)
    database.migrate()
    print(f"schema is current at revision {database.current_revision()} ({database.backend})")
    return 0


def doctor(args: argparse.Namespace) -> int:
    """Report damage to a SQLite database's file, then (with --repair, fix) drift between Customer Profiles domains
    and their service-linked roles."""
    from profilestack.app import App
    from profilestack.services.profiles.service_role import (
        delete_domain_role,
        domains_without_role,
        give_roles_to_domains,
        roles_without_domain,
    )

    settings = _settings(args)
    settings.outbox_worker = False
    if _damaged(settings):
        return 1
    app = App(settings)
    app.audit.start()
    try:
        missing, orphans = domains_without_role(app), roles_without_domain(app)
        for domain in missing:
            print(f"domain without its service-linked role: {domain.arn}")
        for role in orphans:
            print(f"service-linked role without a domain: {role.arn}")
        if not missing and not orphans:
            print("no drift: every domain has its role and every role its domain")
            return 0
        if not args.repair:
            print("run 'profilestack doctor --repair' to fix")
            return 1
        for line in give_roles_to_domains(app):
            print(f"repaired: {line}")
        for role in orphans:
            delete_domain_role(app, {"account": role.account_id, "region": "us-east-1", "role_name": role.name})
            print(f"repaired: {role.arn} deleted by its service")
        return 0
    finally:
        app.close()


def _damaged(settings: Settings, shown: int = 20) -> bool:
    """Whether the database file is damaged, said in a few lines: checked before anything else reads it."""
    from profilestack.store.database import Database

    database = Database(settings.database_url)
    try:
        damage = database.damage()
    finally:
        database.dispose()
    for problem in damage[:shown]:
        print(f"database damaged: {problem}")
    if len(damage) > shown:
        print(f"database damaged: … and {len(damage) - shown} more")
    if damage:
        print("the database file is damaged (a crash of the machine, a disk's fault): restore a copy "
              "'profilestack backup' took, or recover what SQLite can read with its shell's .recover")
    return bool(damage)


def load(args: argparse.Namespace) -> int:
    """Bulk-load profile objects (one JSON document per line) into a domain, with a progress bar."""
    from profilestack.app import App
    from profilestack.services.profiles.domains import NotInDatabase
    from profilestack.services.profiles.loader import load as load_objects

    settings = _settings(args)
    settings.outbox_worker = False
    app = App(settings)
    started = time.monotonic()

    def progress(done: int, total: int, failed: int) -> None:
        rate = done / max(time.monotonic() - started, 1e-9)
        share = done / total if total else 1.0
        bar = "#" * int(share * 30)
        eta = (total - done) / rate if rate else 0
        print(f"\r[{bar:<30}] {share:6.1%} {done:,}/{total:,} objects, {rate:,.0f}/s, "
              f"{failed:,} failed, ETA {eta:,.0f}s", end="", file=sys.stderr, flush=True)

    try:
        result = load_objects(app, args.domain, args.object_type, Path(args.file), args.region,
                              account=args.load_account, batch_size=args.batch_size, progress=progress)
    except NotInDatabase as error:
        return _not_there(args, str(error))
    finally:
        app.close()
    print(file=sys.stderr)
    print(f"loaded {result.loaded:,} objects ({result.failed:,} failed) in {result.seconds:.1f}s "
          f"({result.loaded / max(result.seconds, 1e-9):,.0f}/s)")
    for line in result.first_errors:
        print(f"  {line}")
    return 1 if result.failed else 0


def export(args: argparse.Namespace) -> int:
    """Write a domain's objects of one type as JSON Lines (to standard output, or ``--output``)."""
    from profilestack.services.profiles.domains import NotInDatabase
    from profilestack.services.profiles.exporter import exported_objects

    account = args.export_account or _settings(args).account_id
    with _reading(args) as db:
        try:
            bodies = exported_objects(db, account, args.region, args.domain, args.object_type)
        except NotInDatabase as error:
            return _not_there(args, str(error))
        count = 0
        with _output_file(args.output) if args.output else nullcontext(sys.stdout) as out:
            for body in bodies:
                out.write(body.replace("\n", " ") + "\n")  # one object per line, as ``load`` reads them
                count += 1
    print(f"exported {count:,} {args.object_type} objects", file=sys.stderr)
    return 0


@contextmanager
def _output_file(path: str, binary: bool = False) -> Iterator[IO[Any]]:
    """A file a command writes its output to, removed again when the writing fails (a full disk): no part of an
    export is left to be taken for all of it."""
    with Path(path).open("wb") if binary else Path(path).open("w", encoding="utf-8") as out:
        try:
            yield out
            out.flush()
        except BaseException:
            out.close()
            Path(path).unlink(missing_ok=True)
            raise


def _not_there(args: argparse.Namespace, message: str) -> int:
    """A command's answer when what it was asked about is not in the database it read, which it names: the usual
    cause is a server started with other storage flags (another --data-dir, --db)."""
    print(f"profilestack {args.command}: {message} (in the database {redact_url(_settings(args).database_url)})",
          file=sys.stderr)
    return 1


@contextmanager
def _reading(args: argparse.Namespace) -> Iterator[Connection]:
    """A read-only transaction on the database the storage flags name."""
    from profilestack.store.database import Database

    database = Database(_settings(args).database_url)
    database.migrate()
    try:
        with database.transaction(write=False) as db:
            yield db
    finally:
        database.dispose()


def backup(args: argparse.Namespace) -> int:
    """Copy the SQLite database to a new file: consistent, and while the server runs (SQLite's backup API reads
    one snapshot of it). Restoring is copying the file back as ``profilestack.db`` into a stopped server's data
    directory."""
    import sqlite3

    from sqlalchemy.engine import make_url

    url = make_url(_settings(args).database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        print("profilestack backup copies the SQLite database; back PostgreSQL up with pg_dump.", file=sys.stderr)
        return 2
    source_path, destination = Path(url.database), Path(args.destination)
    if not source_path.exists():
        print(f"There is no database at {source_path}.", file=sys.stderr)
        return 2
    if destination.exists():
        print(f"{destination} exists: profilestack backup does not overwrite a file.", file=sys.stderr)
        return 2
    try:
        target = sqlite3.connect(destination)
    except sqlite3.Error as error:  # its directory missing or not writable
        print(f"{destination} cannot be written: {error}.", file=sys.stderr)
        return 2
    source = sqlite3.connect(source_path)
    try:
        source.backup(target)
    except sqlite3.Error as error:  # its disk full, say: no copy is better than a part of one
        target.close()
        destination.unlink(missing_ok=True)
        print(f"{destination} could not be written whole, and is removed: {error}.", file=sys.stderr)
        return 1
    finally:
        target.close()
        source.close()
    print(f"backed up {source_path} to {destination} ({destination.stat().st_size:,} bytes)")
    return 0


def outbound_requests(args: argparse.Namespace) -> int:
    """Print the profile outbound requests a campaign received, one JSON document per line."""
    from profilestack.services.campaigns.handlers import outbound_requests as requests_of
    from profilestack.services.campaigns.handlers import stored_campaign

    with _reading(args) as db:
        if stored_campaign(db, args.campaign_id) is None:
            return _not_there(args, f"Campaign {args.campaign_id} does not exist.")
        for request in requests_of(db, args.campaign_id):
            print(json.dumps(request))
    return 0


def segment_snapshot(args: argparse.Namespace) -> int:
    """Write a completed segment snapshot's file to standard output (or ``--output``)."""
    from profilestack.gateway.errors import AwsError
    from profilestack.services.profiles.segment_snapshots import snapshot_file

    try:
        with _reading(args) as db:
            _, _, content = snapshot_file(db, args.snapshot_id)
    except AwsError as error:
        return _not_there(args, error.message)
    if args.output:
        with _output_file(args.output, binary=True) as out:
            out.write(content)
    else:
        sys.stdout.buffer.write(content)
    return 0


def _storage_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="directory of the SQLite database (default ./.profilestack)")
    parser.add_argument("--db", help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db")


def _log_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log-level", type=str.lower, choices=LOG_LEVELS,
                        help="what the process logs, from this level up (default warning)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="profilestack", description="Amazon Connect Customer Profiles and the IAM machinery it stands on, "
                                         "self-hosted: an AWS-compatible server and the tools around its data.")
    parser.add_argument("--version", action="version", version=f"profilestack {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve_parser = commands.add_parser("serve", help="run the AWS-compatible server")
    serve_parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve_parser.add_argument("--port", type=int, help="port to listen on (default 4566)")
    serve_parser.add_argument("--public-url", help="where clients reach this server, for the URLs it hands out "
                              "(upload jobs'); default http://HOST:PORT")
    serve_parser.add_argument("--workers", type=int, help="server processes (PostgreSQL or SQLite)")
    serve_parser.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate (chain)")
    serve_parser.add_argument("--tls-key", help="the certificate's PEM private key")
    serve_parser.add_argument("--trusted-proxy", action="append", metavar="ADDRESS",
                              help="a reverse proxy (address or network) whose X-Forwarded-For/-Proto are believed; "
                                   "repeatable")
    serve_parser.add_argument("--cors-origin", action="append", metavar="ORIGIN",
                              help="web pages of this origin (https://app.example.com, or * for any) may call from "
                                   "a browser, besides this machine's; repeatable")
    serve_parser.add_argument("--allowed-host", action="append", metavar="NAME",
                              help="a name besides localhost and loopback addresses by which clients may reach a "
                                   "server listening on loopback (or * for any); repeatable")
    serve_parser.add_argument("--no-bootstrap-credentials", action="store_true",
                              help="do not accept the configured root key pair")
    serve_parser.add_argument("--account", action="append", metavar="ACCOUNT:ACCESS_KEY:SECRET",
                              help="one more account, whose root signs with this key pair (repeatable)")
    serve_parser.add_argument("--no-outbox-worker", action="store_true",
                              help="leave outbox tasks to separate 'profilestack worker' processes")
    _storage_flags(serve_parser)
    _log_flag(serve_parser)
    serve_parser.set_defaults(handler=serve)

    worker_parser = commands.add_parser("worker", help="run an outbox worker process")
    _storage_flags(worker_parser)
    _log_flag(worker_parser)
    worker_parser.set_defaults(handler=worker)

    backup_parser = commands.add_parser("backup", help="copy the SQLite database, while the server runs")
    backup_parser.add_argument("destination", help="the new file to write (never overwritten)")
    _storage_flags(backup_parser)
    backup_parser.set_defaults(handler=backup)

    doctor_parser = commands.add_parser("doctor", help="report drift between domains and service-linked roles")
    doctor_parser.add_argument("--repair", action="store_true", help="create missing roles, delete orphaned ones")
    _storage_flags(doctor_parser)
    doctor_parser.set_defaults(handler=doctor)

    load_parser = commands.add_parser("load", help="bulk-load profile objects from a JSON Lines file")
    load_parser.add_argument("domain", help="the Customer Profiles domain")
    load_parser.add_argument("file", help="one JSON object per line")
    load_parser.add_argument("--object-type", required=True, help="the object type that maps each object")
    load_parser.add_argument("--region", default="us-east-1", help="the domain's region (default us-east-1)")
    load_parser.add_argument("--account", dest="load_account", help="the domain's account (default: the bootstrap "
                             "account, PROFILESTACK_ACCOUNT_ID)")
    load_parser.add_argument("--batch-size", type=int, default=1000, help="objects per transaction")
    _storage_flags(load_parser)
    load_parser.set_defaults(handler=load)

    export_parser = commands.add_parser("export", help="a domain's objects of one type as JSON Lines, for load")
    export_parser.add_argument("domain", help="the Customer Profiles domain")
    export_parser.add_argument("--object-type", required=True, help="the object type whose objects to write")
    export_parser.add_argument("--region", default="us-east-1", help="the domain's region (default us-east-1)")
    export_parser.add_argument("--account", dest="export_account", help="the domain's account (default: the "
                               "bootstrap account)")
    export_parser.add_argument("--output", "-o", help="file to write (default: standard output)")
    _storage_flags(export_parser)
    export_parser.set_defaults(handler=export)

    requests_parser = commands.add_parser("outbound-requests",
                                          help="list the profile outbound requests a campaign received")
    requests_parser.add_argument("campaign_id")
    _storage_flags(requests_parser)
    requests_parser.set_defaults(handler=outbound_requests)

    snapshot_parser = commands.add_parser("segment-snapshot",
                                          help="write a Customer Profiles segment snapshot's file (CSV or JSONL)")
    snapshot_parser.add_argument("snapshot_id")
    snapshot_parser.add_argument("--output", "-o", help="file to write (default: standard output)")
    _storage_flags(snapshot_parser)
    snapshot_parser.set_defaults(handler=segment_snapshot)

    migrate_parser = commands.add_parser("migrate", help="apply database migrations and exit")
    _storage_flags(migrate_parser)
    migrate_parser.set_defaults(handler=migrate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # What profilestack writes — the database (secret keys, customers' data), its backups, snapshot files — is
    # readable by its user alone, whatever the umask it was started with.
    os.umask(0o077)
    try:
        return args.handler(args)
    except DatabaseUnreachable as error:
        raise SystemExit(f"profilestack: error: cannot open the database {redact_url(error.url)}: {error.reason}"
                         ) from None
    except BrokenPipeError:  # its output piped into a reader that stopped (`| head`): done, quietly, as Unix tools are
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the flush at exit has nowhere to fail
        return _BROKEN_PIPE
    except OSError as error:  # a file to read or write that is not there, or not this user's to use
        where = f"{error.filename}: " if error.filename else ""
        raise SystemExit(f"profilestack: error: {where}{error.strerror or error}") from None


if __name__ == "__main__":
    sys.exit(main())
