"""CloudWatch Contributor Insights rules (PutInsightRule).

Revision ID: 0068
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0068"
down_revision = "0067"


def upgrade() -> None:
    op.create_table("cloudwatch_insight_rules",
                    sa.Column("account_id", sa.String(length=12), nullable=False),
                    sa.Column("region", sa.String(length=32), nullable=False),
                    sa.Column("name", sa.String(length=128), nullable=False),
                    sa.Column("definition", sa.Text(), nullable=False),
                    sa.Column("state", sa.String(length=16), nullable=False),
                    sa.Column("apply_on_transformed_logs", sa.Boolean(), nullable=False),
                    sa.Column("enabled", sa.JSON(), nullable=False),
                    sa.Column("created_at", UtcDateTime, nullable=False),
                    sa.PrimaryKeyConstraint("account_id", "region", "name", name=op.f("pk_cloudwatch_insight_rules")))


def downgrade() -> None:
    op.drop_table("cloudwatch_insight_rules")
