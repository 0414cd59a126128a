"""CloudTrail's resource-based policies on event data stores, channels and dashboards.

Revision ID: 0064
"""

import sqlalchemy as sa
from alembic import op

revision = "0064"
down_revision = "0063"


def upgrade() -> None:
    op.create_table("cloudtrail_resource_policies",
                    sa.Column("arn", sa.String(length=256), nullable=False),
                    sa.Column("policy", sa.Text(), nullable=False),
                    sa.PrimaryKeyConstraint("arn", name=op.f("pk_cloudtrail_resource_policies")))


def downgrade() -> None:
    op.drop_table("cloudtrail_resource_policies")
