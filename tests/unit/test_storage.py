"""Schema migrations, settings, and SQLite's write-ahead log under steady writes."""

from __future__ import annotations

import io
import json
import logging
import os
import threading
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError

from profilestack.config import Settings, redact_url
from profilestack.logs import FORMAT, WithoutRowValues
from profilestack.services.cloudtrail.tables import cloudtrail_trails
from profilestack.services.iam.tables import iam_access_keys
from profilestack.store.checkpoints import WalCheckpointer
from profilestack.store.database import MIGRATIONS_DIR, Database
from profilestack.store.engine import DatabaseUnreachable, make_engine
from profilestack.store.metadata import metadata
from profilestack.store.migrations import HEAD_REVISION


def test_head_revision_constant_matches_the_newest_migration() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION


def test_migrate_creates_the_schema_once(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'x.db'}")
    assert database.current_revision() is None
    database.migrate()
    assert database.current_revision() == HEAD_REVISION
    database.migrate()  # a second start finds nothing to do
    assert database.current_revision() == HEAD_REVISION


def test_a_schema_a_newer_version_made_is_refused_in_a_sentence(tmp_path: Path) -> None:
    """Not an Alembic traceback: this version cannot know what the newer one's tables hold, nor go back to it."""
    database = Database(f"sqlite:///{tmp_path / 'x.db'}")
    database.migrate()
    with database.transaction() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_later'")
    with pytest.raises(DatabaseUnreachable) as refused:
        database.migrate()
    assert refused.value.reason == ("its schema is at revision 9999_later, which this profilestack does not know: a "
                                    "newer version made it")
    database.dispose()


def test_a_file_that_is_not_a_database_is_refused_in_a_sentence(tmp_path: Path) -> None:
    path = tmp_path / "profilestack.db"
    path.write_bytes(b"not SQLite at all, " * 500)  # a file put there by mistake, or overwritten
    database = Database(f"sqlite:///{path}")
    with pytest.raises(DatabaseUnreachable) as refused:
        database.migrate()
    assert refused.value.reason == "file is not a database"
    database.dispose()


def test_settings_come_from_flags_over_environment() -> None:
    environ = {"PROFILESTACK_PORT": "5000", "PROFILESTACK_BOOTSTRAP_CREDENTIALS": "false",
               "PROFILESTACK_DB": "postgresql+psycopg://u:pw@h/db"}
    settings = Settings.from_env(environ, port=6000)
    assert settings.port == 6000
    assert settings.bootstrap_credentials is False
    assert settings.database_url == "postgresql+psycopg://u:pw@h/db"
    assert Settings.from_env({}).database_url.endswith(".profilestack/profilestack.db")


def test_database_passwords_are_redacted_for_logs() -> None:
    assert redact_url("postgresql+psycopg://user:secret@db:5432/x") == "postgresql+psycopg://user:***@db:5432/x"
    assert redact_url("sqlite:////tmp/a.db") == "sqlite:////tmp/a.db"


SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def _access_key(**changes: object) -> dict[str, object]:
    return {"access_key_id": "AKIAEXAMPLE", "account_id": "000000000000", "user_id": "AIDAEXAMPLE",
            "secret": SECRET, "status": "Active", "created_at": datetime.now(UTC), **changes}


def _refused(database: Database, row: dict[str, object]) -> IntegrityError:
    with pytest.raises(IntegrityError) as refused, database.transaction() as connection:
        connection.execute(insert(iam_access_keys).values(**row))
    return refused.value


def test_a_database_error_does_not_carry_the_values_written(database: Database) -> None:
    """A statement the database refuses is reported without the values it bound: they may be secrets."""
    with database.transaction() as connection:
        connection.execute(insert(iam_access_keys).values(**_access_key()))
    error = _refused(database, _access_key())  # the same key id again
    assert "iam_access_keys" in str(error)  # the statement is still named
    assert SECRET not in "".join(traceback.format_exception(error))


def test_the_log_withholds_the_values_of_a_row_postgresql_refused(database: Database) -> None:
    """PostgreSQL describes a row that breaks a NOT NULL constraint by all its values; the processes' log format
    keeps them out of the message and the traceback alike."""
    error = _refused(database, _access_key(status=None))
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(WithoutRowValues(FORMAT))
    log = logging.getLogger("tests.refused-row")
    log.addHandler(handler)
    try:
        log.error("refused: %s", error, exc_info=error)
    finally:
        log.removeHandler(handler)
    written = stream.getvalue()
    assert "NOT NULL constraint failed" in written or "violates not-null constraint" in written
    assert SECRET not in written
    if database.backend == "postgresql":
        assert "Failing row contains (values withheld)" in written


