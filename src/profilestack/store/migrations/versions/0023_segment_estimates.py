"""Customer Profiles segment estimates.

Revision ID: 0023
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0023"
down_revision = "0022"


def upgrade() -> None:
    op.create_table('profile_segment_estimates',
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('query', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('estimate', sa.String(length=255), nullable=True),
    sa.Column('message', sa.String(length=255), nullable=True),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('domain_id', 'id', name=op.f('pk_profile_segment_estimates'))
    )
