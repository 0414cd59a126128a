"""CloudWatch metric and composite alarms and their history.

Revision ID: 0026
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0026"
down_revision = "0025"


def upgrade() -> None:
    op.create_table('cloudwatch_alarms',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('region', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('actions_enabled', sa.Boolean(), nullable=False),
    sa.Column('state_value', sa.String(length=32), nullable=False),
    sa.Column('state_reason', sa.Text(), nullable=False),
    sa.Column('state_reason_data', sa.Text(), nullable=True),
    sa.Column('state_updated_at', UtcDateTime, nullable=False),
    sa.Column('state_transitioned_at', UtcDateTime, nullable=False),
    sa.Column('configuration_updated_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cloudwatch_alarms')),
    sa.UniqueConstraint('account_id', 'region', 'name', name='uq_cloudwatch_alarms_name')
    )
    op.create_table('cloudwatch_alarm_history',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('region', sa.String(length=32), nullable=False),
    sa.Column('alarm_name', sa.String(length=255), nullable=False),
    sa.Column('alarm_type', sa.String(length=32), nullable=False),
    sa.Column('timestamp', UtcDateTime, nullable=False),
    sa.Column('item_type', sa.String(length=32), nullable=False),
    sa.Column('summary', sa.String(length=255), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cloudwatch_alarm_history'))
    )
    op.create_index('ix_cloudwatch_alarm_history_alarm', 'cloudwatch_alarm_history',
                    ['account_id', 'region', 'alarm_name', 'id'], unique=False)
    op.create_index('ix_cloudwatch_alarm_history_time', 'cloudwatch_alarm_history', ['timestamp'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_cloudwatch_alarm_history_time', table_name='cloudwatch_alarm_history')
    op.drop_index('ix_cloudwatch_alarm_history_alarm', table_name='cloudwatch_alarm_history')
    op.drop_table('cloudwatch_alarm_history')
    op.drop_table('cloudwatch_alarms')
