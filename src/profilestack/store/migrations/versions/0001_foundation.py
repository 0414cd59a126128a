"""Foundation: the audit trail and the transactional outbox.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("event_time", UtcDateTime, nullable=False),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("event_source", sa.String(128), nullable=False),
        sa.Column("event_name", sa.String(128), nullable=False),
        sa.Column("read_only", sa.Boolean, nullable=False),
        sa.Column("principal_type", sa.String(32)),
        sa.Column("principal_arn", sa.String(2048)),
        sa.Column("principal_id", sa.String(256)),
        sa.Column("username", sa.String(256)),
        sa.Column("access_key_id", sa.String(128)),
        sa.Column("invoked_by", sa.String(128)),
        sa.Column("source_ip", sa.String(64)),
        sa.Column("user_agent", sa.Text),
        sa.Column("request_id", sa.String(64)),
        sa.Column("error_code", sa.String(128)),
        sa.Column("error_message", sa.Text),
        sa.Column("request_parameters", sa.JSON),
        sa.Column("resources", sa.JSON),
    )
    op.create_index("ix_audit_account_time", "audit_events", ["account_id", "event_time"])
    op.create_index("ix_audit_account_name", "audit_events", ["account_id", "event_name"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("available_at", UtcDateTime, nullable=False),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("claimed_until", UtcDateTime),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("finished_at", UtcDateTime),
        sa.Column("last_error", sa.Text),
    )
    op.create_index("ix_outbox_ready", "outbox", ["status", "available_at"])
