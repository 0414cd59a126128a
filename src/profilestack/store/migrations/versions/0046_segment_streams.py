"""Customer Profiles segment membership event streams (AssociateStreamForSegments).

Revision ID: 0046
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0046"
down_revision = "0045"


def upgrade() -> None:
    op.create_table('profile_segment_streams',
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('destination_arn', sa.String(length=2048), nullable=False),
    sa.Column('role_arn', sa.String(length=512), nullable=False),
    sa.Column('associated_at', UtcDateTime, nullable=False),
    sa.Column('disassociated_at', UtcDateTime, nullable=True),
    sa.PrimaryKeyConstraint('domain_id', name=op.f('pk_profile_segment_streams'))
    )


def downgrade() -> None:
    op.drop_table('profile_segment_streams')
