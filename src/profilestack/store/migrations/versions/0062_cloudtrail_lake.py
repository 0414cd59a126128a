"""CloudTrail Lake: event data stores and queries.

Revision ID: 0062
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0062"
down_revision = "0061"


def upgrade() -> None:
    op.create_table("cloudtrail_event_data_stores",
                    sa.Column("arn", sa.String(length=256), nullable=False),
                    sa.Column("account_id", sa.String(length=12), nullable=False),
                    sa.Column("region", sa.String(length=32), nullable=False),
                    sa.Column("name", sa.String(length=128), nullable=False),
                    sa.Column("status", sa.String(length=32), nullable=False),
                    sa.Column("settings", sa.JSON(), nullable=False),
                    sa.Column("ingestion", sa.JSON(), nullable=False),
                    sa.Column("created_at", UtcDateTime, nullable=False),
                    sa.Column("updated_at", UtcDateTime, nullable=False),
                    sa.Column("deleted_at", UtcDateTime, nullable=True),
                    sa.PrimaryKeyConstraint("arn", name=op.f("pk_cloudtrail_event_data_stores")),
                    sa.UniqueConstraint("account_id", "region", "name", name="uq_cloudtrail_event_data_stores_name"))
    op.create_table("cloudtrail_queries",
                    sa.Column("id", sa.String(length=36), nullable=False),
                    sa.Column("account_id", sa.String(length=12), nullable=False),
                    sa.Column("region", sa.String(length=32), nullable=False),
                    sa.Column("store_arns", sa.JSON(), nullable=False),
                    sa.Column("statement", sa.Text(), nullable=False),
                    sa.Column("status", sa.String(length=16), nullable=False),
                    sa.Column("created_at", UtcDateTime, nullable=False),
                    sa.Column("finished_at", UtcDateTime, nullable=True),
                    sa.Column("statistics", sa.JSON(), nullable=True),
                    sa.Column("error", sa.Text(), nullable=True),
                    sa.Column("columns", sa.JSON(), nullable=True),
                    sa.Column("rows", sa.JSON(), nullable=True),
                    sa.PrimaryKeyConstraint("id", name=op.f("pk_cloudtrail_queries")))
    op.create_index("ix_cloudtrail_queries_account", "cloudtrail_queries", ["account_id", "region", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_cloudtrail_queries_account", table_name="cloudtrail_queries")
    op.drop_table("cloudtrail_queries")
    op.drop_table("cloudtrail_event_data_stores")
