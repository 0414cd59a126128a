"""Outbound Campaigns: Amazon Connect instances onboarded to it.

Revision ID: 0016
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0016"
down_revision = "0015"


def upgrade() -> None:
    op.create_table('connect_instance_configs',
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('region', sa.String(length=32), nullable=False),
    sa.Column('instance_id', sa.String(length=256), nullable=False),
    sa.Column('encryption', sa.JSON(), nullable=False),
    sa.Column('job_status', sa.String(length=16), nullable=True),
    sa.Column('communication_limits', sa.JSON(), nullable=True),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('account_id', 'region', 'instance_id', name=op.f('pk_connect_instance_configs'))
    )
