"""CloudTrail trails (trails.py). The events themselves are the audit trail's (audit/table.py)."""

from sqlalchemy import JSON, Boolean, Column, String, Table, UniqueConstraint

from profilestack.store.metadata import metadata
from profilestack.store.types import UtcDateTime

cloudtrail_trails = Table(
    "cloudtrail_trails", metadata,
    Column("arn", String(256), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),  # the trail's home region
    Column("name", String(128), nullable=False),
    Column("settings", JSON, nullable=False),  # CreateTrail's and UpdateTrail's members, as given
    Column("multi_region", Boolean, nullable=False),
    Column("is_logging", Boolean, nullable=False),
    Column("start_logging_at", UtcDateTime),
    Column("stop_logging_at", UtcDateTime),
    Column("event_selectors", JSON),  # None: the default (all management events)
    Column("advanced_event_selectors", JSON),
    Column("insight_selectors", JSON),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("account_id", "name", name="uq_cloudtrail_trails_name"),
)
