"""CloudWatch metrics (one row per namespace, name and dimension set), their data points, metric alarms and their
history, dashboards, metric streams."""

from sqlalchemy import JSON, Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from profilestack.store.metadata import metadata
from profilestack.store.types import UtcDateTime

cloudwatch_metrics = Table(
    "cloudwatch_metrics", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("namespace", String(255), nullable=False),
    Column("metric_name", String(255), nullable=False),
    Column("dimensions_key", String(2048), nullable=False),  # sorted "name=value" pairs: one metric per set
    Column("dimensions", JSON, nullable=False),
    Column("last_put_at", UtcDateTime, nullable=False),
    UniqueConstraint("account_id", "region", "namespace", "metric_name", "dimensions_key",
                     name="uq_cloudwatch_metrics_identity"),
)

# A datum aggregates one or more samples: a Value (count 1), a Values/Counts list, or a StatisticSet.
cloudwatch_datapoints = Table(
    "cloudwatch_datapoints", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("metric_id", Integer, ForeignKey("cloudwatch_metrics.id", ondelete="CASCADE"), nullable=False),
    Column("timestamp", UtcDateTime, nullable=False),
    Column("sample_count", Float, nullable=False),
    Column("sum", Float, nullable=False),
    Column("minimum", Float, nullable=False),
    Column("maximum", Float, nullable=False),
    Column("samples", JSON),  # [[value, count], ...] when known, for percentiles; None for statistic sets
    Column("unit", String(32), nullable=False),
    Index("ix_cloudwatch_datapoints_metric_time", "metric_id", "timestamp"),
    Index("ix_cloudwatch_datapoints_time", "timestamp"),
)

# Metric alarms: the definition PutMetricAlarm gave (tags apart) and the state evaluation keeps.
cloudwatch_alarms = Table(
    "cloudwatch_alarms", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", String(255), nullable=False),
    Column("definition", JSON, nullable=False),
    Column("actions_enabled", Boolean, nullable=False),
    Column("state_value", String(32), nullable=False),
    Column("state_reason", Text, nullable=False),
    Column("state_reason_data", Text),
    Column("state_updated_at", UtcDateTime, nullable=False),
    Column("state_transitioned_at", UtcDateTime, nullable=False),
    Column("configuration_updated_at", UtcDateTime, nullable=False),
    Column("warm_up_until", UtcDateTime),  # the end of a warm-up period running (WarmUpConfiguration); NULL: none
    UniqueConstraint("account_id", "region", "name", name="uq_cloudwatch_alarms_name"),
)

# What happened to alarms (DescribeAlarmHistory), kept 30 days, also after the alarm is deleted.
cloudwatch_alarm_history = Table(
    "cloudwatch_alarm_history", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("alarm_name", String(255), nullable=False),
    Column("alarm_type", String(32), nullable=False),  # MetricAlarm or CompositeAlarm
    Column("timestamp", UtcDateTime, nullable=False),
    Column("item_type", String(32), nullable=False),
    Column("summary", String(255), nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_cloudwatch_alarm_history_alarm", "account_id", "region", "alarm_name", "id"),
    Index("ix_cloudwatch_alarm_history_time", "timestamp"),
)

# Dashboards: global to the account (their ARNs name no region), the body kept as sent.
cloudwatch_dashboards = Table(
    "cloudwatch_dashboards", metadata,
    Column("account_id", String(12), primary_key=True),
    Column("name", String(255), primary_key=True),
    Column("body", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

def _regional(name: str, key: Column, *columns: Column | UniqueConstraint) -> Table:
    """A kind of resource an account holds per region, named by ``key`` there."""
    return Table(name, metadata, Column("account_id", String(12), primary_key=True),
                 Column("region", String(32), primary_key=True), key, *columns)


cloudwatch_metric_streams = _regional(
    "cloudwatch_metric_streams", Column("name", String(255), primary_key=True),
    Column("definition", JSON, nullable=False),  # the PutMetricStream members that declare it (tags apart)
    Column("state", String(16), nullable=False),  # running, stopped
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Anomaly detection models (PutAnomalyDetector): one per metric and statistic, or per metric math; the id is a
# digest of what the detector watches, so that putting the same one again updates it
cloudwatch_anomaly_detectors = _regional(
    "cloudwatch_anomaly_detectors", Column("detector_id", String(128), primary_key=True),
    Column("definition", JSON, nullable=False),  # the detector, configuration and characteristics as put
    Column("created_at", UtcDateTime, nullable=False),
)

# Alarm mute rules: when the actions of the alarms they name are muted (their status is worked out when asked)
cloudwatch_alarm_mute_rules = _regional(
    "cloudwatch_alarm_mute_rules", Column("name", String(255), primary_key=True),
    Column("definition", JSON, nullable=False),  # Description, Rule, MuteTargets as put
    Column("start_date", UtcDateTime),
    Column("expire_date", UtcDateTime),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Saved metric queries (PutMetricDataQueryDefinition): kept as given, never run; the path is unique per region
cloudwatch_query_definitions = _regional(
    "cloudwatch_query_definitions", Column("id", String(64), primary_key=True),
    Column("path", Text, nullable=False),
    # its SHA-256: what the uniqueness is kept on (1,024 characters of any script can outgrow an index entry)
    Column("path_digest", String(64), nullable=False),
    Column("expression", Text, nullable=False),
    Column("type", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("account_id", "region", "path_digest", name="uq_cloudwatch_query_definitions_path"),
)

# Contributor Insights rules (PutInsightRule): the definition kept as put; ``enabled`` holds when the rule analysed
# log events (periods.py), as a report counts only events that came while it was enabled: ENABLED while the last
# period is open
cloudwatch_insight_rules = _regional(
    "cloudwatch_insight_rules", Column("name", String(128), primary_key=True),
    Column("definition", Text, nullable=False),
    Column("apply_on_transformed_logs", Boolean, nullable=False),
    Column("enabled", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
