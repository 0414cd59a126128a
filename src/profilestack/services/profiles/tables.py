"""Customer Profiles state: domains (regional, per account) and the tags of its resources."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from profilestack.store.metadata import metadata
from profilestack.store.types import UtcDateTime


def _held(name: str, *columns: Column) -> Table:
    """A kind of definition a domain holds (definitions.py): its key and columns, the definition as its request
    gave it (tags apart), two dates."""
    return Table(name, metadata, Column("domain_id", Integer, primary_key=True), *columns,
                 Column("definition", JSON, nullable=False), Column("created_at", UtcDateTime, nullable=False),
                 Column("updated_at", UtcDateTime, nullable=False))


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
    Column("profile_count", Integer, nullable=False, server_default="0"),  # GetDomain's Stats, kept exact
    Column("object_count", Integer, nullable=False, server_default="0"),
    Column("total_size", BigInteger, nullable=False, server_default="0"),
    # the history record rule-based merging has looked at the profiles up to; NULL: look at them all again
    Column("merge_cursor", BigInteger),
    UniqueConstraint("account_id", "region", "name", name="uq_profile_domains_name"),
    Index("ix_profile_domains_role", "account_id", "role_name"),
    # an id is never given again, not even the last one after its domain is deleted: a deleted domain's data is
    # purged in the background (domains.PURGE_TASK) and must not become a new domain's
    sqlite_autoincrement=True,
)

profiles_table = Table(
    "profile_profiles", metadata,
    Column("id", String(32), primary_key=True),
    Column("domain_id", Integer, nullable=False),
    Column("fields", JSON, nullable=False),  # the standard profile fields, as the Profile shape names them
    Column("field_sources", JSON, nullable=False),  # field → object type that populated it (for scrubbing)
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_profile_profiles_domain", "domain_id", "id"),
)

# Every searchable key of a profile: predefined (_phone, _email, …), added (AddProfileKey) or from objects.
profile_keys = Table(
    "profile_keys", metadata,
    Column("domain_id", Integer, primary_key=True),
    Column("key_name", String(64), primary_key=True),
    Column("key_value", String(255), primary_key=True),
    Column("profile_id", String(32), primary_key=True),
    # "profile" (standard fields), "key" (AddProfileKey), "object:<type>", or "merged" (a merged profile's fields):
    # a key two of them give is kept once for each, so that it stays while either still gives it
    Column("origin", String(300), primary_key=True),
    Index("ix_profile_keys_profile", "profile_id"),
    Index("ix_profile_keys_origin", "domain_id", "origin"),  # the keys an object type gave (its purge)
)

profile_object_types = _held("profile_object_types", Column("name", String(255), primary_key=True))

profile_objects = Table(
    "profile_objects", metadata,
    Column("domain_id", Integer, primary_key=True),
    Column("object_type", String(255), primary_key=True),
    Column("unique_key", String(255), primary_key=True),
    Column("profile_id", String(32)),
    Column("body", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime),
    Index("ix_profile_objects_profile", "domain_id", "profile_id", "object_type", "created_at", "unique_key"),
    Index("ix_profile_objects_expiry", "expires_at"),
)

# Things deleted whose data is still being removed (purges.py): object types, segment subscriptions
profile_purges = Table(
    "profile_purges", metadata,
    Column("domain_id", Integer, primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("name", String(255), primary_key=True),
    Column("requested_at", UtcDateTime, nullable=False),
)

profile_event_triggers = _held("profile_event_triggers", Column("name", String(64), primary_key=True),
                               Column("object_type", String(255), nullable=False))

profile_calculated_attributes = _held("profile_calculated_attributes", Column("name", String(255), primary_key=True),
                                      Column("object_type", String(255), nullable=False))  # the one it reads

profile_segment_definitions = _held("profile_segment_definitions", Column("name", String(64), primary_key=True))

profile_domain_layouts = _held("profile_domain_layouts", Column("name", String(64), primary_key=True))

profile_intent_definitions = _held("profile_intent_definitions",
                                   Column("intent_domain", String(32), primary_key=True))

# CreateSegmentEstimate's queries and, once counted, their results (kept a day).
profile_segment_estimates = Table(
    "profile_segment_estimates", metadata,
    Column("domain_id", Integer, primary_key=True),
    Column("id", String(32), primary_key=True),
    Column("query", JSON, nullable=False),  # the SegmentQuery, as a segment definition's SegmentGroups
    Column("status", String(16), nullable=False),
    Column("estimate", String(255)),
    Column("message", String(255)),
    Column("created_at", UtcDateTime, nullable=False),
)

# CreateSegmentSnapshot's exports: the file is kept here (profilestack has no S3 to write it to).
profile_segment_snapshots = Table(
    "profile_segment_snapshots", metadata,
    Column("domain_id", Integer, primary_key=True),
    Column("id", String(32), primary_key=True),
    Column("segment_name", String(64), nullable=False),
    Column("data_format", String(8), nullable=False),
    Column("encryption_key", String(255)),
    Column("role_arn", String(512)),
    Column("destination_uri", String(255), nullable=False),
    Column("status", String(16), nullable=False),
    Column("message", String(1000)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("completed_at", UtcDateTime),
    Column("profile_count", Integer),
    Column("content", LargeBinary),  # the exported file
    Index("ix_profile_segment_snapshots_segment", "domain_id", "segment_name"),
)

# Identity resolution jobs (Matching), and the matches of each domain's latest completed job (GetMatches).
profile_identity_resolution_jobs = Table(
    "profile_identity_resolution_jobs", metadata,
    Column("domain_id", Integer, primary_key=True),
    Column("id", String(32), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("message", String(2048)),
    Column("start_time", UtcDateTime, nullable=False),  # when it started, or for a PENDING job, will start
    Column("end_time", UtcDateTime),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("auto_merging", JSON),  # the AutoMerging settings it ran with
    Column("profiles_reviewed", BigInteger),
    Column("matches_found", BigInteger),
    Column("merges_done", BigInteger),
)

profile_matches = Table(
    "profile_matches", metadata,
    Column("domain_id", Integer, primary_key=True),
    Column("job_id", String(32), primary_key=True),
    Column("match_id", String(64), primary_key=True),
    Column("profile_ids", JSON, nullable=False),
    Column("confidence", Float, nullable=False),
)

profile_domain_object_types = _held("profile_domain_object_types", Column("name", String(255), primary_key=True))

profile_integrations = _held("profile_integrations", Column("uri", String(255), primary_key=True))

profile_event_streams = _held("profile_event_streams", Column("name", String(64), primary_key=True))

# What happened to each profile (ListProfileHistoryRecords): kept after the profile is gone, until its expiry.
profile_history_records = Table(
    "profile_history_records", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),  # the order records were made in
    Column("id", String(32), nullable=False),  # found through its profile: an index of random ids costs every put
    Column("domain_id", Integer, nullable=False),
    Column("profile_id", String(32), nullable=False),
    Column("action_type", String(32), nullable=False),
    Column("object_type", String(255), nullable=False),
    Column("unique_key", String(255)),
    Column("performed_by", String(255)),
    Column("content", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Index("ix_profile_history_records_profile", "domain_id", "profile_id", "seq"),
    Index("ix_profile_history_records_expiry", "expires_at"),
)

# What ingesting objects grows (a bulk load's planner statistics to refresh)
INGESTED_TABLES = (profiles_table, profile_keys, profile_objects, profile_history_records)

# One row per trigger firing for a profile: the Periods limits count them.
profile_trigger_invocations = Table(
    "profile_trigger_invocations", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("domain_id", Integer, nullable=False),
    Column("trigger_name", String(64), nullable=False),
    Column("profile_id", String(32), nullable=False),
    Column("fired_at", UtcDateTime, nullable=False),
    Index("ix_profile_trigger_invocations", "domain_id", "trigger_name", "profile_id", "fired_at"),
)

# Changes to a domain's counters (profile_domains' profile_count, object_count, total_size), one row per
# transaction that made any; folded into the domain's row every few seconds (domain_stats.py). Every
# ingestion changes them: updating the domain's row directly made all ingestions queue for its lock.
profile_domain_stat_changes = Table(
    "profile_domain_stat_changes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("domain_id", Integer, nullable=False),
    Column("profiles", Integer, nullable=False),
    Column("objects", Integer, nullable=False),
    Column("size", BigInteger, nullable=False),
    Index("ix_profile_domain_stat_changes_domain", "domain_id"),
)

profile_upload_jobs = Table(
    "profile_upload_jobs", metadata,
    Column("domain_id", Integer, primary_key=True),
    Column("id", String(32), primary_key=True),
    Column("display_name", String(255), nullable=False),
    Column("fields", JSON, nullable=False),
    Column("unique_key", String(1000), nullable=False),
    Column("data_expiry", Integer),
    Column("status", String(32), nullable=False),
    Column("status_reason", String(32)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("completed_at", UtcDateTime),
    Column("upload_token", String(64)),  # the secret in the upload URL GetUploadJobPath gave last
    Column("upload_valid_until", UtcDateTime),
    Column("upload", LargeBinary),  # the CSV file, as uploaded
    Column("rows_done", Integer, nullable=False),  # data rows of the file ingested so far (a resumed job skips them)
    Column("created_records", Integer, nullable=False),
    Column("updated_records", Integer, nullable=False),
    Column("failed_records", Integer, nullable=False),
    Index("ix_profile_upload_jobs_token", "upload_token", unique=True),
)

profile_segment_subscriptions = Table(
    "profile_segment_subscriptions", metadata,
    Column("domain_id", Integer, primary_key=True),
    Column("segment_name", String(64), primary_key=True),
    Column("schedule", JSON),  # the ScheduleConfiguration given, None for the default (every 24 hours)
    Column("status", String(16), nullable=False),
    Column("message", String(1000)),
    Column("started_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("last_executed_at", UtcDateTime),
    Column("next_executed_at", UtcDateTime),
    Column("live_cursor", BigInteger, nullable=False),  # history records up to this one were looked at for LIVE events
)

# The Kinesis data stream a domain's segment membership events are for (AssociateStreamForSegments): one per
# domain, kept after it is disassociated (GetStreamForSegments shows it STOPPED) until another is associated.
profile_segment_streams = Table(
    "profile_segment_streams", metadata,
    Column("domain_id", Integer, primary_key=True),
    Column("destination_arn", String(2048), nullable=False),
    Column("role_arn", String(512), nullable=False),
    Column("associated_at", UtcDateTime, nullable=False),
    Column("disassociated_at", UtcDateTime),
)

profile_segment_members = Table(  # who a subscribed segment held at its last look
    "profile_segment_members", metadata,
    Column("domain_id", Integer, primary_key=True),
    Column("segment_name", String(64), primary_key=True),
    Column("profile_id", String(32), primary_key=True),
)

profile_segment_events = Table(
    "profile_segment_events", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("domain_id", Integer, nullable=False),
    Column("segment_name", String(64), nullable=False),
    Column("profile_id", String(32), nullable=False),
    Column("event", String(8), nullable=False),  # JOINED, LEFT
    Column("event_type", String(8), nullable=False),  # LIVE, SCHEDULE
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_profile_segment_events_segment", "domain_id", "segment_name", "seq"),
)

profile_recommender_schemas = _held("profile_recommender_schemas", Column("name", String(64), primary_key=True))

profile_recommender_filters = _held("profile_recommender_filters", Column("name", String(63), primary_key=True))

# A recommender: its definition (recipe, schema, configuration, description), where it stands and the version of
# its model it answers with (recommenders.py)
profile_recommenders = _held("profile_recommenders", Column("name", String(64), primary_key=True),
                             Column("status", String(16), nullable=False),
                             Column("active_version", String(100)),
                             Column("failure", Text))

# Each training of a recommender: the configuration it trained on, the model and metrics it made
profile_recommender_versions = Table(
    "profile_recommender_versions", metadata,
    Column("domain_id", Integer, primary_key=True),
    Column("recommender", String(64), primary_key=True),
    Column("name", String(100), primary_key=True),  # <recommender>/<YYYY-MM-DDTHH-MM-SSZ>
    Column("status", String(16), nullable=False),  # IN_PROGRESS, ACTIVE, FAILED
    Column("origin", String(16), nullable=False),  # CREATE, UPDATE or SCHEDULE: what started it
    Column("config", JSON, nullable=False),
    Column("model", JSON),
    Column("metrics", JSON),
    Column("failure", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