def test_the_write_ahead_log_starts_over_under_steady_writes(tmp_path: Path) -> None:
    """A writer that never pauses for long must not grow the log without bound (it reached 3 GB in a bulk load)."""
    path = tmp_path / "wal.db"
    engine = make_engine(f"sqlite:///{path}")
    writer_lock = threading.RLock()
    checkpointer = WalCheckpointer(engine, writer_lock, interval=0.05, restart_after_pages=256)  # 1 MB
    writer = engine.raw_connection()
    driver = writer.driver_connection
    driver.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)")
    written = largest_log = 0
    try:
        while written < 24_000_000:
            with writer_lock:
                driver.execute("BEGIN IMMEDIATE")
                driver.executemany("INSERT INTO t (body) VALUES (?)", [(bytes(4000),)] * 25)
                driver.execute("COMMIT")
            written += 100_000
            largest_log = max(largest_log, (tmp_path / "wal.db-wal").stat().st_size)
            time.sleep(0.001)
    finally:
        checkpointer.stop()
        writer.close()
        engine.dispose()
        checkpointer.close()
    assert largest_log < written // 2, f"the log reached {largest_log:,} bytes for {written:,} written"


def _descriptors_of(path: Path) -> int:
    return sum(1 for link in Path("/proc/self/fd").iterdir() if os.path.realpath(link) == str(path))


def test_the_checkpointers_own_descriptor_of_the_file_is_closed_with_the_database(tmp_path: Path) -> None:
    """It is opened to sync the file before writers are held, and kept until every connection is closed."""
    path = (tmp_path / "x.db").resolve()
    database = Database(f"sqlite:///{path}")
    database.migrate()
    for _ in range(200):  # the checkpointer's thread opens it once it has connected
        if _descriptors_of(path) >= 2:
            break
        time.sleep(0.01)
    assert _descriptors_of(path) >= 2  # a connection's and the checkpointer's
    database.dispose()
    assert _descriptors_of(path) == 0


def test_a_database_that_cannot_be_opened_leaves_the_checkpointer_quiet(tmp_path: Path, monkeypatch) -> None:
    """The server says in one line that it cannot open the database (a full disk, say) and stops; the
    checkpointer's thread, started beside it, tried again each tick rather than dying with a traceback."""
    died: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", died.append)
    database = Database(f"sqlite:///{tmp_path / 'not-there' / 'x.db'}")  # a directory that does not exist
    time.sleep(0.6)  # two ticks or more
    database.dispose()
    assert died == []


def test_multi_row_inserts_number_postgresql_markers_on_across_rows() -> None:
    from profilestack.store.prepared import _multi_row

    rows = _multi_row("INSERT INTO t (a, b) VALUES ($1::INTEGER, $2::VARCHAR) RETURNING t.id")
    assert rows(1) == "INSERT INTO t (a, b) VALUES ($1::INTEGER, $2::VARCHAR) RETURNING t.id"
    assert rows(3) == ("INSERT INTO t (a, b) VALUES ($1::INTEGER, $2::VARCHAR), ($3::INTEGER, $4::VARCHAR), "
                       "($5::INTEGER, $6::VARCHAR) RETURNING t.id")
    assert _multi_row("INSERT INTO t (a) VALUES (?)")(2) == "INSERT INTO t (a) VALUES (?), (?)"
    assert _multi_row("INSERT INTO t (a) SELECT $1") is None


def test_the_migrations_build_the_schema_the_code_declares(database_url: str) -> None:
    """Tables, columns, types and indexes the code uses (its SQLAlchemy metadata) are exactly what the migrations
    create, run one by one, on each backend: a column added to a table without a migration fails here, not on a
    user's database (a new, empty database is given the declared schema directly)."""
    import profilestack.app  # noqa: F401  every module's tables, registered on the metadata

    database = Database(database_url)
    try:
        database.migrate(replay=True)
        with database.engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), metadata) == []
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION
    finally:
        database.dispose()


def test_an_empty_database_gets_the_declared_schema_at_the_newest_revision(database: Database) -> None:
    """What a new database is given at once is the schema the migrations build, stamped as their newest revision:
    later migrations apply to it as to any other."""
    with database.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []
    assert database.current_revision() == HEAD_REVISION


