"""CloudTrail Lake dashboards, and the widget queries of their refreshes.

Revision ID: 0065
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0065"
down_revision = "0064"


def upgrade() -> None:
    op.create_table("cloudtrail_dashboards",
                    sa.Column("arn", sa.String(length=256), nullable=False),
                    sa.Column("account_id", sa.String(length=12), nullable=False),
                    sa.Column("region", sa.String(length=32), nullable=False),
                    sa.Column("name", sa.String(length=128), nullable=False),
                    sa.Column("widgets", sa.JSON(), nullable=False),
                    sa.Column("refresh_schedule", sa.JSON(), nullable=True),
                    sa.Column("termination_protection", sa.Boolean(), nullable=False),
                    sa.Column("created_at", UtcDateTime, nullable=False),
                    sa.Column("updated_at", UtcDateTime, nullable=False),
                    sa.Column("last_refresh_id", sa.String(length=20), nullable=True),
                    sa.Column("last_refresh_failure", sa.Text(), nullable=True),
                    sa.PrimaryKeyConstraint("arn", name=op.f("pk_cloudtrail_dashboards")),
                    sa.UniqueConstraint("account_id", "region", "name", name="uq_cloudtrail_dashboards_name"))
    op.add_column("cloudtrail_queries", sa.Column("refresh_id", sa.String(length=20), nullable=True))
    op.add_column("cloudtrail_queries", sa.Column("query_alias", sa.String(length=256), nullable=True))
    op.create_index("ix_cloudtrail_queries_refresh", "cloudtrail_queries", ["refresh_id"])


def downgrade() -> None:
    op.drop_index("ix_cloudtrail_queries_refresh", table_name="cloudtrail_queries")
    op.drop_column("cloudtrail_queries", "query_alias")
    op.drop_column("cloudtrail_queries", "refresh_id")
    op.drop_table("cloudtrail_dashboards")
