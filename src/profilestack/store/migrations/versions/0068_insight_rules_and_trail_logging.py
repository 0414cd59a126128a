"""CloudWatch Contributor Insights rules (PutInsightRule), and every period a CloudTrail trail logged (what it
delivers to its CloudWatch Logs log group), begun with its last start and stop; whether it logs now is its last
period's being open, no longer a column of its own.

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
                    sa.Column("apply_on_transformed_logs", sa.Boolean(), nullable=False),
                    sa.Column("enabled", sa.JSON(), nullable=False),
                    sa.Column("created_at", UtcDateTime, nullable=False),
                    sa.PrimaryKeyConstraint("account_id", "region", "name", name=op.f("pk_cloudwatch_insight_rules")))
    with op.batch_alter_table("cloudtrail_trails") as trails:
        trails.add_column(sa.Column("logging", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
    table = sa.table("cloudtrail_trails", sa.column("arn", sa.String), sa.column("is_logging", sa.Boolean),
                     sa.column("start_logging_at", UtcDateTime), sa.column("stop_logging_at", UtcDateTime),
                     sa.column("logging", sa.JSON))
    connection = op.get_bind()
    for row in connection.execute(sa.select(table).where(table.c.start_logging_at.is_not(None))).all():
        if row.is_logging:
            periods = [[row.start_logging_at.isoformat(), None]]
        elif row.stop_logging_at is not None and row.stop_logging_at >= row.start_logging_at:
            periods = [[row.start_logging_at.isoformat(), row.stop_logging_at.isoformat()]]
        else:
            continue
        connection.execute(sa.update(table).where(table.c.arn == row.arn).values(logging=periods))
    with op.batch_alter_table("cloudtrail_trails") as trails:
        trails.drop_column("is_logging")


def downgrade() -> None:
    with op.batch_alter_table("cloudtrail_trails") as trails:
        trails.add_column(sa.Column("is_logging", sa.Boolean(), nullable=False, server_default=sa.false()))
        trails.drop_column("logging")
    op.drop_table("cloudwatch_insight_rules")
