"""Roles remember the unique ids of the users and roles their trust policy names.

Revision ID: 0049
"""

import sqlalchemy as sa
from alembic import op

revision = "0049"
down_revision = "0048"


def upgrade() -> None:
    op.add_column('iam_roles', sa.Column('trust_principals', sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column('iam_roles', 'trust_principals')
