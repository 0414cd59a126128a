"""Role sessions' transitive tag keys.

Revision ID: 0042
"""

import sqlalchemy as sa
from alembic import op

revision = "0042"
down_revision = "0041"


def upgrade() -> None:
    op.add_column('sts_sessions', sa.Column('transitive_tag_keys', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sts_sessions') as batch:
        batch.drop_column('transitive_tag_keys')