def _database_at(database_url: str, revision: str) -> Database:
    """The database migrated up to ``revision`` only, to be given rows of that schema and then migrated on."""
    from alembic import command

    database = Database(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return database


def test_a_database_holding_data_upgrades_to_the_newest_schema(database_url: str) -> None:
    """Rows written under an older schema survive the migrations after it (here the outbound requests table, which
    a later migration rebuilds on SQLite to let it hold requests without a profile)."""
    database = _database_at(database_url, "0017")
    with database.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO campaign_outbound_requests (id, campaign_id, client_token, profile_id, requested_by, "
            "created_at) VALUES ('r1', 'c1', 't1', 'p1', 'me', '2026-01-01 00:00:00.000000')"))
    database.migrate()
    assert database.current_revision() == HEAD_REVISION
    with database.engine.begin() as connection:
        kept = connection.execute(text("SELECT id, profile_id FROM campaign_outbound_requests")).all()
        assert [tuple(row) for row in kept] == [("r1", "p1")]
        connection.execute(text(
            "INSERT INTO campaign_outbound_requests (id, campaign_id, client_token, requested_by, created_at) "
            "VALUES ('r2', 'c1', 't2', 'me', '2026-01-01 00:00:00.000000')"))  # no profile: allowed now
    database.dispose()


def test_trails_saved_before_their_logging_periods_are_given_their_last_one(database_url: str) -> None:
    """Migration 0068 keeps every period a trail logged; a trail saved before it is given the period its last start
    and stop make, logging or not, and one never started none."""
    database = _database_at(database_url, "0067")
    rows = {"on": (True, "2026-01-01 10:00:00.000000", None),
            "off": (False, "2026-01-01 10:00:00.000000", "2026-01-01 11:00:00.000000"),
            "restarted": (True, "2026-01-01 12:00:00.000000", "2026-01-01 11:00:00.000000"),
            "never": (False, None, None)}
    with database.engine.begin() as connection:
        for name, (logging, started, stopped) in rows.items():
            connection.execute(text(
                "INSERT INTO cloudtrail_trails (arn, account_id, region, name, settings, multi_region, is_logging, "
                "start_logging_at, stop_logging_at, created_at) VALUES (:arn, '111122223333', 'us-east-1', :name, "
                "'{}', false, :logging, :started, :stopped, '2026-01-01 00:00:00.000000')"),
                {"arn": f"arn:aws:cloudtrail:us-east-1:111122223333:trail/{name}", "name": name, "logging": logging,
                 "started": started, "stopped": stopped})
    database.migrate()
    with database.transaction(write=False) as connection:
        periods = {row.name: row.logging for row in connection.execute(select(cloudtrail_trails))}
    assert periods == {"on": [["2026-01-01T10:00:00+00:00", None]],
                       "off": [["2026-01-01T10:00:00+00:00", "2026-01-01T11:00:00+00:00"]],
                       "restarted": [["2026-01-01T12:00:00+00:00", None]], "never": []}
    database.dispose()


def test_roles_saved_before_trust_principals_are_given_them(database_url: str) -> None:
    """A role saved before migration 0049 trusted the users and roles its policy names by name; the upgrade holds
    the ones that exist by id, as saving the policy now would (a name of nobody stays a name)."""
    database = _database_at(database_url, "0049")
    user_arn, gone_arn = "arn:aws:iam::111122223333:user/Alice", "arn:aws:iam::111122223333:user/gone"
    written_arn = "arn:aws:iam::111122223333:user/alice"  # IAM names match whatever their case
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": [written_arn, gone_arn, "arn:aws:iam::111122223333:root"]},
         "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/helper"}, "Action": "sts:AssumeRole"},
    ]})
    with database.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO iam_users (id, account_id, name, name_key, path, arn, created_at) VALUES "
            "('AIDAALICE', '111122223333', 'Alice', 'alice', '/', :arn, '2026-01-01 00:00:00.000000')"),
            {"arn": user_arn})
        for role_id, name, policy in (("AROAHELPER", "helper", '{"Statement": []}'), ("AROAOLD", "old", trust)):
            connection.execute(text(
                "INSERT INTO iam_roles (id, account_id, name, name_key, path, arn, created_at, trust_policy, "
                "max_session_duration) VALUES (:id, '111122223333', :name, :name, '/', :arn, "
                "'2026-01-01 00:00:00.000000', :policy, 3600)"),
                {"id": role_id, "name": name, "arn": f"arn:aws:iam::111122223333:role/{name}", "policy": policy})
    database.migrate()
    with database.engine.connect() as connection:
        held = dict(connection.execute(text("SELECT id, trust_principals FROM iam_roles")).all())
    database.dispose()
    decoded = {role_id: json.loads(value) if isinstance(value, str) else value for role_id, value in held.items()}
    assert decoded == {"AROAHELPER": None, "AROAOLD": {written_arn: "AIDAALICE",
                                                       "arn:aws:iam::111122223333:role/helper": "AROAHELPER"}}


