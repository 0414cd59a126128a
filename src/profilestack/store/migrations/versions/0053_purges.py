"""Deleted things whose data is still being removed (object types, segment subscriptions), and the index that
finds the keys an object type gave.

Revision ID: 0053
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0053"
down_revision = "0052"


def upgrade() -> None:
    op.create_table('profile_purges',
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('requested_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('domain_id', 'kind', 'name', name=op.f('pk_profile_purges'))
    )
    op.create_index('ix_profile_keys_origin', 'profile_keys', ['domain_id', 'origin'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_profile_keys_origin', table_name='profile_keys')
    op.drop_table('profile_purges')
