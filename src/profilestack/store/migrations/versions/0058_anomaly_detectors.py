"""CloudWatch anomaly detection models.

Revision ID: 0058
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0058"
down_revision = "0057"


def upgrade() -> None:
    op.create_table("cloudwatch_anomaly_detectors",
                    sa.Column("account_id", sa.String(length=12), nullable=False),
                    sa.Column("region", sa.String(length=32), nullable=False),
                    sa.Column("detector_id", sa.String(length=128), nullable=False),
                    sa.Column("definition", sa.JSON(), nullable=False),
                    sa.Column("created_at", UtcDateTime, nullable=False),
                    sa.PrimaryKeyConstraint("account_id", "region", "detector_id",
                                            name=op.f("pk_cloudwatch_anomaly_detectors")))


def downgrade() -> None:
    op.drop_table("cloudwatch_anomaly_detectors")
