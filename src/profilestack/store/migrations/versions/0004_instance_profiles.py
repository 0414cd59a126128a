"""IAM instance profiles.

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_table('iam_instance_profiles',
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('name_key', sa.String(length=128), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('arn', sa.String(length=2048), nullable=False),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.Column('role_id', sa.String(length=128), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iam_instance_profiles')),
    sa.UniqueConstraint('account_id', 'name_key', name='uq_iam_instance_profiles_name')
    )
    op.create_index('ix_iam_instance_profiles_role', 'iam_instance_profiles', ['role_id'], unique=False)
