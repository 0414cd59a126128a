"""CloudWatch metric streams (PutMetricStream).

Revision ID: 0047
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0047"
down_revision = "0046"


def upgrade() -> None:
    op.create_table('cloudwatch_metric_streams',
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('region', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.Column('updated_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('account_id', 'region', 'name', name=op.f('pk_cloudwatch_metric_streams'))
    )


def downgrade() -> None:
    op.drop_table('cloudwatch_metric_streams')
