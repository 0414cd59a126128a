"""Customer Profiles segment snapshots.

Revision ID: 0039
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0039"
down_revision = "0038"


def upgrade() -> None:
    op.create_table('profile_segment_snapshots',
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('segment_name', sa.String(length=64), nullable=False),
    sa.Column('data_format', sa.String(length=8), nullable=False),
    sa.Column('encryption_key', sa.String(length=255), nullable=True),
    sa.Column('role_arn', sa.String(length=512), nullable=True),
    sa.Column('destination_uri', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('message', sa.String(length=1000), nullable=True),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.Column('completed_at', UtcDateTime, nullable=True),
    sa.Column('profile_count', sa.Integer(), nullable=True),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.PrimaryKeyConstraint('domain_id', 'id', name=op.f('pk_profile_segment_snapshots'))
    )
    op.create_index('ix_profile_segment_snapshots_segment', 'profile_segment_snapshots',
                    ['domain_id', 'segment_name'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_profile_segment_snapshots_segment', table_name='profile_segment_snapshots')
    op.drop_table('profile_segment_snapshots')
