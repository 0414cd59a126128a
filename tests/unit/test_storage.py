"""Schema migrations and settings."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

from profilestack.config import Settings, redact_url
from profilestack.store.database import MIGRATIONS_DIR, Database
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
