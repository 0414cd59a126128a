"""IAM service last accessed reports, and the account's STS token version preference.

Revision ID: 0035
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0035"
down_revision = "0034"


def upgrade() -> None:
    op.create_table('iam_access_reports',
    sa.Column('job_id', sa.String(length=36), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('arn', sa.String(length=2048), nullable=False),
    sa.Column('granularity', sa.String(length=16), nullable=False),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.Column('services', sa.JSON(), nullable=False),
    sa.Column('entities', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('job_id', name=op.f('pk_iam_access_reports'))
    )
    op.create_index('ix_iam_access_reports_account', 'iam_access_reports', ['account_id', 'created_at'],
                    unique=False)
    op.add_column('iam_account_settings', sa.Column('sts_token_version', sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('iam_account_settings') as batch:
        batch.drop_column('sts_token_version')
    op.drop_index('ix_iam_access_reports_account', table_name='iam_access_reports')
    op.drop_table('iam_access_reports')
