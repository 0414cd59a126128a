"""Customer Profiles domain ids are never given again (SQLite's AUTOINCREMENT; PostgreSQL's sequence never reuses
one): a deleted domain's data is purged in the background, and must not become a new domain's meanwhile.

Revision ID: 0052
"""

from alembic import op

revision = "0052"
down_revision = "0051"


def _rebuild(autoincrement: bool) -> None:
    """SQLite sets AUTOINCREMENT when it creates a table: the table is copied into one made so."""
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("profile_domains", recreate="always",
                              table_kwargs={"sqlite_autoincrement": autoincrement}):
        pass


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
