"""CloudWatch metric data query definitions.

Revision ID: 0060
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0060"
down_revision = "0059"


def upgrade() -> None:
    op.create_table("cloudwatch_query_definitions",
                    sa.Column("account_id", sa.String(length=12), nullable=False),
                    sa.Column("region", sa.String(length=32), nullable=False),
                    sa.Column("id", sa.String(length=64), nullable=False),
                    sa.Column("path", sa.Text(), nullable=False),
                    sa.Column("path_digest", sa.String(length=64), nullable=False),
                    sa.Column("expression", sa.Text(), nullable=False),
                    sa.Column("type", sa.String(length=16), nullable=False),
                    sa.Column("created_at", UtcDateTime, nullable=False),
                    sa.Column("updated_at", UtcDateTime, nullable=False),
                    sa.PrimaryKeyConstraint("account_id", "region", "id",
                                            name=op.f("pk_cloudwatch_query_definitions")),
                    sa.UniqueConstraint("account_id", "region", "path_digest",
                                        name="uq_cloudwatch_query_definitions_path"))


def downgrade() -> None:
    op.drop_table("cloudwatch_query_definitions")
