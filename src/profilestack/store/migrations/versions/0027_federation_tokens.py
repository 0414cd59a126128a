"""STS GetFederationToken credentials.

Revision ID: 0027
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0027"
down_revision = "0026"


def upgrade() -> None:
    op.create_table('sts_federation_tokens',
    sa.Column('access_key_id', sa.String(length=128), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('secret', sa.String(length=128), nullable=False),
    sa.Column('session_token', sa.Text(), nullable=False),
    sa.Column('user_id', sa.String(length=128), nullable=True),
    sa.Column('federated_name', sa.String(length=32), nullable=False),
    sa.Column('session_policy', sa.Text(), nullable=True),
    sa.Column('policy_arns', sa.JSON(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('mfa_at', UtcDateTime, nullable=True),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.Column('expires_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('access_key_id', name=op.f('pk_sts_federation_tokens'))
    )
    op.create_index('ix_sts_federation_tokens_expiry', 'sts_federation_tokens', ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_sts_federation_tokens_expiry', table_name='sts_federation_tokens')
    op.drop_table('sts_federation_tokens')
