"""Customer Profiles recommenders: their schemas, filters, definitions and trained versions.

Revision ID: 0057
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0057"
down_revision = "0056"


def _held(name: str, key_length: int, *columns: sa.Column) -> None:
    op.create_table(name,
                    sa.Column("domain_id", sa.Integer(), nullable=False),
                    sa.Column("name", sa.String(length=key_length), nullable=False),
                    *columns,
                    sa.Column("definition", sa.JSON(), nullable=False),
                    sa.Column("created_at", UtcDateTime, nullable=False),
                    sa.Column("updated_at", UtcDateTime, nullable=False),
                    sa.PrimaryKeyConstraint("domain_id", "name", name=op.f(f"pk_{name}")))


def upgrade() -> None:
    _held("profile_recommender_schemas", 64)
    _held("profile_recommender_filters", 63)
    _held("profile_recommenders", 64,
          sa.Column("status", sa.String(length=16), nullable=False),
          sa.Column("active_version", sa.String(length=100), nullable=True),
          sa.Column("failure", sa.Text(), nullable=True))
    op.create_table("profile_recommender_versions",
                    sa.Column("domain_id", sa.Integer(), nullable=False),
                    sa.Column("recommender", sa.String(length=64), nullable=False),
                    sa.Column("name", sa.String(length=100), nullable=False),
                    sa.Column("status", sa.String(length=16), nullable=False),
                    sa.Column("origin", sa.String(length=16), nullable=False),
                    sa.Column("config", sa.JSON(), nullable=False),
                    sa.Column("model", sa.JSON(), nullable=True),
                    sa.Column("metrics", sa.JSON(), nullable=True),
                    sa.Column("failure", sa.Text(), nullable=True),
                    sa.Column("created_at", UtcDateTime, nullable=False),
                    sa.Column("updated_at", UtcDateTime, nullable=False),
                    sa.PrimaryKeyConstraint("domain_id", "recommender", "name",
                                            name=op.f("pk_profile_recommender_versions")))


def downgrade() -> None:
    for name in ("profile_recommender_versions", "profile_recommenders", "profile_recommender_filters",
                 "profile_recommender_schemas"):
        op.drop_table(name)
