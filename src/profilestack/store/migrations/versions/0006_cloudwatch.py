"""CloudWatch metrics and data points.

Revision ID: 0006
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.create_table('cloudwatch_metrics',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('region', sa.String(length=32), nullable=False),
    sa.Column('namespace', sa.String(length=255), nullable=False),
    sa.Column('metric_name', sa.String(length=255), nullable=False),
    sa.Column('dimensions_key', sa.String(length=2048), nullable=False),
    sa.Column('dimensions', sa.JSON(), nullable=False),
    sa.Column('last_put_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cloudwatch_metrics')),
    sa.UniqueConstraint('account_id', 'region', 'namespace', 'metric_name', 'dimensions_key',
                        name='uq_cloudwatch_metrics_identity')
    )
    op.create_table('cloudwatch_datapoints',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('metric_id', sa.Integer(), nullable=False),
    sa.Column('timestamp', UtcDateTime, nullable=False),
    sa.Column('sample_count', sa.Float(), nullable=False),
    sa.Column('sum', sa.Float(), nullable=False),
    sa.Column('minimum', sa.Float(), nullable=False),
    sa.Column('maximum', sa.Float(), nullable=False),
    sa.Column('samples', sa.JSON(), nullable=True),
    sa.Column('unit', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['metric_id'], ['cloudwatch_metrics.id'],
                            name=op.f('fk_cloudwatch_datapoints_metric_id_cloudwatch_metrics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cloudwatch_datapoints'))
    )
    op.create_index('ix_cloudwatch_datapoints_metric_time', 'cloudwatch_datapoints', ['metric_id', 'timestamp'],
                    unique=False)
    op.create_index('ix_cloudwatch_datapoints_time', 'cloudwatch_datapoints', ['timestamp'], unique=False)
