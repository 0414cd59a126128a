"""Metric alarms keep the end of a warm-up period running (WarmUpConfiguration), NULL when none is.

Revision ID: 0061
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0061"
down_revision = "0060"


def upgrade() -> None:
    op.add_column("cloudwatch_alarms", sa.Column("warm_up_until", UtcDateTime, nullable=True))


def downgrade() -> None:
    op.drop_column("cloudwatch_alarms", "warm_up_until")
