"""Outbound Campaigns: outbound requests that give channel parameters instead of a profile.

Revision ID: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"


def upgrade() -> None:
    # SQLite cannot relax a column's NOT NULL in place: batch mode copies the table there (ALTER on PostgreSQL)
    with op.batch_alter_table('campaign_outbound_requests') as batch:
        batch.alter_column('profile_id', existing_type=sa.String(length=32), nullable=True)
        batch.add_column(sa.Column('channel_parameters', sa.JSON(), nullable=True))
