"""Tags of resources whose ARN is longer than 256 characters (an object type or calculated attribute with a long
name).

Revision ID: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"


def upgrade() -> None:
    with op.batch_alter_table('resource_tags') as batch:
        batch.alter_column('resource_arn', existing_type=sa.String(length=256), type_=sa.String(length=2048),
                           existing_nullable=False)
