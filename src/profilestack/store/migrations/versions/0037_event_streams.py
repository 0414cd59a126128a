"""Customer Profiles event streams.

Revision ID: 0037
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0037"
down_revision = "0036"


def upgrade() -> None:
    op.create_table('profile_event_streams',
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.Column('updated_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('domain_id', 'name', name=op.f('pk_profile_event_streams'))
    )


def downgrade() -> None:
    op.drop_table('profile_event_streams')
