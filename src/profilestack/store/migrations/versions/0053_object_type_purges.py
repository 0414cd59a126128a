"""Object types whose data is still being removed after DeleteProfileObjectType.

Revision ID: 0053
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0053"
down_revision = "0052"


def upgrade() -> None:
    op.create_table('profile_object_type_purges',
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('requested_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('domain_id', 'name', name=op.f('pk_profile_object_type_purges'))
    )


def downgrade() -> None:
    op.drop_table('profile_object_type_purges')
