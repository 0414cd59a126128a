"""IAM server certificates.

Revision ID: 0034
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0034"
down_revision = "0033"


def upgrade() -> None:
    op.create_table('iam_server_certificates',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('name_key', sa.String(length=128), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('arn', sa.String(length=2048), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('chain', sa.Text(), nullable=True),
    sa.Column('expiration', UtcDateTime, nullable=False),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iam_server_certificates')),
    sa.UniqueConstraint('account_id', 'name_key', name='uq_iam_server_certificates_name')
    )


def downgrade() -> None:
    op.drop_table('iam_server_certificates')
