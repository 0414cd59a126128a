"""CloudTrail trails.

Revision ID: 0041
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0041"
down_revision = "0040"


def upgrade() -> None:
    op.create_table('cloudtrail_trails',
    sa.Column('arn', sa.String(length=256), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('region', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('multi_region', sa.Boolean(), nullable=False),
    sa.Column('is_logging', sa.Boolean(), nullable=False),
    sa.Column('start_logging_at', UtcDateTime, nullable=True),
    sa.Column('stop_logging_at', UtcDateTime, nullable=True),
    sa.Column('event_selectors', sa.JSON(), nullable=True),
    sa.Column('advanced_event_selectors', sa.JSON(), nullable=True),
    sa.Column('insight_selectors', sa.JSON(), nullable=True),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('arn', name=op.f('pk_cloudtrail_trails')),
    sa.UniqueConstraint('account_id', 'name', name='uq_cloudtrail_trails_name')
    )


def downgrade() -> None:
    op.drop_table('cloudtrail_trails')
