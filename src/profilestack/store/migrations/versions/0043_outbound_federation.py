"""IAM outbound identity federation: each account's switch and signing keys.

Revision ID: 0043
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0043"
down_revision = "0042"


def upgrade() -> None:
    op.create_table('iam_outbound_federation',
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('key_id', sa.String(length=32), nullable=False),
    sa.Column('rsa_key', sa.Text(), nullable=False),
    sa.Column('ec_key', sa.Text(), nullable=False),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_iam_outbound_federation'))
    )


def downgrade() -> None:
    op.drop_table('iam_outbound_federation')
