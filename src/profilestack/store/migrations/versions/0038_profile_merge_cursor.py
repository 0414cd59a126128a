"""Where rule-based merging last looked at a domain's profile history.

Revision ID: 0038
"""

import sqlalchemy as sa
from alembic import op

revision = "0038"
down_revision = "0037"


def upgrade() -> None:
    op.add_column('profile_domains', sa.Column('merge_cursor', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('profile_domains') as batch:
        batch.drop_column('merge_cursor')
