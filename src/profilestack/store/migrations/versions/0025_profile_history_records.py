"""Customer Profiles history records.

Revision ID: 0025
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0025"
down_revision = "0024"


def upgrade() -> None:
    op.create_table('profile_history_records',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.String(length=32), nullable=False),
    sa.Column('action_type', sa.String(length=32), nullable=False),
    sa.Column('object_type', sa.String(length=255), nullable=False),
    sa.Column('unique_key', sa.String(length=255), nullable=True),
    sa.Column('performed_by', sa.String(length=255), nullable=True),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.Column('expires_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_profile_history_records'))
    )
    op.create_index('ix_profile_history_records_profile', 'profile_history_records',
                    ['domain_id', 'profile_id', 'seq'], unique=False)
    op.create_index('ix_profile_history_records_expiry', 'profile_history_records', ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_profile_history_records_expiry', table_name='profile_history_records')
    op.drop_index('ix_profile_history_records_profile', table_name='profile_history_records')
    op.drop_table('profile_history_records')
