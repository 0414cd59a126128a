"""IAM account settings (alias, password policy) and users' login profiles.

Revision ID: 0013
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0013"
down_revision = "0012"


def upgrade() -> None:
    op.create_table('iam_account_settings',
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('alias', sa.String(length=63), nullable=True),
    sa.Column('password_policy', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_iam_account_settings')),
    sa.UniqueConstraint('alias', name=op.f('uq_iam_account_settings_alias'))
    )
    op.create_table('iam_login_profiles',
    sa.Column('user_id', sa.String(length=128), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('previous_hashes', sa.JSON(), nullable=False),
    sa.Column('reset_required', sa.Boolean(), nullable=False),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_iam_login_profiles'))
    )
