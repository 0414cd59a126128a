"""Customer Profiles state: domains (regional, per account) and the tags of its resources."""

from sqlalchemy import JSON, Column, Index, Integer, String, Table, UniqueConstraint

from profilestack.store.metadata import metadata
from profilestack.store.types import UtcDateTime

profile_domains = Table(
    "profile_domains", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", String(64), nullable=False),
    Column("arn", String(256), nullable=False),
    Column("default_expiration_days", Integer, nullable=False),
    Column("default_encryption_key", String(255)),
    Column("dead_letter_queue_url", String(255)),
    Column("matching", JSON),
    Column("rule_based_matching", JSON),
    Column("data_store", JSON),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("role_name", String(64)),  # the domain's dedicated service-linked role
    UniqueConstraint("account_id", "region", "name", name="uq_profile_domains_name"),
    Index("ix_profile_domains_role", "account_id", "role_name"),
)

profile_tags = Table(
    "profile_tags", metadata,
    Column("resource_arn", String(256), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("value", String(256), nullable=False),
)
