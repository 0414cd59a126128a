"""The transactional outbox: side effects written in the same transaction as their cause."""

from sqlalchemy import JSON, Column, Index, Integer, String, Table, Text

from profilestack.store.metadata import metadata
from profilestack.store.types import UtcDateTime

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("status", String(16), nullable=False, default="pending"),  # pending | done | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("available_at", UtcDateTime, nullable=False),
    Column("claimed_by", String(64)),
    Column("claimed_until", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("last_error", Text),
    Index("ix_outbox_ready", "status", "available_at"),
)
