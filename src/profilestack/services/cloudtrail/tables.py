"""CloudTrail trails (trails.py) and Lake's event data stores, channels and queries. AWS's events are the audit
trail's (audit/table.py); applications' events, sent through channels, are kept here."""

from sqlalchemy import JSON, Boolean, Column, Index, Integer, String, Table, Text, UniqueConstraint, text

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
    Column("start_logging_at", UtcDateTime),
    Column("stop_logging_at", UtcDateTime),
    # every period it logged (periods.py): it logs while the last is open
    Column("logging", JSON, nullable=False, server_default=text("'[]'")),
    Column("event_selectors", JSON),  # None: the default (all management events)
    Column("advanced_event_selectors", JSON),
    Column("insight_selectors", JSON),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("account_id", "name", name="uq_cloudtrail_trails_name"),
)

# CloudTrail Lake (event_data_stores.py, lake_queries.py): a store is a view of the audit trail (the events since
# it was made, while it ingests, that its selectors take), not a copy of it
cloudtrail_event_data_stores = Table(
    "cloudtrail_event_data_stores", metadata,
    Column("arn", String(256), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),  # its home region
    Column("name", String(128), nullable=False),
    Column("status", String(32), nullable=False),
    Column("settings", JSON, nullable=False),  # selectors, retention, protection, multi-Region, as put
    Column("ingestion", JSON, nullable=False),  # [[started, stopped or None], ...]: when it took events in
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("deleted_at", UtcDateTime),  # set while PENDING_DELETION
    UniqueConstraint("account_id", "region", "name", name="uq_cloudtrail_event_data_stores_name"),
)

cloudtrail_queries = Table(
    "cloudtrail_queries", metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("store_arns", JSON, nullable=False),  # the stores its statement names, in order
    Column("statement", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("statistics", JSON),  # events scanned and matched, bytes, milliseconds
    Column("error", Text),
    Column("columns", JSON),
    Column("rows", JSON),  # the answer, every value as text
    Column("refresh_id", String(20)),  # a dashboard refresh's widget query: the refresh, and the widget's alias
    Column("query_alias", String(256)),
    Index("ix_cloudtrail_queries_account", "account_id", "region", "created_at"),
    Index("ix_cloudtrail_queries_refresh", "refresh_id"),
)

# Lake integrations (channels.py, activity_events.py): a channel takes applications' events (PutAuditEvents) into
# its destination stores, each of which keeps its own copy
cloudtrail_channels = Table(
    "cloudtrail_channels", metadata,
    Column("arn", String(256), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", String(128), nullable=False),
    Column("source", String(256), nullable=False),
    Column("destinations", JSON, nullable=False),  # [{"Type": "EVENT_DATA_STORE", "Location": store ARN}, ...]
    Column("ingestion_status", JSON, nullable=False),  # GetChannel's IngestionStatus
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("account_id", "region", "name", name="uq_cloudtrail_channels_name"),
)

cloudtrail_activity_events = Table(
    "cloudtrail_activity_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("store_arn", String(256), nullable=False),
    Column("event_time", UtcDateTime, nullable=False),  # the event's own eventTime
    Column("record", JSON, nullable=False),  # the event as Lake shows it: CloudTrail's fields and its eventData
    Index("ix_cloudtrail_activity_events_store", "store_arn", "event_time"),
)

# The resource-based policies event data stores, channels and dashboards hold (resource_policies.py)
cloudtrail_resource_policies = Table(
    "cloudtrail_resource_policies", metadata,
    Column("arn", String(256), primary_key=True),  # the resource's
    Column("policy", Text, nullable=False),
)

# Lake dashboards (dashboards.py): widgets' queries, run as CloudTrail itself on each refresh
cloudtrail_dashboards = Table(
    "cloudtrail_dashboards", metadata,
    Column("arn", String(256), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", String(128), nullable=False),
    Column("widgets", JSON, nullable=False),  # as answered: QueryAlias, QueryStatement, QueryParameters, ViewProperties
    Column("refresh_schedule", JSON),
    Column("termination_protection", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("last_refresh_id", String(20)),
    Column("last_refresh_failure", Text),  # why the last scheduled refresh failed
    UniqueConstraint("account_id", "region", "name", name="uq_cloudtrail_dashboards_name"),
)
