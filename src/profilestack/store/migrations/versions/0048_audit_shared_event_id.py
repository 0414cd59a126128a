"""The audit trail records a call across accounts in each of them, sharing an event id.

Revision ID: 0048
"""

import sqlalchemy as sa
from alembic import op

revision = "0048"
down_revision = "0047"


def upgrade() -> None:
    # a plain ADD COLUMN: SQLite takes it in place, where a batch operation would copy the whole trail
    op.add_column('audit_events', sa.Column('shared_event_id', sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('audit_events') as batch:
        batch.drop_column('shared_event_id')
