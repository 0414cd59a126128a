"""STS scoped-down credentials (GetScopedCredentials).

Revision ID: 0045
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0045"
down_revision = "0044"


def upgrade() -> None:
    op.create_table('sts_scoped_credentials',
    sa.Column('access_key_id', sa.String(length=128), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('secret', sa.String(length=128), nullable=False),
    sa.Column('session_token', sa.Text(), nullable=False),
    sa.Column('base_access_key_id', sa.String(length=128), nullable=False),
    sa.Column('scope_policies', sa.JSON(), nullable=False),
    sa.Column('description', sa.String(length=256), nullable=True),
    sa.Column('mfa_at', UtcDateTime, nullable=True),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.Column('expires_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('access_key_id', name=op.f('pk_sts_scoped_credentials'))
    )
    op.create_index('ix_sts_scoped_credentials_expiry', 'sts_scoped_credentials', ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_sts_scoped_credentials_expiry', table_name='sts_scoped_credentials')
    op.drop_table('sts_scoped_credentials')
