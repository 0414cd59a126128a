"""STS GetSessionToken credentials.

Revision ID: 0012
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0012"
down_revision = "0011"


def upgrade() -> None:
    op.create_table('sts_session_tokens',
    sa.Column('access_key_id', sa.String(length=128), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('secret', sa.String(length=128), nullable=False),
    sa.Column('session_token', sa.Text(), nullable=False),
    sa.Column('user_id', sa.String(length=128), nullable=True),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.Column('expires_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('access_key_id', name=op.f('pk_sts_session_tokens'))
    )
    op.create_index('ix_sts_session_tokens_expiry', 'sts_session_tokens', ['expires_at'], unique=False)
