"""CloudWatch dashboards.

Revision ID: 0028
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0028"
down_revision = "0027"


def upgrade() -> None:
    op.create_table('cloudwatch_dashboards',
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('account_id', 'name', name=op.f('pk_cloudwatch_dashboards'))
    )


def downgrade() -> None:
    op.drop_table('cloudwatch_dashboards')
