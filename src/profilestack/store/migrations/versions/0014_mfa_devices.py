"""IAM virtual MFA devices, and MFA-checked session tokens.

Revision ID: 0014
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0014"
down_revision = "0013"


def upgrade() -> None:
    op.create_table('iam_mfa_devices',
    sa.Column('serial_number', sa.String(length=256), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('seed', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=128), nullable=True),
    sa.Column('enabled_at', UtcDateTime, nullable=True),
    sa.Column('last_step', sa.Integer(), nullable=True),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('serial_number', name=op.f('pk_iam_mfa_devices')),
    sa.UniqueConstraint('id', name=op.f('uq_iam_mfa_devices_id'))
    )
    op.create_index('ix_iam_mfa_devices_user', 'iam_mfa_devices', ['user_id'], unique=False)
    op.add_column('sts_session_tokens', sa.Column('mfa_at', UtcDateTime, nullable=True))
