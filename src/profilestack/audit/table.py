"""The audit trail: one row per call through the gateway, internal calls included."""

from sqlalchemy import JSON, Boolean, Column, Index, Integer, String, Table, Text

from profilestack.store.metadata import metadata
from profilestack.store.types import UtcDateTime

audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("event_time", UtcDateTime, nullable=False),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("event_source", String(128), nullable=False),
    Column("event_name", String(128), nullable=False),
    Column("read_only", Boolean, nullable=False),
    Column("principal_type", String(32)),
    Column("principal_arn", String(2048)),
    Column("principal_id", String(256)),
    Column("username", String(256)),
    Column("access_key_id", String(128)),
    Column("invoked_by", String(128)),
    Column("source_ip", String(64)),
    Column("user_agent", Text),
    Column("request_id", String(64)),
    Column("error_code", String(128)),
    Column("error_message", Text),
    Column("request_parameters", JSON),
    Column("resources", JSON),  # [{"ResourceType": ..., "ResourceName": ...}]
    Column("shared_event_id", String(36)),  # a call recorded in each account it touched: the first event's id
    Column("session_context", JSON),  # userIdentity.sessionContext, for calls made with temporary credentials
    Column("tls_details", JSON),  # tlsDetails, for calls that came over TLS
    Column("response_elements", JSON),  # responseElements: what a call that changed something answered
    Index("ix_audit_account_time", "account_id", "event_time"),
    Index("ix_audit_account_name", "account_id", "event_name"),
    Index("ix_audit_access_key", "access_key_id", "seq"),
)
