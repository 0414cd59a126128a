"""Customer Profiles segment subscriptions: their members and membership events.

Revision ID: 0030
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0030"
down_revision = "0029"


def upgrade() -> None:
    op.create_table('profile_segment_subscriptions',
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('segment_name', sa.String(length=64), nullable=False),
    sa.Column('schedule', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('message', sa.String(length=1000), nullable=True),
    sa.Column('started_at', UtcDateTime, nullable=False),
    sa.Column('updated_at', UtcDateTime, nullable=False),
    sa.Column('last_executed_at', UtcDateTime, nullable=True),
    sa.Column('next_executed_at', UtcDateTime, nullable=True),
    sa.Column('live_cursor', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('domain_id', 'segment_name', name=op.f('pk_profile_segment_subscriptions'))
    )
    op.create_table('profile_segment_members',
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('segment_name', sa.String(length=64), nullable=False),
    sa.Column('profile_id', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('domain_id', 'segment_name', 'profile_id', name=op.f('pk_profile_segment_members'))
    )
    op.create_table('profile_segment_events',
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('segment_name', sa.String(length=64), nullable=False),
    sa.Column('profile_id', sa.String(length=32), nullable=False),
    sa.Column('event', sa.String(length=8), nullable=False),
    sa.Column('event_type', sa.String(length=8), nullable=False),
    sa.Column('updated_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_profile_segment_events'))
    )
    op.create_index('ix_profile_segment_events_segment', 'profile_segment_events',
                    ['domain_id', 'segment_name', 'seq'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_profile_segment_events_segment', table_name='profile_segment_events')
    op.drop_table('profile_segment_events')
    op.drop_table('profile_segment_members')
    op.drop_table('profile_segment_subscriptions')
