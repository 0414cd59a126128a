"""CloudWatch metrics (one row per namespace, name and dimension set) and their data points."""

from sqlalchemy import JSON, Column, Float, ForeignKey, Index, Integer, String, Table, UniqueConstraint

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
