"""IAM users' SSH public keys, signing certificates and service-specific credentials.

Revision ID: 0033
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0033"
down_revision = "0032"


def upgrade() -> None:
    op.create_table('iam_user_credentials',
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('user_id', sa.String(length=128), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('fingerprint', sa.String(length=128), nullable=True),
    sa.Column('service_name', sa.String(length=64), nullable=True),
    sa.Column('expires_at', UtcDateTime, nullable=True),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iam_user_credentials'))
    )
    op.create_index('ix_iam_user_credentials_user', 'iam_user_credentials', ['user_id', 'kind'], unique=False)
    op.create_index('ix_iam_user_credentials_fingerprint', 'iam_user_credentials',
                    ['account_id', 'kind', 'fingerprint'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_iam_user_credentials_fingerprint', table_name='iam_user_credentials')
    op.drop_index('ix_iam_user_credentials_user', table_name='iam_user_credentials')
    op.drop_table('iam_user_credentials')
