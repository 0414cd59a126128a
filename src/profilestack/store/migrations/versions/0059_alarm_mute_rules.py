"""CloudWatch alarm mute rules.

Revision ID: 0059
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0059"
down_revision = "0058"


def upgrade() -> None:
    op.create_table("cloudwatch_alarm_mute_rules",
                    sa.Column("account_id", sa.String(length=12), nullable=False),
                    sa.Column("region", sa.String(length=32), nullable=False),
                    sa.Column("name", sa.String(length=255), nullable=False),
                    sa.Column("definition", sa.JSON(), nullable=False),
                    sa.Column("start_date", UtcDateTime, nullable=True),
                    sa.Column("expire_date", UtcDateTime, nullable=True),
                    sa.Column("updated_at", UtcDateTime, nullable=False),
                    sa.PrimaryKeyConstraint("account_id", "region", "name",
                                            name=op.f("pk_cloudwatch_alarm_mute_rules")))


def downgrade() -> None:
    op.drop_table("cloudwatch_alarm_mute_rules")