def test_phone_keys_kept_before_e164_forms_gain_them(database_url: str) -> None:
    """A profile's _phone key and an object type's key of PHONE_NUMBER fields, kept before 0055 as sent, are also
    kept in E.164 form; keys of other fields, and values in E.164 form already or no phone number, gain nothing."""
    database = _database_at(database_url, "0054")
    definition = json.dumps({"Fields": {"tel": {"Source": "_source.tel", "ContentType": "PHONE_NUMBER"},
                                        "ref": {"Source": "_source.ref"}},
                             "Keys": {"caller": [{"FieldNames": ["tel"]}], "ref": [{"FieldNames": ["ref"]}]}})
    with database.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO profile_object_types (domain_id, name, definition, created_at, updated_at) VALUES "
            "(1, 'Call', :definition, '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000')"),
            {"definition": definition})
        for name, value, origin in (("_phone", "(555)-123-4567", "profile"), ("_phone", "+15550001111", "profile"),
                                    ("_phone", "n/a", "profile"), ("caller", "555 765 4321", "object:Call"),
                                    ("ref", "555 765 4321", "object:Call")):
            connection.execute(text(
                "INSERT INTO profile_keys (domain_id, key_name, key_value, profile_id, origin) VALUES "
                "(1, :name, :value, 'p1', :origin)"), {"name": name, "value": value, "origin": origin})
    database.migrate()
    with database.engine.connect() as connection:
        kept = {tuple(row) for row in connection.execute(text("SELECT key_name, key_value, origin FROM profile_keys"))}
    database.dispose()
    assert kept == {("_phone", "(555)-123-4567", "profile"), ("_phone", "+15551234567", "profile"),
                    ("_phone", "+15550001111", "profile"), ("_phone", "n/a", "profile"),
                    ("caller", "555 765 4321", "object:Call"), ("caller", "+15557654321", "object:Call"),
                    ("ref", "555 765 4321", "object:Call")}


def test_profile_fields_outside_their_enum_take_its_spelling_or_their_free_text_form(database_url: str) -> None:
    """Values an object type mapped into Gender, PartyType or ProfileType before 0066 are respelled as values
    mapped since are; the object type a moved value came from moves with it; valid values stay as they are."""
    database = _database_at(database_url, "0065")
    stored = {
        "p1": ({"Gender": "female", "PartyType": "Person", "FirstName": "Ada"},
               {"Gender": "Lead", "PartyType": "Lead"}),
        "p2": ({"Gender": "MALE", "ProfileType": "lead", "GenderString": "m"}, {}),
        "p3": ({"Gender": "other", "GenderString": "kept"}, {"Gender": "Lead"}),
        "p4": ({"FirstName": "Grace"}, {}),
    }
    with database.engine.begin() as connection:
        for profile_id, (fields, sources) in stored.items():
            connection.execute(text(
                "INSERT INTO profile_profiles (id, domain_id, fields, field_sources, created_at, updated_at) VALUES "
                "(:id, 1, :fields, :sources, '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000')"),
                {"id": profile_id, "fields": json.dumps(fields), "sources": json.dumps(sources)})
    database.migrate()
    with database.engine.connect() as connection:
        rows = {row[0]: (_json(row[1]), _json(row[2])) for row in connection.execute(
            text("SELECT id, fields, field_sources FROM profile_profiles"))}
    database.dispose()
    assert rows == {
        "p1": ({"Gender": "FEMALE", "PartyTypeString": "Person", "FirstName": "Ada"},
               {"Gender": "Lead", "PartyTypeString": "Lead"}),
        "p2": ({"Gender": "MALE", "GenderString": "m"}, {}),  # no free-text form for ProfileType: dropped
        "p3": ({"GenderString": "kept"}, {}),  # the free-text form already held a value: it stays
        "p4": ({"FirstName": "Grace"}, {}),
    }


def _json(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value


def test_a_key_lookup_keeps_to_its_index_once_the_domain_has_grown(database: Database) -> None:
    """A statement run while the domain was small is planned again, with the table as it is, after it has grown:
    PostgreSQL's generic plan, settled on after five runs, went through the index on the domain alone."""
    if database.backend != "postgresql":
        pytest.skip("SQLite plans each statement as it prepares it")
    lookup = "SELECT profile_id FROM profile_keys WHERE domain_id = $1 AND key_name = $2 AND key_value = $3"
    with database.transaction() as db:
        driver = db.connection.dbapi_connection
        driver.execute(f"PREPARE lookup(int, varchar, varchar) AS {lookup}")
        for _ in range(6):  # what makes PostgreSQL settle on a generic plan
            driver.execute("EXECUTE lookup(1, '_email', 'a@example.com')").fetchall()
        driver.execute("INSERT INTO profile_keys (domain_id, key_name, key_value, profile_id, origin) "
                       "SELECT 1, '_email', 'c' || n || '@example.com', md5(n::text), 'Order' "
                       "FROM generate_series(1, 20000) AS n")
        plan = "\n".join(row[0] for row in driver.execute("EXPLAIN EXECUTE lookup(1, '_email', 'a@example.com')"))
    assert "pk_profile_keys" in plan, plan
