"""CloudTrail Lake integrations: channels and the applications' events they take in.

Revision ID: 0063
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0063"
down_revision = "0062"


def upgrade() -> None:
    op.create_table("cloudtrail_channels",
                    sa.Column("arn", sa.String(length=256), nullable=False),
                    sa.Column("account_id", sa.String(length=12), nullable=False),
                    sa.Column("region", sa.String(length=32), nullable=False),
                    sa.Column("name", sa.String(length=128), nullable=False),
                    sa.Column("source", sa.String(length=256), nullable=False),
                    sa.Column("destinations", sa.JSON(), nullable=False),
                    sa.Column("ingestion_status", sa.JSON(), nullable=False),
                    sa.Column("created_at", UtcDateTime, nullable=False),
                    sa.PrimaryKeyConstraint("arn", name=op.f("pk_cloudtrail_channels")),
                    sa.UniqueConstraint("account_id", "region", "name", name="uq_cloudtrail_channels_name"))
    op.create_table("cloudtrail_activity_events",
                    sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
                    sa.Column("store_arn", sa.String(length=256), nullable=False),
                    sa.Column("event_time", UtcDateTime, nullable=False),
                    sa.Column("record", sa.JSON(), nullable=False),
                    sa.PrimaryKeyConstraint("id", name=op.f("pk_cloudtrail_activity_events")))
    op.create_index("ix_cloudtrail_activity_events_store", "cloudtrail_activity_events", ["store_arn", "event_time"])


def downgrade() -> None:
    op.drop_index("ix_cloudtrail_activity_events_store", table_name="cloudtrail_activity_events")
    op.drop_table("cloudtrail_activity_events")
    op.drop_table("cloudtrail_channels")
